"""Patch bisection: a fake probe runner whose state flips at a known version, found by bisection, never guessed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from contract.matrix import ROOT, load_matrix
from report.axes import AxisDifference
from tools import bisect as bisect_module
from tools.bisect import BisectError, Cause, between, explain, first_change, patches

MATRIX = load_matrix()
RELEASE = MATRIX.release("3.0")  # 3.0.0 ... 3.0.14


def _difference(**versions: tuple[str | None, str | None]) -> AxisDifference:
    return AxisDifference(
        "3.0", "views.async-function", "uvicorn", shipped="broken", latest="native", versions=versions
    )


class FakeProbe:
    """The cell's state is "native" once Django reaches `django_fix`, or asgiref reaches `asgiref_fix`."""

    def __init__(self, django_fix: str | None = None, asgiref_fix: str | None = None, newest: str = "9") -> None:
        self.django_fix, self.asgiref_fix, self.newest = django_fix, asgiref_fix, newest
        self.installed = {"django": "3.0.0", "asgiref": "3.2.3", "uvicorn": "0.10.8"}
        self.runs: list[dict[str, str]] = []

    def state_at(self, pins: dict[str, str]) -> str:
        if _key(pins.get("asgiref", "0")) > _key(self.newest):  # needs a newer Python than the shipped one
            raise subprocess.CalledProcessError(1, ["uv", "pip", "install"])
        self.installed.update(pins)
        self.runs.append(dict(self.installed))
        fixed = (self.django_fix and _key(self.installed["django"]) >= _key(self.django_fix)) or (
            self.asgiref_fix and _key(self.installed["asgiref"]) >= _key(self.asgiref_fix)
        )
        return "native" if fixed else "broken"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


ASGIREF = ["3.2.3", "3.2.4", "3.2.5", "3.2.7", "3.2.10", "3.3.0", "3.3.1", "3.3.4", "3.4.0rc1", "3.4.1", "3.11.1"]


@pytest.mark.parametrize("fix", [1, 2, 7, 13, 14])
def test_first_change_finds_the_flip_at_every_position(fix):
    versions = [f"3.0.{n}" for n in range(15)]
    calls = []

    def state_of(version):
        calls.append(version)
        return "native" if int(version.split(".")[2]) >= fix else "broken"

    assert first_change(versions, state_of) == (f"3.0.{fix - 1}", f"3.0.{fix}")
    assert len(calls) <= 2 + 4  # both ends, then log2(15) rounded up


def test_first_change_refuses_ends_in_the_same_state():
    with pytest.raises(BisectError, match="give the same state"):
        first_change(["1", "2", "3"], lambda version: "native")


def test_patches_run_from_x_y_0_to_the_pinned_patch():
    assert patches(RELEASE) == [f"3.0.{n}" for n in range(15)]


def test_between_keeps_final_releases_in_order():
    assert between(ASGIREF, "3.2.3", "3.4.1") == [
        "3.2.3",
        "3.2.4",
        "3.2.5",
        "3.2.7",
        "3.2.10",
        "3.3.0",
        "3.3.1",
        "3.3.4",
        "3.4.1",
    ]


def test_a_django_patch_explains_the_change():
    probe = FakeProbe(django_fix="3.0.3")
    cause = explain(
        _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1")),
        RELEASE,
        probe.state_at,
        lambda name: ASGIREF,
        MATRIX.stack,
    )
    assert (cause.kind, cause.last_before, cause.first_after) == ("django", "3.0.2", "3.0.3")
    assert cause.sentence() == "broken in 3.0.0-3.0.2, native from 3.0.3"
    assert cause.link == "https://docs.djangoproject.com/en/stable/releases/3.0.3/"
    # Django moved alone: the shipped asgiref stayed in every run.
    assert {run["asgiref"] for run in probe.runs} == {"3.2.3"}


def test_a_dependency_explains_the_change_when_no_django_patch_does():
    probe = FakeProbe(asgiref_fix="3.3.0")
    difference = _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1"), uvicorn=("0.10.8", "0.39.0"))
    cause = explain(difference, RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert (cause.kind, cause.package, cause.last_before, cause.first_after) == (
        "dependency",
        "asgiref",
        "3.2.10",
        "3.3.0",
    )
    assert cause.sentence() == "changed with asgiref 3.3.0 (broken up to 3.2.10)"
    assert cause.link is None
    # asgiref is moved before uvicorn, and on the latest Django patch.
    assert all(run["uvicorn"] == "0.10.8" and run["django"] in ("3.0.0", "3.0.14") for run in probe.runs)


def test_a_dependency_newer_than_the_shipped_python_allows_is_bisected_up_to_what_installs():
    probe = FakeProbe(asgiref_fix="3.3.0", newest="3.4.1")
    cause = explain(
        _difference(asgiref=("3.2.3", "3.11.1")), RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack
    )
    assert (cause.package, cause.first_after) == ("asgiref", "3.3.0")
    assert not any(run["asgiref"] == "3.11.1" for run in probe.runs)


def test_nothing_explains_it_says_what_differs():
    probe = FakeProbe()
    difference = _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1"), python=("3.7.16", "3.9.18"))
    cause = explain(difference, RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert cause.kind == "unexplained"
    assert "Python differs (3.7.16 as shipped, 3.9.18 today)" in cause.sentence()


def test_a_shipped_state_that_does_not_reproduce_is_said():
    probe = FakeProbe(django_fix="3.0.0")  # native already at 3.0.0, but the run said broken
    cause = explain(_difference(django=("3.0", "3.0.14")), RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert cause == Cause(
        "3.0",
        "views.async-function@uvicorn",
        "broken",
        "native",
        "unexplained",
        note="the shipped state does not reproduce here",
    )


# --- the command: which cells it bisects, what it keeps of bisections.json, and one line for each bad input ---

OLD_CAUSES = {
    "axes": ["shipped", "latest"],
    "causes": [
        {"release": release, "subject": subject, "sentence": f"old cause of {subject} on {release}", "link": None}
        for release, subject in (
            ("3.0", "views.sync-under-asgi@uvicorn"),
            ("3.1", "asgi.request-stack@uvicorn"),
            ("3.1", "asgi.request-stack@daphne"),
            ("4.1", "orm.related-managers"),
        )
    ],
}


def _results(folder, version: str, states: dict[tuple[str, str | None], tuple[str, str]]) -> None:
    """dj<XY>.json and dj<XY>-shipped.json in `folder`, with (probe, server) -> (shipped state, latest state)."""
    folder.mkdir(exist_ok=True)
    for axis, release in enumerate((MATRIX.release(version).as_shipped(), MATRIX.release(version))):
        rows: list[dict] = [
            {
                "id": probe,
                "server": server,
                "state": pair[axis],
                "reason": "r",
                "reproduce": "tox",
                "duration": 0.1,
                "facts": {},
                "measurements": {},
                "source_hash": "abc123def456",
            }
            for (probe, server), pair in states.items()
        ]
        data = {
            "schema": 1,
            "env": release.env,
            "release": version,
            "versions": {"django": release.django, "python": f"{release.python}.1"},
            "started": "2026-11-25T08:16:30+00:00",
            "duration": 1.0,
            "complete": True,
            "probes": rows,
        }
        (folder / f"{release.env}.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def bisections(tmp_path, monkeypatch):
    """A bisections.json with causes on 3.0, 3.1 and 4.1; bisecting is faked (every cell: Django 3.1.2)."""
    path = tmp_path / "out" / "bisections.json"
    path.parent.mkdir()
    path.write_text(json.dumps(OLD_CAUSES), encoding="utf-8")
    monkeypatch.setattr(bisect_module, "BISECTIONS_PATH", path)

    def fake(matrix, difference, scratch):
        assert scratch.is_dir()
        return Cause(
            difference.release,
            difference.subject,
            difference.shipped,
            difference.latest,
            "django",
            "django",
            f"{difference.release}.1",
            f"{difference.release}.2",
        )

    monkeypatch.setattr(bisect_module, "bisect", fake)
    return path


def _subjects(path) -> list[tuple[str, str, str]]:
    return [(c["release"], c["subject"], c["sentence"][:9]) for c in json.loads(path.read_text())["causes"]]


def test_all_replaces_only_the_causes_of_releases_in_the_results(tmp_path, bisections, capsys):
    results = tmp_path / "results"
    _results(results, "3.1", {("asgi.request-stack", "uvicorn"): ("threaded", "serialized")})
    assert bisect_module.main(["--all", "--results", str(results)]) == 0
    assert _subjects(bisections) == [
        ("3.0", "views.sync-under-asgi@uvicorn", "old cause"),
        ("3.1", "asgi.request-stack@uvicorn", "threaded "),  # bisected again
        ("4.1", "orm.related-managers", "old cause"),
    ]  # 3.1's daphne cell no longer differs: its old cause goes
    assert "3 cells" in capsys.readouterr().out


def test_all_with_no_results_refuses_and_keeps_bisections_json(tmp_path, bisections, capsys):
    before = bisections.read_bytes()
    (tmp_path / "empty").mkdir()
    assert bisect_module.main(["--all", "--results", str(tmp_path / "empty")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds no release with results on both axes" in error, error
    assert bisections.read_bytes() == before


def test_all_replaces_an_unreadable_bisections_json_and_says_so(tmp_path, bisections, capsys):
    bisections.write_text('{"causes": [', encoding="utf-8")
    results = tmp_path / "results"
    _results(results, "3.1", {("asgi.request-stack", "uvicorn"): ("threaded", "serialized")})
    assert bisect_module.main(["--all", "--results", str(results)]) == 0
    assert _subjects(bisections) == [("3.1", "asgi.request-stack@uvicorn", "threaded ")]
    assert "not valid JSON" in capsys.readouterr().err


def test_all_into_a_folder_is_one_line_and_exit_2(tmp_path, bisections, capsys):
    bisections.unlink()
    bisections.mkdir()
    results = tmp_path / "results"
    _results(results, "3.1", {("asgi.request-stack", "uvicorn"): ("threaded", "serialized")})
    assert bisect_module.main(["--all", "--results", str(results)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "bisections.json" in error and "Fix:" in error, error


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["views.sync-under-asgi", "9.9", "--server", "uvicorn"], "unknown release '9.9'; known: 2.2, 3.0,"),
        (["views.sync-under-asgj", "3.0", "--server", "uvicorn"], "unknown probe 'views.sync-under-asgj'"),
        (["views.sync-under-asgi", "3.0", "--results", "{tmp}/nowhere"], "nowhere: no such folder. Fix: run"),
        (["--all", "--results", "{tmp}/nowhere"], "nowhere: no such folder. Fix: run"),
    ],
    ids=["release", "probe", "no-results", "all-no-results"],
)
def test_a_bad_argument_is_one_line_and_exit_2(tmp_path, bisections, capsys, arguments, expected):
    code = bisect_module.main([argument.format(tmp=tmp_path) for argument in arguments])
    error = capsys.readouterr().err
    assert (code, error.count("\n")) == (2, 1), error
    assert expected in error


def test_a_uv_failure_shows_uvs_message_in_one_line(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    _results(results, "3.0", {("views.sync-under-asgi", "uvicorn"): ("threaded", "serialized")})
    monkeypatch.setattr(bisect_module, "bisect", bisect_module.bisect)  # the real one: it fails at the first uv call
    fails = "error: Request failed after 3 retries\n  cause: tcp connect error\n  cause: Connection refused (os error 111)\n"
    script = tmp_path / "uv"
    script.write_text(f"#!/bin/sh\nprintf '{fails}' >&2\nexit 2\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    code = bisect_module.main(["views.sync-under-asgi", "3.0", "--server", "uvicorn", "--results", str(results)])
    error = capsys.readouterr().err
    assert (code, error.count("\n")) == (2, 1), error
    assert "uv venv" in error and "Request failed after 3 retries" in error and "Connection refused" in error


def test_a_second_sigint_while_the_first_is_reported_is_no_traceback(tmp_path):
    # tox sends SIGINT again ("second interrupt received") while bisect says it was interrupted.
    script = """
import os, signal, sys
from tools import bisect

class Repeating:
    def write(self, text):
        os.kill(os.getpid(), signal.SIGINT)
        return sys.__stderr__.write(text)

    def flush(self):
        sys.__stderr__.flush()

def interrupted(args):
    raise KeyboardInterrupt

bisect._bisect_one = interrupted
sys.stderr = Repeating()
sys.exit(bisect.main(["views.sync-under-asgi", "3.0"]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert (done.returncode, done.stderr) == (130, "bisect: interrupted; its scratch folder and processes are gone\n")
