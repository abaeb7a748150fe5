"""tools/sweep.py: each kept fix's probes on every patch up to the fix, with a fake runner whose state flips."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from contract.matrix import ProbeRef, Release, load_matrix
from tools import sweep as sweep_module
from tools.sweep import Fix, cells_of, main, plan

RELATED = "orm.related-managers"  # servers: false
VIEWS = "views.async-function"  # servers: true


def entry(key: str, probes: list[str], fixed_in: dict[str, str], kept: bool = True) -> dict[str, object]:
    """A catalogue.json entry as tools/catalogue.py writes it (contract/schemas/catalogue.schema.json)."""
    return {
        "key": key,
        "ticket": int(key[1:]),
        "cve": None,
        "link": f"https://code.djangoproject.com/ticket/{key[1:]}",
        "patches": sorted(fixed_in.values()),
        "fixed_in": fixed_in,
        "text": f"Fixed a bug ({key}).",
        "kept": kept,
        "probes": probes,
        "unobservable": None,
        "dropped": None if kept else "not about async",
    }


LINK = "https://code.djangoproject.com/ticket/1"


def swept_row(fixed_in: str) -> dict[str, object]:
    """A sweep.json row as an earlier sweep wrote it (contract/schemas/sweep.schema.json)."""
    return {
        "fixed_in": fixed_in,
        "cells": ["orm.related-managers"],
        "patches": {fixed_in: {"orm.related-managers": "threaded"}},
        "observed_broken": [],
        "first_observed_fixed": fixed_in,
        "agrees_with_notes": False,
        "note": "no patch before the fix showed another state",
        "bisections": [],
    }


class Flipping:
    """A fake scratch env: each probe records `before` on patches older than its flip and `after` from it on."""

    flips: dict[str, str] = {}
    calls: list[tuple[Path, str, tuple[str, ...]]] = []
    lock = threading.Lock()

    def __init__(self, release: Release, scratch: Path) -> None:
        assert release.version == "4.1" and scratch.is_dir()
        self.scratch, self.version = scratch, ""

    def install(self, name: str, version: str) -> None:
        assert name == "django"
        self.version = version

    def states(self, probes, server=None):
        with self.lock:
            self.calls.append((self.scratch, self.version, tuple(probes)))
        out = {}
        for probe in probes:
            state = "broken" if int(self.version.rsplit(".")[-1]) < int(self.flips[probe].rsplit(".")[-1]) else "native"
            for where in ("uvicorn", "daphne") if probe == VIEWS else (None,):
                out[(probe, where)] = state
        return out


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A catalogue with #34139 (4.1.4, orm.related-managers) and #34062 (4.1.2, views.async-function), no bisections."""
    catalogue = tmp_path / "catalogue.json"
    entries = [
        entry("#34139", [RELATED], {"4.1": "4.1.4"}),
        entry("#34062", [VIEWS], {"4.1": "4.1.2"}),
        entry("#35392", [], {"5.0": "5.0.5"}, kept=False),
    ]
    catalogue.write_text(json.dumps({"django": "6.1.3", "entries": entries}), encoding="utf-8")
    monkeypatch.setattr(sweep_module, "BISECTIONS_PATH", tmp_path / "bisections.json")
    Flipping.flips = {RELATED: "4.1.4", VIEWS: "4.1.2"}
    Flipping.calls = []
    return catalogue, tmp_path / "out" / "sweep.json"


def run(files, *arguments: str) -> int:
    catalogue, out = files
    return main(["--catalogue", str(catalogue), "--out", str(out), *arguments], make_runner=Flipping)


def rows(files) -> dict[str, dict[str, object]]:
    data = json.loads(files[1].read_text(encoding="utf-8"))["entries"]
    return {key: value["series"]["4.1"] for key, value in data.items() if "4.1" in value["series"]}


def test_a_fix_that_flips_on_its_patch_agrees_with_the_notes(files, capsys):
    assert run(files, "4.1") == 0
    row = rows(files)["#34139"]
    assert list(row["patches"]) == ["4.1.0", "4.1.1", "4.1.2", "4.1.3", "4.1.4"]
    assert row["patches"]["4.1.0"] == {RELATED: "broken"}
    assert row["observed_broken"] == ["4.1.0", "4.1.1", "4.1.2", "4.1.3"]
    assert (row["first_observed_fixed"], row["agrees_with_notes"], row["note"]) == ("4.1.4", True, "")
    views = rows(files)["#34062"]
    assert views["cells"] == [f"{VIEWS}@uvicorn", f"{VIEWS}@daphne"]
    assert list(views["patches"]) == ["4.1.0", "4.1.1", "4.1.2"]
    assert "#34139: broken in 4.1.0, 4.1.1, 4.1.2, 4.1.3; fixed from 4.1.4 (agrees)" in capsys.readouterr().out


def test_one_pytest_per_patch_runs_only_the_fixes_not_yet_fixed_there(files):
    assert run(files, "4.1", "--jobs", "2") == 0
    probes = {version: probes for _, version, probes in Flipping.calls}
    assert len(Flipping.calls) == 5
    assert probes == {
        "4.1.0": (RELATED, VIEWS),
        "4.1.1": (RELATED, VIEWS),
        "4.1.2": (RELATED, VIEWS),
        "4.1.3": (RELATED,),
        "4.1.4": (RELATED,),
    }
    scratches = {scratch for scratch, _, _ in Flipping.calls}
    assert len(scratches) <= 2 and not any(scratch.exists() for scratch in scratches)


def test_a_fix_seen_earlier_or_never_disagrees_and_says_why(files):
    Flipping.flips = {RELATED: "4.1.2", VIEWS: "4.1.0"}
    assert run(files, "4.1") == 0
    assert rows(files)["#34139"]["first_observed_fixed"] == "4.1.2"
    assert rows(files)["#34139"]["agrees_with_notes"] is False
    assert rows(files)["#34139"]["note"] == "observed fixed from 4.1.2, before the notes' 4.1.4"
    assert rows(files)["#34062"]["observed_broken"] == []
    assert rows(files)["#34062"]["note"].startswith("no patch before 4.1.2 showed another state")


def test_a_partial_run_keeps_the_rows_it_did_not_run(files):
    out = files[1]
    out.parent.mkdir()
    other = {"key": "#35174", "link": LINK, "series": {"5.0": swept_row("5.0.3")}}
    stale = {"key": "#34139", "link": LINK, "series": {"4.1": swept_row("4.1.3"), "4.2": swept_row("4.2.9")}}
    out.write_text(json.dumps({"entries": {"#35174": other, "#34139": stale}}), encoding="utf-8")
    assert run(files, "4.1") == 0
    data = json.loads(out.read_text(encoding="utf-8"))["entries"]
    assert data["#35174"] == other
    assert data["#34139"]["series"]["4.2"] == swept_row("4.2.9")
    assert data["#34139"]["series"]["4.1"]["fixed_in"] == "4.1.4"


def test_an_interrupted_run_leaves_the_file_and_no_scratch_folder(files, capsys):
    out = files[1]
    out.parent.mkdir()
    out.write_text('{"entries": {}}\n', encoding="utf-8")

    class Interrupted(Flipping):
        def states(self, probes, server=None):
            super().states(probes, server)
            raise KeyboardInterrupt

    old = signal.getsignal(signal.SIGINT)
    try:
        assert main(["--catalogue", str(files[0]), "--out", str(out), "4.1"], make_runner=Interrupted) == 130
    finally:
        signal.signal(signal.SIGINT, old)
    assert out.read_text(encoding="utf-8") == '{"entries": {}}\n'
    assert "interrupted; out/sweep.json keeps the series swept before" in capsys.readouterr().err.replace(
        str(out.parent.parent) + "/", ""
    )
    assert not any(scratch.exists() for scratch, _, _ in Flipping.calls)


def test_a_bisection_of_the_same_cell_is_kept_beside_the_row(files):
    cause = {"release": "4.1", "subject": RELATED, "sentence": "broken in 4.1.0-4.1.3, native from 4.1.4", "link": None}
    sweep_module.BISECTIONS_PATH.write_text(json.dumps({"causes": [cause]}), encoding="utf-8")
    assert run(files, "4.1") == 0
    assert rows(files)["#34139"]["bisections"] == ["broken in 4.1.0-4.1.3, native from 4.1.4"]
    assert rows(files)["#34062"]["bisections"] == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["3.1"], "sweep: no kept fix with probes in series '3.1'. Fix: name one of 4.1"),
        (["4.1", "--catalogue", "/nonexistent.json"], "sweep: /nonexistent.json: cannot read it"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(files, capsys, arguments, expected):
    assert main(["--catalogue", str(files[0]), "--out", str(files[1]), *arguments], make_runner=Flipping) == 2
    error = capsys.readouterr().err
    assert error.startswith(expected) and error.count("\n") == 1
    assert not files[1].exists()


def test_a_probe_narrowed_to_a_server_is_one_cell_else_one_per_server():
    servers = {RELATED: False, VIEWS: True}
    refs = [ProbeRef(RELATED), ProbeRef(VIEWS, "daphne")]
    assert cells_of(refs, servers) == (RELATED, f"{VIEWS}@daphne")
    assert cells_of([ProbeRef(VIEWS)], servers) == (f"{VIEWS}@uvicorn", f"{VIEWS}@daphne")


def test_plan_runs_from_x_y_0_to_the_newest_fix():
    release = load_matrix().release("4.1")
    fixes = [Fix("#1", "", "4.1.1", (RELATED,)), Fix("#2", "", "4.1.2", (f"{VIEWS}@uvicorn",))]
    assert plan(release, fixes) == {"4.1.0": [RELATED, VIEWS], "4.1.1": [RELATED, VIEWS], "4.1.2": [VIEWS]}


def test_a_failed_uv_call_in_a_worker_is_one_line_and_exit_2(files, capsys):
    class Failing(Flipping):
        def __init__(self, release: Release, scratch: Path) -> None:
            raise subprocess.CalledProcessError(
                2, ["uv", "venv", "-p", "python3.10"], stderr="error: no python\nhint\n"
            )

    assert main(["--catalogue", str(files[0]), "--out", str(files[1]), "4.1"], make_runner=Failing) == 2
    error = capsys.readouterr().err
    assert error.startswith("sweep: `uv venv -p python3.10` failed: error: no python … hint. Fix: see what uv says")
    assert error.count("\n") == 1
    assert not files[1].exists()
