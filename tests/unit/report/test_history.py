"""The run history: one line per run, bounded, prunable, and it names the cells that changed."""

from __future__ import annotations

from report import history
from report.baseline import compare
from tests.unit.report.test_baseline import _cell, _run


def _merged(*cells, generated="2026-11-25T08:20:00+00:00"):
    data = _run(*cells, generated=generated)
    data["run"] = {**data["run"], "first_started": "2026-11-25T08:16:30+00:00"}
    return data


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
        history.append(path, {"n": n}, keep=3)
    assert [run["n"] for run in history.read(path)] == [2, 3, 4]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


def test_rendering_the_same_run_again_replaces_its_line_and_a_new_run_appends(tmp_path):
    path = tmp_path / "history.jsonl"
    history.append(path, {"generated": "10:00", "started": "09:00", "counts": {"native": 3}})
    history.append(path, {"generated": "10:05", "started": "09:00", "counts": {"native": 3}})  # the same run again
    assert [run["generated"] for run in history.read(path)] == ["10:05"]
    history.append(path, {"generated": "10:10", "started": "09:00", "counts": {"native": 2}})  # a rerun changed it
    history.append(path, {"generated": "11:00", "started": "10:30", "counts": {"native": 2}})  # a new run
    assert [run["generated"] for run in history.read(path)] == ["10:05", "10:10", "11:00"]


def test_a_broken_last_line_is_kept_when_a_run_is_appended(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text('{"generated": \n', encoding="utf-8")
    history.append(path, {"generated": "10:00"})
    assert path.read_text(encoding="utf-8").splitlines() == ['{"generated": ', '{"generated": "10:00"}']


def test_prune_drops_old_runs_and_says_how_many(tmp_path):
    path = tmp_path / "history.jsonl"
    for n in range(4):
        history.append(path, {"n": n})
    assert history.prune(path, keep=1) == 3
    assert history.read(path) == [{"n": 3}]
    assert history.prune(path, keep=0) == 1 and history.read(path) == []


def test_read_skips_a_broken_line_and_a_missing_file(tmp_path):
    path = tmp_path / "history.jsonl"
    assert history.read(path) == []
    path.write_text('{"n": 1}\n{half\n{"n": 2}\n', encoding="utf-8")
    assert history.read(path) == [{"n": 1}, {"n": 2}]
