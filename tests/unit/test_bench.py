"""The benchmark's arithmetic: flips between runs, each env's floor, CPU use, medians and ratios, and its inputs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import (
    _made_by,
    busy_cores,
    cpu_ticks,
    cpu_use,
    env_waits,
    flips,
    floor,
    longest_env,
    main_command,
    run_timed,
    save,
    select_envs,
    summarize,
    undecided,
)

TIMES = {
    "cold_parallel": 120.0,
    "warm_parallel": 100.0,
    "latest_only": 50.0,
    "busy_parallel": 130.0,
    "warm_sequential": 190.0,
}


def test_flips_lists_only_cells_whose_state_changed_in_run_order():
    runs = [
        {"dj52": {"a@uvicorn": "native", "b@-": "threaded"}},
        {"dj52": {"a@uvicorn": "undecided", "b@-": "threaded"}},
        {"dj52": {"a@uvicorn": "native"}},
    ]
    assert flips(runs) == {
        "dj52 a@uvicorn": ["native", "undecided", "native"],
        "dj52 b@-": ["threaded"] * 2 + ["missing"],
    }
    assert flips(runs[:1] * 3) == {}


def test_a_run_without_an_env_says_nothing_about_its_cells():
    full = {"dj52": {"a@-": "native"}, "dj52-shipped": {"a@-": "absent"}}
    latest_only = {"dj52": {"a@-": "native"}}
    assert flips([full, latest_only, full]) == {}
    assert flips([full, {"dj52": {}, "dj52-shipped": {"a@-": "absent"}}]) == {"dj52 a@-": ["native", "missing"]}


def test_env_waits_count_deliberate_waits_injected_delay_and_one_start_per_server_and_service_kind():
    data = {
        "probes": [{"measurements": {"walls": [9.0], "produced_gaps": [9.0]}}],  # the rules' own keys: not read
        "timings": {
            "waited": 1.6,
            "servers": [
                {"server": "uvicorn", "startup": 0.4},
                {"server": "daphne", "startup": 0.5},
                {"server": "daphne", "startup": 0.9},  # a second daphne (over TLS) is not part of the floor
            ],
            "services": [{"service": "postgresql", "startup": 1.0}, {"service": "redis", "startup": 0.1}],
            "injected_delay": 20.0,
        },
    }
    assert env_waits(data) == {"waited": 1.6, "injected_delay": 20.0, "starts": 2.0, "deliberate": 23.6}


def test_env_waits_of_a_results_file_from_before_waits_and_services_were_recorded():
    data = {"timings": {"servers": [{"server": "uvicorn", "startup": 0.3}]}}
    assert env_waits(data)["deliberate"] == 0.3


def test_run_timed_counts_the_cpu_seconds_of_the_command_and_its_children():
    burn = "import subprocess, sys, time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    # the command's own child burns as much: a matrix run's CPU is mostly its envs' pytest processes
    parent = burn + f"subprocess.run([sys.executable, '-c', {burn!r}], check=True)\n"
    done = run_timed([sys.executable, "-c", parent])
    assert done.code == 0
    assert 0.55 <= done.cpu <= 1.5
    assert done.wall >= done.cpu / (os.cpu_count() or 1)
    assert run_timed([sys.executable, "-c", "raise SystemExit(3)"]).code == 3


def test_the_floor_is_the_cpu_time_over_the_cores_or_the_longest_env_whichever_is_larger():
    assert floor(cpu_seconds=262.0, cores=2, longest=95.0) == 131.0
    assert floor(cpu_seconds=100.0, cores=2, longest=95.0) == 95.0


def test_the_longest_env_is_the_one_whose_fastest_run_is_the_slowest():
    runs = [
        {"dj52": 120.0, "dj61": 80.0, "dj22-shipped": None},  # contended: dj52 was slowed
        {"dj52": 60.0, "dj61": 70.0},
        {"dj61": 75.0},
    ]
    assert longest_env(runs) == ("dj61", 70.0)
    assert longest_env([{}, {"dj22": None}]) is None


def test_undecided_counts_the_undecided_cells_of_one_run():
    assert undecided({"dj52": {"a@-": "undecided", "b@-": "native"}, "dj61": {"a@-": "undecided"}}) == 2
    assert undecided({"dj52": {}}) == 0


def test_cpu_ticks_and_use_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n", encoding="ascii")
    before = cpu_ticks(stat)
    assert before == (150, 1000)
    stat.write_text("cpu  250 0 100 900 50 0 0 0 0 0\n", encoding="ascii")
    assert cpu_use(before, cpu_ticks(stat), cores=2) == {"percent_of_machine": 66.7, "cores_busy": 1.33}
    assert cpu_use(before, before, cores=2) == {"percent_of_machine": 0.0, "cores_busy": 0.0}


def _busy_loops() -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "while True"], capture_output=True, text=True)
    return found.stdout.split()


def test_busy_cores_runs_its_loops_only_while_the_block_runs():
    with busy_cores(2):
        assert len(_busy_loops()) == 2
    assert _busy_loops() == []


def test_main_command_is_the_tox_p_line_of_the_ci_script(tmp_path):
    script = tmp_path / "run"
    script.write_text("#!/bin/sh\npython3 -m pip install tox\ntox p -p 4   # the matrix\ntox -e lint,selftest\n")
    assert main_command(script) == ["-p", "4"]
    script.write_text("tox p\n")
    assert main_command(script) == []


def test_summarize_takes_medians_and_ratios_and_counts_every_matrix_run():
    one = [{"dj52": {"x@-": "native"}}] * 5
    why = [{"dj52": {"x@-": "on the loop"}}] * 5
    none = {"undecided": dict.fromkeys(TIMES, 0)}
    runs = [
        {
            **TIMES,
            **none,
            "floor": 25.0,
            "cpu_over_cores": 25.0,
            "longest_env": 20.0,
            "verdicts": one,
            "cpu_warm_parallel": {"percent_of_machine": 70.0, "cores_busy": 1.4},
        },
        {
            **TIMES,
            **none,
            "warm_parallel": 110.0,
            "floor": 26.0,
            "cpu_over_cores": 26.0,
            "longest_env": 22.0,
            "verdicts": one,
            "exit_codes": {"busy_parallel": 1},
        },
        {
            **TIMES,
            "undecided": {**none["undecided"], "busy_parallel": 1},
            "warm_parallel": 90.0,
            "floor": 27.0,
            "cpu_over_cores": 27.0,
            "longest_env": 21.0,
            "verdicts": [*one[:3], {"dj52": {"x@-": "blocking"}}, one[0]],
            "reasons": [*why[:3], {"dj52": {"x@-": "stalled 120 ms"}}, why[0]],
            "cpu_warm_parallel": {"percent_of_machine": 80.0, "cores_busy": 1.6},
        },
    ]
    summary = summarize(runs)
    assert summary["medians"]["warm_parallel"] == 100.0
    assert summary["medians"]["floor"] == 26.0
    assert (summary["medians"]["cpu_over_cores"], summary["medians"]["longest_env"]) == (26.0, 21.0)
    assert "create_pip" not in summary["medians"]
    assert summary["ratios"] == {
        "warm_parallel_over_floor": 3.85,
        "cold_over_warm": 1.2,
        "full_over_latest_only": 2.0,
        "busy_over_warm": 1.3,
        "sequential_over_parallel": 1.9,
    }
    assert summary["cpu_warm_parallel"] == {"percent_of_machine": 75.0, "cores_busy": 1.5}
    assert summary["failed_runs"] == ["busy_parallel"]
    assert summary["stability"] == {
        "matrix_runs": 15,
        "flips": {"dj52 x@-": ["native"] * 13 + ["blocking", "native"]},
        # only the third repetition kept its reasons, as a file from before they were kept has none
        "flip_reasons": {"dj52 x@-": ["on the loop"] * 3 + ["stalled 120 ms", "on the loop"]},
        "undecided": [none["undecided"], none["undecided"], runs[2]["undecided"]],  # per repetition, per run
    }


def test_a_sequential_run_of_the_latest_axis_is_compared_with_its_parallel_run():
    runs = [{**TIMES, "floor": 50.0, "verdicts": [], "sequential_envs": "latest"}]
    assert summarize(runs)["ratios"]["sequential_over_parallel"] == 3.8  # 190 s over the latest axis' 50 s


def test_summarize_adds_pip_over_uv_when_it_was_timed():
    runs = [{**TIMES, "floor": 50.0, "verdicts": [], "create_pip": 20.0, "create_uv": 2.0}]
    assert summarize(runs)["ratios"]["pip_over_uv"] == 10.0


@pytest.mark.parametrize(
    ("line", "maker"), [("virtualenv = 21.15.11", "virtualenv"), ("uv = 0.13.9", "uv"), ("", None)]
)
def test_made_by_reads_pyvenv_cfg(tmp_path, line, maker):
    (tmp_path / "pyvenv.cfg").write_text(f"home = /usr/bin\n{line}\nversion_info = 3.9.18\n", encoding="utf-8")
    assert _made_by(tmp_path) == maker


def test_select_envs_keeps_tox_ini_order_and_refuses_an_unknown_env():
    every = ["dj52", "dj61", "dj52-shipped", "dj61-shipped"]
    assert select_envs(None, every) == every
    assert select_envs("dj61-shipped,dj52", every) == ["dj52", "dj61-shipped"]
    with pytest.raises(ValueError, match="dj99 is not a probe env in tox.ini"):
        select_envs("dj61,dj99", every)


def test_one_repetition_records_each_runs_cpu_time_and_undecided_cells_and_the_floor(tmp_path, monkeypatch):
    from bench import run as bench

    calls = []

    def fake_tox(*args, workdir, runner=None):
        calls.append(args)
        return bench.Timed(wall=100.0 + len(calls), code=0, cpu=300.0 if len(calls) == 2 else 50.0)

    def results(ran):
        # dj52 is contended in the first run only; dj61 is undecided in the busy run (the fourth)
        slow = len(calls) == 1
        state, reason = ("undecided", "gray") if len(calls) == 4 else ("native", "ran")
        rows = {
            "dj52": [{"id": "a.b", "server": None, "state": "native", "duration": 1.0, "reason": "ran"}],
            "dj61": [{"id": "a.b", "server": None, "state": state, "duration": 1.0, "reason": reason}],
        }
        durations = {"dj52": 90.0 if slow else 40.0, "dj61": 60.0}
        return {env: {"duration": durations[env], "probes": rows[env]} for env in ran}

    monkeypatch.setattr(bench, "tox", fake_tox)
    monkeypatch.setattr(bench, "load_results", results)
    monkeypatch.setattr(bench, "busy_cores", lambda count: contextlib.nullcontext())
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    run = bench.one_repetition(tmp_path, ["dj52", "dj61"], ["dj52"], ["-p", "4"])
    # the latest axis alone (the third run) has no dj61
    assert [each.get("dj61", {}).get("a.b@-") for each in run["reasons"]] == ["ran", "ran", None, "gray", "ran"]
    assert run["cpu_seconds"] == {name: 300.0 if name == "warm_parallel" else 50.0 for name in TIMES}
    assert run["undecided"] == {**dict.fromkeys(TIMES, 0), "busy_parallel": 1}
    assert (run["longest_env_name"], run["longest_env"]) == ("dj61", 60.0)
    assert run["cpu_over_cores"] == run["floor"] == 150.0


def test_results_are_read_by_the_reports_reader(tmp_path):
    """bench reads results/<env>.json as the report does: control characters stripped, a file that is not a
    results object (unreadable, not JSON, a list) left out."""
    from bench.run import load_results

    (tmp_path / "dj52.json").write_text('{"probes": [{"id": "a\\u001b[2Jb", "state": "native"}]}', encoding="utf-8")
    (tmp_path / "dj60.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "dj61.json").write_text('{"probes": ', encoding="utf-8")
    found = load_results(["dj52", "dj60", "dj61", "dj99"], tmp_path)
    assert found == {"dj52": {"probes": [{"id": "ab", "state": "native"}]}}  # the whole escape sequence is gone


def test_bench_runs_as_a_script_without_the_reports_dependencies(tmp_path):
    """`python bench/run.py` from anywhere: the reader it shares with the report needs only the standard library."""
    script = Path(__file__).resolve().parents[2] / "bench" / "run.py"
    check = (
        f"import runpy, sys; sys.argv = [{str(script)!r}, '--help']\n"
        f"try: runpy.run_path({str(script)!r}, run_name='__main__')\n"
        "except SystemExit as exit: assert exit.code == 0, exit.code\n"
        "print(sorted({'jsonschema', 'yaml', 'jinja2', 'rich'} & set(sys.modules)))"
    )
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}  # as a user runs it
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_save_writes_bench_json_whole_through_the_atomic_writer(monkeypatch, tmp_path):
    import bench.run

    written = []
    monkeypatch.setattr(bench.run, "write_text_atomically", lambda path, text: written.append((path, text)))
    save(tmp_path / "bench.json", {"medians": {"warm_parallel": 451.0}})
    assert written == [(tmp_path / "bench.json", '{\n "medians": {\n  "warm_parallel": 451.0\n }\n}\n')]
