"""Following upstream: newer patches and new series found in PyPI's list, matrix.yaml pins moved, and the latest
mode's comparison with the baseline naming the versions that moved."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import tools.upstream
from contract.matrix import MATRIX_PATH, ROOT, load_matrix
from tests.unit.report.fake_index import closed_port_url, json_page, serve
from tools.upstream import CellChange, UpstreamError, compare, main, run_tox, update_text, upstream

MATRIX = load_matrix()
PINNED = {release.version: release.django for release in MATRIX.releases}


def _pypi(*extra: str) -> list[str]:
    """Every pinned version (and older ones), plus `extra`: what the simple API would list."""
    return ["1.11.29", "2.2", "2.2.1", *PINNED.values(), "6.1a1", "6.1rc1", *extra]


def test_nothing_newer_than_the_pins():
    found = upstream(MATRIX, _pypi())
    assert found.newer_patches == {}
    assert found.new_series == ()


def test_a_newer_patch_is_named_with_the_pin_it_replaces():
    found = upstream(MATRIX, _pypi("5.2.99", "5.2.100rc1"))
    assert found.newer_patches == {"5.2": (PINNED["5.2"], "5.2.99")}


def test_a_new_feature_release_and_a_pre_release_are_named():
    found = upstream(MATRIX, _pypi("6.2a1", "6.2b1", "7.0a1", "6.2", "6.2.1"))
    assert found.new_series == ("6.2.1", "7.0a1 (pre-release)")


def test_update_moves_only_the_django_pin_of_that_release():
    text = MATRIX_PATH.read_text(encoding="utf-8")
    updated = update_text(text, {"5.2": (PINNED["5.2"], "5.2.99")})
    assert updated.count("django: 5.2.99\n") == 1
    assert updated.replace("django: 5.2.99\n", f"django: {PINNED['5.2']}\n") == text


def test_update_refuses_a_pin_it_cannot_find():
    with pytest.raises(UpstreamError, match=r"no `django: 5.2.1` under the release `version: \"5.2\"`"):
        update_text(MATRIX_PATH.read_text(encoding="utf-8"), {"5.2": ("5.2.1", "5.2.99")})


def test_update_keeps_a_comment_on_the_pin_line():
    pinned = PINNED["5.2"]
    text = MATRIX_PATH.read_text(encoding="utf-8").replace(f"django: {pinned}\n", f"django: {pinned}  # LTS\n")
    updated = update_text(text, {"5.2": (pinned, "5.2.99")})
    assert updated == text.replace(f"django: {pinned}  # LTS\n", "django: 5.2.99  # LTS\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Copies of matrix.yaml and requirements/ to update."""
    shutil.copyfile(MATRIX_PATH, tmp_path / "matrix.yaml")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements", ignore=shutil.ignore_patterns("*.py"))
    return tmp_path


def _snapshot(project: Path) -> dict[str, bytes]:
    return {str(path.relative_to(project)): path.read_bytes() for path in sorted(project.rglob("*")) if path.is_file()}


def _newer(name: str) -> list[str]:
    return _pypi("5.2.99")


def _main(project: Path, *argv: str, **options: Any) -> int:
    defaults: dict[str, Any] = {"matrix_path": project / "matrix.yaml", "requirements": project / "requirements"}
    return main(list(argv), _newer, **defaults | options)


def _one_line(text: str) -> str:
    assert "Traceback" not in text
    (line,) = text.strip().splitlines()
    return line


def _fake_lock(matrix_path: Path, envs: list[str], into: Path, scratch: Path) -> None:
    """What requirements/compile.py would write, without uv: checks it was handed the new pins."""
    assert "django: 5.2.99\n" in matrix_path.read_text(encoding="utf-8")
    assert into.is_relative_to(scratch)
    for env in envs:
        (into / f"{env}.txt").write_text(f"django==5.2.99 for {env}\n", encoding="utf-8")


def test_update_writes_matrix_yaml_and_the_lock_files_together(project, capsys):
    before = _snapshot(project)
    assert _main(project, "update", compile_locks=_fake_lock) == 0
    after = _snapshot(project)
    assert after["requirements/dj52.txt"] == b"django==5.2.99 for dj52\n"
    assert after["matrix.yaml"] == before["matrix.yaml"].replace(
        f"django: {PINNED['5.2']}\n".encode(), b"django: 5.2.99\n"
    )
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"matrix.yaml", "requirements/dj52.txt"}
    assert "updated matrix.yaml and the lock files of dj52" in capsys.readouterr().out


def test_update_with_the_index_unreachable_leaves_every_file_as_it_was(project, capfd, monkeypatch):
    """The real compile step (uv), pointed at an index nobody answers on."""
    monkeypatch.setenv("UV_INDEX_URL", closed_port_url())
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    before = _snapshot(project)
    assert _main(project, "update") == 2
    assert _snapshot(project) == before
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("upstream update: the lock files did not compile")


def test_update_with_requirements_unwritable_leaves_every_file_as_it_was(project, capsys, monkeypatch):
    # Running as root, chmod would not stop the write: refuse temp files in requirements/ as a read-only folder would.
    import contract.atomic

    real = contract.atomic.tempfile.mkstemp

    def mkstemp(*args, dir, **kwargs):
        if Path(dir) == project / "requirements":
            raise PermissionError(13, "Permission denied", str(Path(dir) / ".dj52.txt.x"))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(contract.atomic.tempfile, "mkstemp", mkstemp)
    before = _snapshot(project)
    assert _main(project, "update", compile_locks=_fake_lock) == 2
    assert _snapshot(project) == before
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("upstream update: cannot write in ")
    assert "requirements (Permission denied)" in line


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_update_interrupted_while_the_index_is_slow_leaves_every_file_as_it_was(project, capsys, signal_number):
    scratches = []

    def slow_lock(matrix_path: Path, envs: list[str], into: Path, scratch: Path) -> None:
        scratches.append(scratch)
        os.kill(os.getpid(), signal_number)
        time.sleep(10)

    before = _snapshot(project)
    assert _main(project, "update", compile_locks=slow_lock) == 2
    assert _snapshot(project) == before
    assert _one_line(capsys.readouterr().err).startswith(
        f"upstream update: interrupted ({signal.Signals(signal_number).name}); matrix.yaml and requirements/ "
        "are as they were."
    )
    assert not scratches[0].exists()


def test_check_reads_the_index_uv_is_configured_to_use(project, capsys, monkeypatch):
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    with serve({"/simple/django/": json_page(*_pypi("5.2.99"))}) as url:
        monkeypatch.setenv("UV_INDEX_URL", url)
        assert main(["check"], matrix_path=project / "matrix.yaml") == 0
    assert f"Django 5.2: {PINNED['5.2']} pinned, 5.2.99 on the index" in capsys.readouterr().out


def test_check_with_the_index_unreachable_is_one_line(project, capsys, monkeypatch):
    url = closed_port_url()
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    monkeypatch.setenv("UV_INDEX_URL", url)
    assert main(["check"], matrix_path=project / "matrix.yaml") == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"upstream check: cannot read the package index at {url}/django/ (Connection refused)")


@pytest.mark.parametrize("pin", ["5.2." + "1" * 10_000, "5.2." + "0" * 70 + "1"])
def test_a_pin_that_is_not_a_sane_version_is_refused_naming_its_key(project, capsys, pin):
    path = project / "matrix.yaml"
    path.write_text(path.read_text("utf-8").replace(f"django: {PINNED['5.2']}\n", f"django: {pin}\n"), "utf-8")
    before = _snapshot(project)
    for command in ("check", "update"):
        assert _main(project, command, compile_locks=_fake_lock) == 2
        line = _one_line(capsys.readouterr().err)
        assert line.startswith(f"upstream {command}: ")
        # matrix.yaml's own check (bounded version digits) names the key before upstream's would
        assert re.search(r"matrix\.yaml:\d+: releases\[\d+\]\.django: '5\.2\.", line), line
        assert "Fix: write the exact Django release to pin, like 5.2.19." in line
        assert len(line) < 600
    assert _snapshot(project) == before


def _nothing_may_run(command: list[str], **options: Any) -> None:
    raise AssertionError(f"ran {command} instead of refusing")


@pytest.mark.parametrize("where", [".", str(ROOT), str(ROOT / "requirements"), str(ROOT / "not-yet-there")])
def test_run_refuses_a_scratch_folder_in_the_repository(project, capsys, monkeypatch, where):
    monkeypatch.setattr(tools.upstream, "run", _nothing_may_run)
    before = _snapshot(ROOT / "requirements")
    assert _main(project, "run", "--scratch", where) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"upstream run: --scratch {where} is inside the repository")
    assert not (ROOT / "not-yet-there").exists()
    assert _snapshot(ROOT / "requirements") == before


def test_run_refuses_a_scratch_folder_that_already_exists(project, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tools.upstream, "run", _nothing_may_run)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "dj52.txt").write_text("keep me", encoding="utf-8")
    assert _main(project, "run", "--scratch", str(mine)) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"upstream run: --scratch {mine} already exists")
    assert [path.name for path in mine.iterdir()] == ["dj52.txt"]


def _baseline() -> dict[str, object]:
    return {
        "releases": [{"version": "5.2", "versions": {"django": "5.2.19", "asgiref": "3.13.0", "uvicorn": "0.54.0"}}],
        "cells": [
            {"release": "5.2", "probe": "views.async-function", "server": "uvicorn", "state": "native"},
            {"release": "5.2", "probe": "views.async-function", "server": "daphne", "state": "threaded"},
            {"release": "5.2", "probe": "orm.queryset-async", "server": None, "state": "threaded"},
        ],
    }


def _run(**states: str) -> dict[str, object]:
    rows = [
        {"id": "views.async-function", "server": "uvicorn", "state": states.get("uvicorn", "native")},
        {"id": "views.async-function", "server": "daphne", "state": states.get("daphne", "threaded")},
        {"id": "orm.queryset-async", "server": None, "state": states.get("orm", "threaded")},
    ]
    return {"versions": {"django": "5.2.20", "asgiref": "3.13.0", "uvicorn": "0.54.0"}, "probes": rows}


def test_a_new_patch_that_breaks_a_cell_is_a_regression_naming_the_new_version():
    changes = compare(_baseline(), {"5.2": _run(uvicorn="broken", orm="native")})
    assert changes == [
        CellChange(
            "regression", "5.2", "views.async-function@uvicorn", "native", "broken", ("django 5.2.19 → 5.2.20",)
        ),
        CellChange("improvement", "5.2", "orm.queryset-async", "threaded", "native", ("django 5.2.19 → 5.2.20",)),
    ]
    assert (
        changes[0].sentence()
        == "regression: 5.2 views.async-function@uvicorn: native → broken (django 5.2.19 → 5.2.20)"
    )


def test_no_change_is_no_change():
    assert compare(_baseline(), {"5.2": _run()}) == []


def test_not_run_is_never_a_regression():
    (change,) = compare(_baseline(), {"5.2": _run(daphne="not-run")})
    assert change.kind == "not-run"


def test_run_reads_the_baseline_before_it_locks_anything(project, capsys, tmp_path):
    missing = tmp_path / "no-baseline.json"
    assert _main(project, "run", "--baseline", str(missing)) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"upstream run: {missing}: cannot read the baseline (No such file or directory). Fix: ")


def test_an_interrupted_run_gives_tox_sigint_to_end_its_envs(tmp_path):
    """tox ends its envs' processes on SIGINT; a SIGKILL from subprocess.run would leave them running."""
    ready, ended = tmp_path / "ready", tmp_path / "ended"
    child = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *_: (pathlib.Path(sys.argv[2]).touch(), sys.exit(0)))\n"
        "pathlib.Path(sys.argv[1]).touch()\n"
        "time.sleep(60)\n"
    )

    def interrupt_when_ready() -> None:
        while not ready.exists():
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_tox([sys.executable, "-c", child, str(ready), str(ended)], dict(os.environ))
    assert ended.exists()
    assert time.monotonic() - started < 30


def test_a_second_interrupt_while_the_line_is_written_is_ignored(project, monkeypatch):
    """Under tox, Ctrl-C reaches the tool twice: from the terminal and again from tox."""

    def interrupted_lock(matrix_path: Path, envs: list[str], into: Path, scratch: Path) -> None:
        raise KeyboardInterrupt

    class SecondCtrlC:
        lines: list[str] = []

        def write(self, text: str) -> int:
            os.kill(os.getpid(), signal.SIGINT)
            self.lines.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", SecondCtrlC())
    assert _main(project, "update", compile_locks=interrupted_lock) == 2
    assert "".join(SecondCtrlC.lines).startswith("upstream update: interrupted (SIGINT);")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
