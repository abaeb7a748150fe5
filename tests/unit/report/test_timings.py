"""Timings: each env's own from its results, the benchmark's medians and stability when bench.json is there."""

from __future__ import annotations

import json
from unittest import mock

from report import html, markdown
from report.timings import env_rows, load_bench, milliseconds, stability_text, timing_rows
from report.view import Report

BENCH = {
    "when": "2026-11-25T13:00:00+00:00",
    "cores": 2,
    "command": "tox p -p 4",
    "envs": ["dj52", "dj61", "dj52-shipped"],
    "cpu_warm_parallel": {"percent_of_machine": 75.5, "cores_busy": 1.51},
    "failed_runs": [],
    "medians": {
        "cold_parallel": 200.0,
        "warm_parallel": 150.0,
        "latest_only": 80.0,
        "busy_parallel": 170.0,
        "warm_sequential": 280.0,
        "floor": 100.0,
        "cpu_over_cores": 100.0,
        "longest_env": 70.0,
    },
    "ratios": {"warm_parallel_over_floor": 1.5, "cold_over_warm": 1.33},
    "stability": {
        "matrix_runs": 9,
        "flips": {"dj52 views.x@<b>uvicorn</b>": ["native", "undecided"]},
        "undecided": [
            {"cold_parallel": 0, "warm_parallel": 1, "latest_only": 0, "busy_parallel": 0, "warm_sequential": 0},
            {"cold_parallel": 0, "warm_parallel": 0, "latest_only": 0, "busy_parallel": 2},
        ],
    },
    "runs": [{}, {}, {}],
}


def _data(built_report):
    return json.loads((built_report / "results.json").read_text(encoding="utf-8"))


def test_env_rows_cover_the_envs_that_ran(built_report):
    rows = env_rows(_data(built_report))
    assert [row["env"] for row in rows] == ["dj52", "dj61"]
    assert rows[0]["duration"] == 1.0
    assert rows[0]["probes"] == 0.4  # four rows of 0.1 s each
    assert rows[0]["slowest"] == "asgi.entrypoint@uvicorn 0.10 s"


def test_timing_rows_put_each_shipped_env_after_its_release_latest_env():
    latest = [{"version": "5.2", "env": "dj52"}, {"version": "6.1", "env": "dj61"}]
    shipped = [{"version": "6.1", "env": "dj61-shipped"}, {"version": "3.0", "env": "dj30-shipped"}]
    data = {"releases": [], "cells": [], "axes": {"shipped": {"timings": shipped}}}
    with mock.patch("report.timings.env_rows", return_value=latest):
        rows = timing_rows(data)
    assert [row["env"] for row in rows] == ["dj52", "dj61", "dj61-shipped", "dj30-shipped"]


def test_timing_rows_without_a_shipped_axis_are_the_latest_envs(built_report):
    data = _data(built_report)
    assert timing_rows({key: value for key, value in data.items() if key != "axes"}) == env_rows(data)


def test_no_bench_file_is_no_problem(tmp_path):
    assert load_bench(tmp_path / "bench.json") == (None, None)


def test_a_broken_bench_file_is_a_warning_with_the_fix(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text('{"when": ', encoding="utf-8")
    bench, problem = load_bench(path)
    assert bench is None
    assert problem.startswith("bench.json is unreadable (JSONDecodeError")
    assert problem.endswith("rerun `python bench/run.py`")


def _bench(tmp_path, data=BENCH):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bench, problem = load_bench(path)
    assert problem is None
    return bench


def test_bench_summary_counts_runs_and_keeps_stability(tmp_path):
    bench = _bench(tmp_path)
    assert bench["runs"] == 3
    assert bench["stability"]["matrix_runs"] == 9


def test_bench_rows_are_the_medians_it_measured_in_order(tmp_path):
    labels = [label for label, _ in _bench(tmp_path)["rows"]]
    assert labels[:2] == ["cold, parallel (every env created by tox-uv)", "warm, parallel (the README's main command)"]
    assert len(labels) == 8  # no pip vs uv timing in this run: no row for it
    floor, cpu, longest = _bench(tmp_path)["rows"][-3:]
    assert floor == ("floor: the larger of the two below (no warm parallel run can be shorter)", 100.0)
    assert cpu == ("the CPU time the warm parallel run used, over the cores", 100.0)
    assert longest == ("the longest env, at its fastest in the repetition", 70.0)


def test_stability_gives_the_undecided_cells_of_every_run(tmp_path):
    assert stability_text(_bench(tmp_path)).endswith(
        "native → undecided. Undecided cells per run: cold 0, warm 1, latest axis alone 0, both cores busy 0, one env at a time 0; "
        "cold 0, warm 0, latest axis alone 0, both cores busy 2."
    )
    older = {**BENCH, "stability": {"matrix_runs": 9, "flips": {}}}
    assert stability_text(_bench(tmp_path, older)).endswith("every cell reached the same state in every run.")


def test_env_rows_give_each_envs_worst_idle_loop_noise():
    data = {
        "releases": [
            {"version": "5.2", "env": "dj52", "duration": 9.0, "timings": {"noise_ms": 12.5}},
            {"version": "6.1", "env": "dj61", "duration": 9.0, "timings": {}},  # recorded before noise was
        ],
        "cells": [],
    }
    assert [milliseconds(row["noise_ms"]) for row in env_rows(data)] == ["12.5 ms", "—"]


def test_setting_names_the_command_the_envs_the_cpu_use_and_failed_runs(tmp_path):
    assert _bench(tmp_path)["setting"] == (
        "Command: tox p -p 4, on 3 envs; CPU use during the warm parallel run: 151% of one core (76% of the machine)."
    )
    failed = _bench(tmp_path, {**BENCH, "failed_runs": ["busy_parallel"], "cpu_warm_parallel": None})["setting"]
    assert failed == "Command: tox p -p 4, on 3 envs; these runs exited non-zero: busy_parallel."
    older = {key: value for key, value in BENCH.items() if key != "command"}
    assert _bench(tmp_path, older)["setting"] is None


def test_markdown_shows_medians_ratios_and_flips(built_report, tmp_path):
    text = markdown.render(Report(_data(built_report), None, _bench(tmp_path)))
    assert "## Timings" in text
    assert "| warm, parallel (the README's main command) | 150.0 s |" in text
    assert "Command: tox p -p 4, on 3 envs;" in text
    assert "warm parallel over floor 1.5" in text
    assert "Stability: 9 matrix runs (cold, warm, latest axis alone, both cores busy, one env at a time);" in text
    assert "1 cell(s) changed state: dj52 views.x@&lt;b&gt;uvicorn&lt;/b&gt; native → undecided" in text


def test_markdown_says_how_to_get_a_benchmark(built_report):
    assert "No benchmark yet: `python bench/run.py`" in markdown.render(Report(_data(built_report)))


def test_html_footer_escapes_and_shows_the_benchmark(built_report, tmp_path):
    page = html.render(Report(_data(built_report), None, _bench(tmp_path)))
    assert "<td>170.0 s</td>" in page  # the busy run's median
    assert 'id="timings-table"' in page and 'id="bench-table"' in page
    assert "<b>uvicorn</b>" not in page
    assert "&lt;b&gt;uvicorn&lt;/b&gt;" in page


def test_both_renderers_show_each_envs_worst_loop_noise(built_report):
    data = _data(built_report)
    noisy = {
        **data,
        "releases": [{**r, "timings": {**r.get("timings", {}), "noise_ms": 3.25}} for r in data["releases"]],
    }
    assert "| Loop noise (worst) |" in markdown.render(Report(noisy))
    assert "| 3.2 ms |" in markdown.render(Report(noisy))
    page = html.render(noisy)
    assert "<th>Loop noise (worst)</th>" in page and "<td>3.2 ms</td>" in page
