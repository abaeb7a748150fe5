"""The benchmark's arithmetic: flips between runs, each env's floor, CPU use, medians and ratios, and its inputs."""

from __future__ import annotations

import os
import subprocess

import pytest

from bench.run import _made_by, busy_cores, cpu_ticks, cpu_use, env_floor, flips, main_command, select_envs, summarize

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


def test_env_floor_counts_waves_pauses_injected_delay_and_one_start_per_server_and_service_kind():
    data = {
        "probes": [
            {"measurements": {"walls": [0.25, 0.25]}},
            {"measurements": {"walls": [0.5]}},
            {"measurements": {"produced_gaps": [0.3, 0.3]}},
            {"measurements": {}},
        ],
        "timings": {
            "servers": [
                {"server": "uvicorn", "startup": 0.4},
                {"server": "daphne", "startup": 0.5},
                {"server": "daphne", "startup": 0.9},  # a second daphne (over TLS) is not part of the floor
            ],
            "services": [{"service": "postgresql", "startup": 1.0}, {"service": "redis", "startup": 0.1}],
            "injected_delay": 20.0,
        },
    }
    assert env_floor(data) == {"waves": 1.0, "pauses": 0.6, "injected_delay": 20.0, "starts": 2.0, "floor": 23.6}


def test_env_floor_of_a_results_file_from_before_services_were_timed():
    data = {
        "probes": [{"measurements": {"walls": [0.2]}}],
        "timings": {"servers": [{"server": "uvicorn", "startup": 0.3}]},
    }
    assert env_floor(data)["floor"] == 0.5


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
    runs = [
        {**TIMES, "floor": 25.0, "verdicts": one, "cpu_warm_parallel": {"percent_of_machine": 70.0, "cores_busy": 1.4}},
        {**TIMES, "warm_parallel": 110.0, "floor": 26.0, "verdicts": one, "exit_codes": {"busy_parallel": 1}},
        {
            **TIMES,
            "warm_parallel": 90.0,
            "floor": 27.0,
            "verdicts": [*one[:3], {"dj52": {"x@-": "blocking"}}, one[0]],
            "cpu_warm_parallel": {"percent_of_machine": 80.0, "cores_busy": 1.6},
        },
    ]
    summary = summarize(runs)
    assert summary["medians"]["warm_parallel"] == 100.0
    assert summary["medians"]["floor"] == 26.0
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
    assert summary["stability"] == {"matrix_runs": 15, "flips": {"dj52 x@-": ["native"] * 13 + ["blocking", "native"]}}


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
