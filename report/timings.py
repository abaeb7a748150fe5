"""Where the matrix's time goes: each env's own timings (from its results file) and the benchmark's medians.

The benchmark (`python bench/run.py`) writes report/out/bench.json; the report shows it when it is there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from report.model import EnvTimings, ReportData, TimingRow

BENCH_PATH = Path(__file__).resolve().parent / "out" / "bench.json"
# The benchmark's medians the report shows, in order, with what each one timed.
BENCH_ROWS = (
    ("cold_parallel", "cold, parallel (every env created by tox-uv)"),
    ("warm_parallel", "warm, parallel (the README's main command)"),
    ("latest_only", "warm, parallel, the latest axis alone"),
    ("busy_parallel", "warm, parallel, with both cores kept busy"),
    ("warm_sequential", "warm, one env at a time"),
    ("floor", "floor: the larger of the two below (no warm parallel run can be shorter)"),
    ("cpu_over_cores", "the CPU time the warm parallel run used, over the cores"),
    ("longest_env", "the longest env, at its fastest in the repetition"),
    ("create_pip", "creating two envs with virtualenv + pip"),
    ("create_uv", "creating the same two envs with tox-uv"),
)
# The benchmark's matrix runs of one repetition, in order, as the stability sentence names them.
RUN_NAMES = {
    "cold_parallel": "cold",
    "warm_parallel": "warm",
    "latest_only": "latest axis alone",
    "busy_parallel": "both cores busy",
    "warm_sequential": "one env at a time",
}


class Stability(TypedDict):
    """Whether the benchmark's matrix runs reached the same states (bench/run.py `stability`)."""

    matrix_runs: int
    flips: dict[str, list[str]]  # cell -> its states, run by run, where they differ
    undecided: NotRequired[list[dict[str, int]]]  # per repetition: run -> undecided cells (not in older files)


class BenchSummary(TypedDict):
    """What the report shows of report/out/bench.json."""

    when: str
    cores: int
    medians: dict[str, float]
    ratios: dict[str, float]
    runs: int
    stability: Stability | None
    rows: list[tuple[str, float]]  # (what was timed, its median), in BENCH_ROWS order
    setting: str | None


def env_rows(data: ReportData) -> list[TimingRow]:
    """Per env that ran: wall time, start-up before the first probe, server starts, its slowest probe, and its worst
    idle loop noise (ms; None for a results file from before it was recorded)."""
    rows: list[TimingRow] = []
    for release in data["releases"]:
        timings = release.get("timings") or EnvTimings()
        if release["duration"] is None:
            continue
        timed = [
            (duration, c["subject"])
            for c in data["cells"]
            if c["release"] == release["version"] and (duration := c["duration"]) is not None
        ]
        slowest = max(timed, key=lambda pair: pair[0], default=None)
        servers = timings.get("servers", [])
        rows.append(
            {
                "version": release["version"],
                "env": release["env"],
                "duration": release["duration"],
                "session_startup": timings.get("session_startup"),
                "server_starts": len(servers),
                "server_startup": round(sum(s["startup"] for s in servers), 3),
                "probes": round(sum(duration for duration, _ in timed), 3),
                "slowest": f"{slowest[1]} {slowest[0]:.2f} s" if slowest else "—",
                "noise_ms": timings.get("noise_ms"),
            }
        )
    return rows


def timing_rows(data: ReportData) -> list[TimingRow]:
    """env_rows of both axes, each release's latest env followed by its shipped env (`axes.shipped.timings`)."""
    shipped = {row["version"]: row for row in data["axes"]["shipped"]["timings"]} if "axes" in data else {}
    rows = []
    for row in env_rows(data):
        rows.append(row)
        if row["version"] in shipped:
            rows.append(shipped.pop(row["version"]))
    return rows + list(shipped.values())


def load_bench(path: Path = BENCH_PATH) -> tuple[BenchSummary | None, str | None]:
    """The benchmark's summary, or None and why not (no file yet is not a problem; a broken one is a warning)."""
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        when, cores, medians, ratios = (data[key] for key in ("when", "cores", "medians", "ratios"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return None, f"{path.name} is unreadable ({type(exc).__name__}: {exc}); rerun `python bench/run.py`"
    summary: BenchSummary = {
        "when": when,
        "cores": cores,
        "medians": medians,
        "ratios": ratios,
        "runs": len(data.get("runs", [])),
        "stability": data.get("stability"),
        # Only what this benchmark measured (an older file, or one run without --pip-vs-uv, has fewer medians).
        "rows": [(label, medians[key]) for key, label in BENCH_ROWS if key in medians],
        "setting": setting_text(data),
    }
    return summary, None


def setting_text(data: dict[str, Any]) -> str | None:
    """ "Command: tox p -p 4, on 24 envs; CPU use during the warm parallel run: 151% of one core (76% of the machine)."
    (None for a benchmark file from before these were recorded)."""
    if "command" not in data:
        return None
    text = f"Command: {data['command']}, on {len(data.get('envs', []))} envs"
    cpu = data.get("cpu_warm_parallel")
    if cpu:
        text += (
            f"; CPU use during the warm parallel run: {cpu['cores_busy'] * 100:.0f}% of one core "
            f"({cpu['percent_of_machine']:.0f}% of the machine)"
        )
    failed = data.get("failed_runs")
    if failed:
        text += f"; these runs exited non-zero: {', '.join(failed)}"
    return text + "."


def ratios_text(bench: BenchSummary) -> str:
    """`Ratios: warm parallel over floor 3.77, ...` from the benchmark's summary."""
    return "Ratios: " + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in bench["ratios"].items()) + "."


def stability_text(bench: BenchSummary) -> str | None:
    """What the benchmark's runs say about flaky verdicts and undecided cells, or None when it did not compare them."""
    stability = bench["stability"]
    if not stability:
        return None
    flips = stability["flips"]
    found = (
        "every cell reached the same state in every run."
        if not flips
        else f"{len(flips)} cell(s) changed state: "
        + "; ".join(f"{cell} {' → '.join(states)}" for cell, states in sorted(flips.items()))
        + "."
    )
    text = f"Stability: {stability['matrix_runs']} matrix runs ({', '.join(RUN_NAMES.values())}); {found}"
    per_run = [each for each in stability.get("undecided", []) if each]  # none in a file from before they were
    if per_run:
        counts = "; ".join(
            ", ".join(f"{RUN_NAMES.get(run, run)} {count}" for run, count in each.items()) for each in per_run
        )
        text += f" Undecided cells per run: {counts}."
    return text


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def milliseconds(value: float | None) -> str:
    """An env's loop noise as the Timings table shows it: `12.5 ms`, or `—` when it was not recorded."""
    return "—" if value is None else f"{value:.1f} ms"
