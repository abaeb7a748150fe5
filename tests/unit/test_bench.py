"""The benchmark's arithmetic: flips between runs, medians and ratios, and which tool made an env."""

from __future__ import annotations

import pytest

from bench.run import _made_by, flips, summarize

TIMES = {"cold_parallel": 120.0, "warm_parallel": 100.0, "warm_sequential": 190.0, "create_pip": 20.0, "create_uv": 2.0}


def test_flips_lists_only_cells_whose_state_changed_in_run_order():
    runs = [
        {"dj52 a@uvicorn": "native", "dj52 b@-": "threaded"},
        {"dj52 a@uvicorn": "undecided", "dj52 b@-": "threaded"},
        {"dj52 a@uvicorn": "native"},
    ]
    assert flips(runs) == {
        "dj52 a@uvicorn": ["native", "undecided", "native"],
        "dj52 b@-": ["threaded"] * 2 + ["missing"],
    }
    assert flips(runs[:1] * 3) == {}


def test_summarize_takes_medians_and_ratios_and_counts_every_matrix_run():
    runs = [
        {**TIMES, "floor": 25.0, "verdicts": [{"x": "native"}] * 3},
        {**TIMES, "warm_parallel": 110.0, "floor": 26.0, "verdicts": [{"x": "native"}] * 3},
        {
            **TIMES,
            "warm_parallel": 90.0,
            "floor": 27.0,
            "verdicts": [{"x": "native"}, {"x": "blocking"}, {"x": "native"}],
        },
    ]
    summary = summarize(runs)
    assert summary["medians"]["warm_parallel"] == 100.0
    assert summary["medians"]["floor"] == 26.0
    assert summary["ratios"] == {
        "warm_parallel_over_floor": 3.85,
        "cold_over_warm": 1.2,
        "sequential_over_parallel": 1.9,
        "pip_over_uv": 10.0,
    }
    assert summary["stability"] == {"matrix_runs": 9, "flips": {"x": ["native"] * 7 + ["blocking", "native"]}}


@pytest.mark.parametrize(
    ("line", "maker"), [("virtualenv = 21.15.11", "virtualenv"), ("uv = 0.13.9", "uv"), ("", None)]
)
def test_made_by_reads_pyvenv_cfg(tmp_path, line, maker):
    (tmp_path / "pyvenv.cfg").write_text(f"home = /usr/bin\n{line}\nversion_info = 3.9.18\n", encoding="utf-8")
    assert _made_by(tmp_path) == maker
