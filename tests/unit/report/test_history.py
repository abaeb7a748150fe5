"""The run history: one line per run, bounded, prunable, and it names the cells that changed."""

from __future__ import annotations

import errno
import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import report.__main__ as entry
from report import history
from report.baseline import compare
from tests.unit.report.test_baseline import _cell, _run
from tests.unit.report.test_inputs import _write


def _merged(*cells, generated="2026-11-25T08:20:00+00:00"):
    data = _run(*cells, generated=generated)
    data["run"] = {**data["run"], "first_started": "2026-11-25T08:16:30+00:00"}
    return data


def _at(hour: int) -> str:
    return f"2026-11-25T{hour:02}:00:00+00:00"


def _history_file(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))
    return path


def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = entry.main(list(args))
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), captured.err


def test_entry_has_when_where_versions_counts_and_changed_cells():
    before, after = _merged(_cell()), _merged(_cell(state="threaded"), _cell("b@daphne", state="not-run"))
    line = history.entry(after, compare(before, after, "baseline.json", "now"))
    assert line["generated"] == "2026-11-25T08:20:00+00:00" and line["host"]["cpus"] == 2
    assert line["envs"]["dj52"] == {
        "status": "complete",
        "django": "5.2.19",
        "python": "3.13.0",
        "asgiref": "3.13.0",
        "uvicorn": "0.54.0",
    }
    assert line["counts"] == {"threaded": 1, "not-run": 1}
    assert line["changes"] == {"regression": 1, "new": 1}
    assert line["changed_cells"][0] == "5.2/views.async@uvicorn: native → threaded (regression)"


def test_entry_without_baseline():
    line = history.entry(_merged(_cell()), None)
    assert line["baseline"] is None and line["changes"] == {} and line["changed_cells"] == []


def test_many_changed_cells_are_cut_short():
    after = _merged(*[_cell(f"p{i}@uvicorn") for i in range(25)])
    line = history.entry(after, compare(_merged(), after, "a", "b"))
    assert len(line["changed_cells"]) == history.MAX_CHANGES_PER_LINE + 1
    assert line["changed_cells"][-1] == "… and 5 more"


def test_append_keeps_only_the_newest_runs(tmp_path):
    path = tmp_path / "history.jsonl"
    for n in range(5):
        history.append(path, {"generated": _at(8 + n), "n": n}, keep=3)
    assert [run["generated"] for run in history.read(path)] == [_at(10), _at(11), _at(12)]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


def test_rendering_the_same_run_again_replaces_its_line_and_a_new_run_appends(tmp_path):
    path = tmp_path / "history.jsonl"
    history.append(path, {"generated": "10:00", "started": "09:00", "counts": {"native": 3}})
    history.append(path, {"generated": "10:05", "started": "09:00", "counts": {"native": 3}})  # the same run again
    assert [run["generated"] for run in history.read(path)] == ["10:05"]
    history.append(path, {"generated": "10:10", "started": "09:00", "counts": {"native": 2}})  # a rerun changed it
    history.append(path, {"generated": "11:00", "started": "10:30", "counts": {"native": 2}})  # a new run
    assert [run["generated"] for run in history.read(path)] == ["10:05", "10:10", "11:00"]


def test_a_render_after_accept_keeps_one_line_with_what_the_run_changed(tmp_path):
    path = tmp_path / "history.jsonl"
    run = {"started": "09:00", "counts": {"native": 3}}
    changed = {"baseline": "baseline.json (generated 08:00)", "changes": {"regression": 1}, "changed_cells": ["a"]}
    history.append(path, {"generated": "10:00", **run, **changed})  # the report of the run
    history.append(path, {"generated": "10:05", **run, **changed})  # --accept: compared with the old baseline
    # rendered again, compared with the baseline it became (which kept the cells this run did not run)
    rerendered = {"baseline": "baseline.json (generated 10:05)", "changes": {"not-run": 2}, "changed_cells": ["b"]}
    history.append(path, {"generated": "10:30", **run, **rerendered})
    history.append(path, {"generated": "10:40", **run, "baseline": "baseline.json (generated 10:05)", "changes": {}})
    assert history.read(path) == [{"generated": "10:40", **run, **changed}]


def test_a_broken_last_line_is_kept_when_a_run_is_appended(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text('{"generated": \n', encoding="utf-8")
    history.append(path, {"generated": "10:00"})
    assert path.read_text(encoding="utf-8").splitlines() == ['{"generated": ', '{"generated": "10:00"}']


def test_read_skips_a_broken_line_and_a_missing_file(tmp_path):
    path = tmp_path / "history.jsonl"
    assert history.read(path) == []
    path.write_text('{"n": 1}\n{half\n{"n": 2}\n', encoding="utf-8")
    assert history.read(path) == [{"n": 1}, {"n": 2}]


def test_prune_keeps_the_newest_runs_by_their_time_not_the_last_lines(tmp_path, capsys):
    hours = [12, 8, 13, 9, 11, 10]  # a file whose lines are not in time order (merged by hand, say)
    path = _history_file(tmp_path, *(json.dumps({"generated": _at(hour)}) for hour in hours))
    code, out, err = _main(capsys, "--history", str(path), "prune", "--keep", "3")
    assert (code, err) == (0, "")
    assert f"dropped 3 run(s) from {path}; 3 kept" in out
    assert [run["generated"] for run in history.read(path)] == [_at(12), _at(13), _at(11)]  # file order stays


def test_prune_keeps_and_names_a_line_whose_time_cannot_be_read(tmp_path, capsys):
    path = _history_file(
        tmp_path,
        json.dumps({"generated": _at(8)}),
        '{"generated": "2026-11-25T07:00',  # cut short
        json.dumps({"n": 1}),  # no time at all
        json.dumps({"generated": "yesterday"}),
        json.dumps({"generated": _at(9)}),
    )
    code, out, err = _main(capsys, "--history", str(path), "prune", "--keep", "1")
    assert code == 0 and f"dropped 1 run(s) from {path}; 1 kept, and 3 line(s) of no known time" in out
    assert path.read_text(encoding="utf-8").splitlines() == [
        '{"generated": "2026-11-25T07:00',
        '{"n": 1}',
        '{"generated": "yesterday"}',
        json.dumps({"generated": _at(9)}),
    ]
    assert [line.split(": ")[1] for line in err.splitlines()] == [f"{path}:{n}" for n in (2, 3, 4)]
    assert "no time `generated` can be read; it is kept as it is" in err


@pytest.mark.parametrize("keep", ["0", "-1", "many"])
def test_prune_refuses_to_keep_fewer_than_one_run(tmp_path, capsys, keep):
    path = _history_file(tmp_path, json.dumps({"generated": _at(8)}))
    with pytest.raises(SystemExit) as exit_:
        entry.main(["--history", str(path), "prune", "--keep", keep])
    assert exit_.value.code == 2
    assert f"argument --keep: must be a whole number of at least 1, not {keep!r}" in capsys.readouterr().err
    assert history.read(path) == [{"generated": _at(8)}]


def _slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading the history and writing it back, as a busy disk would."""
    read = history._lines

    def slow(path: Path) -> Any:
        lines = read(path)
        time.sleep(0.2)
        return lines

    monkeypatch.setattr(history, "_lines", slow)


def test_reports_at_the_same_time_lose_no_history_line(tmp_path, monkeypatch, small_matrix):
    _write(tmp_path / "results", "dj52")
    path = tmp_path / "history.jsonl"
    numbers = itertools.count()
    entry_of = history.entry
    # Each render is a run of its own (else a render of the same results again replaces the last line).
    monkeypatch.setattr(history, "entry", lambda *args: {**entry_of(*args), "n": next(numbers)})
    _slow_reads(monkeypatch)
    codes: list[int] = []

    def report(n: int) -> None:
        out = str(tmp_path / f"out{n}")
        args = ["--matrix", str(small_matrix), "--results", str(tmp_path / "results"), "--out", out]
        codes.append(entry.main([*args, "--history", str(path)]))

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0, 0, 0, 0]
    assert sorted(run["n"] for run in history.read(path)) == [0, 1, 2, 3]


def test_a_prune_and_an_append_at_the_same_time_lose_no_new_line(tmp_path, monkeypatch):
    path = _history_file(tmp_path, *(json.dumps({"generated": _at(hour)}) for hour in (8, 9)))
    _slow_reads(monkeypatch)
    prune = threading.Thread(target=entry.main, args=(["--history", str(path), "prune", "--keep", "2"],))
    prune.start()
    history.append(path, {"generated": _at(10)})
    prune.join()
    assert _at(10) in [run["generated"] for run in history.read(path)]


def test_a_history_that_is_a_folder_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "history.jsonl"
    path.mkdir()
    _write(tmp_path / "results", "dj52")
    render = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    for command in (["history"], ["prune", "--keep", "3"], render):
        code, _, err = _main(capsys, "--history", str(path), *command)
        assert code == 2, command
        assert err.count("\n") == 1 and err.startswith(f"report: cannot read {path}: it is a folder"), err
        assert "Fix: " in err
    assert not (tmp_path / "out").exists()


def test_prune_on_a_full_disk_is_one_line_and_leaves_the_history_as_it_was(tmp_path, capsys, monkeypatch):
    path = _history_file(tmp_path, *(json.dumps({"generated": _at(hour)}) for hour in (8, 9, 10)))
    before = path.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("contract.atomic.os.fsync", full)
    code, _, err = _main(capsys, "--history", str(path), "prune", "--keep", "1")
    assert code == 2
    assert err.count("\n") == 1 and f"cannot write {path}: No space left on device; nothing was written" in err
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["history.jsonl"]


BINARY = b"\xff\xfe a line that is not UTF-8 \x80\xc3("


def test_a_line_that_is_not_utf8_is_kept_byte_for_byte(tmp_path, capsys):
    path = _history_file(tmp_path, json.dumps({"generated": _at(8)}), BINARY, json.dumps({"generated": _at(9)}))
    history.append(path, {"generated": _at(10)})
    assert path.read_bytes().splitlines()[1] == BINARY
    code, _, err = _main(capsys, "--history", str(path), "prune", "--keep", "1")
    assert code == 0 and f"{path}:2: not valid UTF-8" in err
    assert path.read_bytes().splitlines() == [BINARY, json.dumps({"generated": _at(10)}).encode()]
    assert history.problems(path) == [
        f"{path}:1: not valid UTF-8 (a hand edit?); it is kept as it is, but no report reads it"
    ]
