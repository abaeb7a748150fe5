"""The README's pictures: made from the report they show, at both sizes, and never older than its results."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from contract.matrix import ROOT
from report.screenshots import BROWSERS, OUT_DIR, SIZES, STAMP, default_chromium, main
from tests.unit.report.sample import cut, rendered, sample


def size_of(png: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def committed(path: Path) -> bytes:
    """A file as the last commit holds it: `tox p` (CI's first command) renders report/out anew before the
    self-tests run, so the working tree's results.json is newer than any committed picture by design."""
    relative = path.resolve().relative_to(ROOT).as_posix()
    shown = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, check=False)
    assert shown.returncode == 0, f"{relative} is not committed: {shown.stderr.decode(errors='replace').strip()}"
    return shown.stdout


def check_fresh(out: Path, read: Callable[[Path], bytes] = Path.read_bytes) -> None:
    """The stamp beside the PNGs names the results they show and the PNGs as they are (read by `read`)."""
    assert (out / STAMP).exists(), f"no {out / STAMP}: run `python -m report.screenshots`"
    stamp = json.loads(read(out / STAMP))
    results = json.loads(read(out / "results.json"))
    assert stamp["generated"] == results["generated"], (
        f"the screenshots show the run of {stamp['generated']}, results.json is from {results['generated']}: "
        "run `python -m report.screenshots`"
    )
    for name in SIZES:
        assert hashlib.sha256(read(out / name)).hexdigest() == stamp["files"][name], f"{name} changed since"


def test_committed_screenshots_are_not_older_than_the_results_they_show():
    check_fresh(OUT_DIR, committed)


def a_report(folder: Path) -> Path:
    """`folder` holding a report (its page and results.json) of one probe's slice of the committed run (tests/unit/
    report/sample.py): the whole page is thirty times as large, and Chromium's load of it was most of this module's
    time."""
    rendered(folder, cut(sample(), frozenset({"auth.async-api"})))
    return folder


@pytest.fixture
def report_dir(tmp_path) -> Path:
    return a_report(tmp_path)


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> tuple[Path, int, str]:
    """`python -m report.screenshots` run once for the module (a Chromium start and two page loads) on a report:
    the folder, the exit code and what it printed. Tests that change the folder change a copy."""
    out = a_report(tmp_path_factory.mktemp("shot"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["--out", str(out)])
    return out, code, printed.getvalue()


def test_writes_a_desktop_and_a_phone_picture_with_their_stamp(shot):
    out, code, printed = shot
    assert code == 0
    assert {name: size_of(out / name) for name in SIZES} == {
        "screenshot-desktop.png": (1400, 900),
        "screenshot-phone.png": (390, 844),
    }
    check_fresh(out)
    assert "screenshot-desktop.png" in printed


def test_a_render_after_the_pictures_makes_them_stale(shot, tmp_path):
    out, code, _ = shot
    assert code == 0
    shutil.copytree(out, tmp_path, dirs_exist_ok=True)
    check_fresh(tmp_path)  # fresh as written: only the render below makes the pictures stale
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    (tmp_path / "results.json").write_text(json.dumps({**results, "generated": "2099-01-01T00:00:00+00:00"}))
    with pytest.raises(AssertionError, match="run `python -m report.screenshots`"):
        check_fresh(tmp_path)


def test_missing_results_exit_2_with_one_line(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "results.json is missing: run `python -m report` first" in err
    assert not list(tmp_path.iterdir())


def test_missing_page_exits_2_with_one_line(report_dir, capsys):
    (report_dir / "report.html").unlink()
    assert main(["--out", str(report_dir)]) == 2
    assert "report.html is missing" in capsys.readouterr().err


def test_unreadable_results_exit_2_with_one_line(report_dir, capsys):
    (report_dir / "results.json").write_text("{", encoding="utf-8")
    assert main(["--out", str(report_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no readable `generated` stamp" in err


def test_no_browser_exits_2_with_one_line_and_writes_nothing(report_dir, capsys):
    assert main(["--out", str(report_dir), "--chromium", str(report_dir / "no-chromium")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such program" in err and "CHROMIUM" in err
    assert not (report_dir / STAMP).exists() and not (report_dir / "screenshot-phone.png").exists()


def test_a_browser_that_fails_to_start_exits_2_with_one_line_and_writes_nothing(report_dir, capsys):
    broken = report_dir / "chromium"
    broken.write_text("#!/bin/sh\necho 'no display here' >&2\nexit 1\n")
    broken.chmod(0o755)
    assert main(["--out", str(report_dir), "--chromium", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not render" in err and "CHROMIUM" in err
    assert not (report_dir / STAMP).exists() and not (report_dir / "screenshot-phone.png").exists()


def _on_path(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)


def test_the_browser_is_chromium_env_else_the_headless_shell_else_chromium(tmp_path, monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert default_chromium() == "chromium-headless-shell"  # none installed: its start fails naming the fix
    _on_path(tmp_path, "chromium")
    assert default_chromium() == str(tmp_path / "chromium")
    _on_path(tmp_path, *BROWSERS)
    assert default_chromium() == str(tmp_path / "chromium-headless-shell")
    monkeypatch.setenv("CHROMIUM", "/opt/my-chromium")
    assert default_chromium() == "/opt/my-chromium"
