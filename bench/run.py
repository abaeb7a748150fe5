"""Benchmark the two-axis matrix against its floor: cold and warm, parallel and sequential, the latest axis alone,
and warm with both cores busy, comparing every cell's state across all those runs (`python bench/run.py`).

The floor binds: no warm parallel run can be shorter than the CPU time it used spread over every core, nor than
its longest env (at that env's fastest in the repetition). It is the larger of the two; sleeps that overlap do not
count twice. Each run's CPU time is its tox process tree's (getrusage of the children bench waited for), so the
busy-loop processes of the busy run are not in it.

Each repetition creates every env in its own tox work dir (cold), then reruns them there (warm). The parallel runs
use the README's main command (`tox p ...`, read from .ci/run, which runs exactly what the README says). Writes
report/out/bench.json, which the report shows in its Timings footer. Medians over --repeat repetitions.

Run it alone on the machine: it measures the machine's CPU use and two of its runs keep both cores busy on purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

from contract.atomic import write_text_atomically  # noqa: E402  (stdlib only, as the reader below)
from report.reader import read_json  # noqa: E402  (stdlib only: the Python that has tox can run bench)

RESULTS = ROOT / "results"
OUTPUT = ROOT / "report" / "out" / "bench.json"
CI_SCRIPT = ROOT / ".ci" / "run"
# Two envs, one old and one new Python, are enough to compare env creation by pip and by uv (--pip-vs-uv).
PIP_ENVS = "dj31,dj61"
BUSY_LOOP = "while True: pass"
# The timed runs of one repetition, in order; each leaves a snapshot of every cell's state.
MATRIX_RUNS = ("cold_parallel", "warm_parallel", "latest_only", "busy_parallel", "warm_sequential")


def main_command(script: Path = CI_SCRIPT) -> list[str]:
    """The arguments of the README's main command after `tox p` (e.g. ["-p", "4"]), from .ci/run."""
    for line in script.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["tox", "p"]:
            return words[2:]
    raise SystemExit(f"bench: {script.relative_to(ROOT)} has no `tox p` line; the README's main command is unknown")


def tox_envs(label: str) -> list[str]:
    """The envs of a tox.ini label (`probes`, `latest`), in tox.ini's order."""
    listing = subprocess.run(
        [sys.executable, "-m", "tox", "l", "-q", "-m", label], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]


def select_envs(requested: str | None, every: list[str]) -> list[str]:
    """The probe envs `--envs` names (comma-separated), in tox.ini's order; all of them when it names none."""
    if not requested:
        return every
    chosen = set(requested.split(","))
    unknown = sorted(chosen - set(every))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} is not a probe env in tox.ini (one of {', '.join(every)})")
    return [env for env in every if env in chosen]


class Timed(NamedTuple):
    """A command's wall time (s), exit code, and the CPU time (s) it and the descendants it waited for used."""

    wall: float
    code: int
    cpu: float


def children_cpu() -> float:
    """User + system CPU seconds of every child process this one has waited for (and theirs), so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run `command` from the project root, its output discarded; its wall time, exit code and CPU time.

    The CPU time misses only a descendant that outlives its parent (a daemon that forked away), never waited for.
    """
    cpu, started = children_cpu(), time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return Timed(round(time.monotonic() - started, 3), completed.returncode, round(children_cpu() - cpu, 3))


def tox(*args: str, workdir: Path, runner: str | None = None) -> Timed:
    """Run tox from the project root (where .python-version lives): run_timed."""
    command = [sys.executable, "-m", "tox", *args, "--workdir", str(workdir)]
    # tox.ini reads the runner from TOX_RUNNER: a --runner flag would not override the one it configures.
    done = run_timed(command, {**os.environ, "TOX_RUNNER": runner} if runner else None)
    if done.code != 0:
        print(f"bench: `{' '.join(command[2:])}` exited with code {done.code}", file=sys.stderr, flush=True)
    return done


def cpu_ticks(stat: Path = Path("/proc/stat")) -> tuple[int, int]:
    """The machine's (busy, total) CPU ticks since boot, from the `cpu` line of /proc/stat (idle and iowait are idle)."""
    fields = [int(value) for value in stat.read_text(encoding="ascii").splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def cpu_use(before: tuple[int, int], after: tuple[int, int], cores: int) -> dict[str, float]:
    """The share of the machine busy between two cpu_ticks readings: in % of all cores, and in cores."""
    busy, total = after[0] - before[0], after[1] - before[1]
    share = busy / total if total else 0.0
    return {"percent_of_machine": round(100 * share, 1), "cores_busy": round(share * cores, 2)}


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """`count` busy-loop processes for the block's duration, killed by their PID afterwards."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def load_results(envs: list[str], results: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """The results file each env wrote, read by the report's reader (an env without a readable results object is
    left out: its cells count as missing)."""
    found = {}
    for env in envs:
        data, _ = read_json(results / f"{env}.json")
        if isinstance(data, dict):
            found[env] = data
    return found


def verdicts(envs: list[str], results: dict[str, dict[str, Any]], field: str = "state") -> dict[str, dict[str, str]]:
    """Per env that ran, every cell's state (or its `field`, e.g. "reason"), keyed `probe@server` (an env with no
    results has no cells)."""
    return {
        env: {f"{row['id']}@{row['server'] or '-'}": row[field] for row in results.get(env, {}).get("probes", [])}
        for env in envs
    }


def undecided(snapshot: dict[str, dict[str, str]]) -> int:
    """How many cells of one run's verdicts are undecided."""
    return sum(state == "undecided" for cells in snapshot.values() for state in cells.values())


def flips(snapshots: list[dict[str, dict[str, str]]]) -> dict[str, list[str]]:
    """The cells, keyed `env probe@server`, whose state was not the same in every run of their env, in run order.

    A run that did not include an env says nothing about its cells; a cell missing from a run that did is "missing".
    """
    found = {}
    for env in sorted({env for snapshot in snapshots for env in snapshot}):
        runs = [snapshot[env] for snapshot in snapshots if env in snapshot]
        for cell in sorted({cell for run in runs for cell in run}):
            states = [run.get(cell, "missing") for run in runs]
            if len(set(states)) > 1:
                found[f"{env} {cell}"] = states
    return found


def flip_reasons(flipped: dict[str, list[str]], snapshots: list[dict[str, dict[str, str]]]) -> dict[str, list[str]]:
    """What each flipped cell's reason said, in the order `flips` lists its states (`snapshots`: verdicts of
    "reason"): the evidence of the run that read differently, which no results file keeps once the next run
    overwrites it."""
    found = {}
    for key in flipped:
        env, cell = key.split(" ", 1)
        found[key] = [snapshot[env].get(cell, "missing") for snapshot in snapshots if env in snapshot]
    return found


def env_waits(data: dict[str, Any]) -> dict[str, float]:
    """What one env spends on purpose, as its results file's timings say: what the probes waited (their requests'
    sleeps, a stream's pauses: contract/rows.py WAITED), the delay they injected into I/O, and one start per server
    kind and per service kind (PostgreSQL, Redis, memcached). Overlapping sleeps make their sum no floor of a run."""
    timings = data.get("timings", {})
    waited = timings.get("waited", 0.0)
    first: dict[str, float] = {}
    for start in timings.get("servers", []):
        first.setdefault(start["server"], start["startup"])
    for start in timings.get("services", []):
        first.setdefault(start["service"], start["startup"])
    injected = timings.get("injected_delay", 0.0)
    starts = sum(first.values())
    return {
        "waited": round(waited, 3),
        "injected_delay": round(injected, 3),
        "starts": round(starts, 3),
        "deliberate": round(waited + injected + starts, 3),
    }


def longest_env(runs: list[dict[str, float | None]]) -> tuple[str, float] | None:
    """The env whose fastest run (each run: env -> its results file's duration) was the slowest, and that duration:
    no run of every env ends sooner, however many run at once. None when no run timed an env."""
    fastest: dict[str, float] = {}
    for durations in runs:
        for env, seconds in durations.items():
            if seconds is not None:
                fastest[env] = min(seconds, fastest.get(env, seconds))
    if not fastest:
        return None
    env = max(fastest, key=fastest.__getitem__)
    return env, fastest[env]


def floor(cpu_seconds: float, cores: int, longest: float) -> float:
    """The shortest a run can take: the CPU time it used spread over every core, or its longest env if longer."""
    return round(max(cpu_seconds / cores, longest), 3)


def env_breakdown(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per env, from the results files of one run: where its time went, what it spent on purpose, its loop noise."""
    envs = {}
    for env, data in results.items():
        timings = data.get("timings", {})
        servers, services = timings.get("servers", []), timings.get("services", [])
        envs[env] = {
            "duration": data.get("duration"),
            "complete": data.get("complete"),
            "session_startup": timings.get("session_startup"),
            "setup": timings.get("setup"),
            "call": timings.get("call"),
            "teardown": timings.get("teardown"),
            "server_starts": len(servers),
            "server_startup_total": round(sum(start["startup"] for start in servers), 3),
            "service_startup_total": round(sum(start["startup"] for start in services), 3),
            "noise_ms": timings.get("noise_ms"),
            **env_waits(data),
            "probes": {f"{row['id']}@{row['server'] or '-'}": row["duration"] for row in data.get("probes", [])},
        }
    return envs


def one_repetition(
    scratch: Path, envs: list[str], latest: list[str], parallel: list[str], sequential: str = "all"
) -> dict[str, Any]:
    """Every timed run once; each run's wall time, exit code, CPU time and undecided cells, the warm run's machine CPU
    use and per-env breakdown, and the floor (module docstring) with its two parts.

    `sequential`: which envs the one-at-a-time run covers ("all", "latest" or "none"), the longest run by far.
    """
    work = scratch / "work"
    shutil.rmtree(work, ignore_errors=True)
    cores = os.cpu_count() or 1
    run: dict[str, Any] = {"exit_codes": {}, "cpu_seconds": {}, "undecided": {}, "verdicts": [], "reasons": []}
    durations: list[dict[str, float | None]] = []

    def timed(name: str, *args: str) -> None:
        run[name], run["exit_codes"][name], run["cpu_seconds"][name] = tox(*args, workdir=work)
        ran = latest if name == "latest_only" or (name == "warm_sequential" and sequential == "latest") else envs
        results = load_results(ran)
        run["verdicts"].append(verdicts(ran, results))
        run["reasons"].append(verdicts(ran, results, "reason"))
        run["undecided"][name] = undecided(run["verdicts"][-1])
        durations.append({env: data.get("duration") for env, data in results.items()})

    timed("cold_parallel", "p", *parallel, "-e", ",".join(envs))
    before = cpu_ticks()
    timed("warm_parallel", "p", *parallel, "-e", ",".join(envs))
    run["cpu_warm_parallel"] = cpu_use(before, cpu_ticks(), cores)
    run["envs"] = env_breakdown(load_results(envs))
    timed("latest_only", "p", *parallel, "-e", ",".join(latest))
    # Both cores kept busy by two other processes: a timing-based verdict must not care.
    with busy_cores(cores):
        timed("busy_parallel", "p", *parallel, "-e", ",".join(envs))
    if sequential != "none":
        run["sequential_envs"] = sequential
        timed("warm_sequential", "r", "-e", ",".join(latest if sequential == "latest" else envs))
    run["cpu_over_cores"] = round(run["cpu_seconds"]["warm_parallel"] / cores, 3)
    run["longest_env_name"], run["longest_env"] = longest_env(durations) or (None, 0.0)
    run["floor"] = floor(run["cpu_seconds"]["warm_parallel"], cores, run["longest_env"])
    return run


def pip_vs_uv(scratch: Path) -> dict[str, float]:
    """Env creation only (--notest) of PIP_ENVS by virtualenv + pip and by tox-uv, each in a fresh work dir."""
    times = {}
    for name, runner, maker in (("create_pip", "virtualenv", "virtualenv"), ("create_uv", None, "uv")):
        folder = scratch / name
        shutil.rmtree(folder, ignore_errors=True)
        times[name] = tox("r", "--notest", "-e", PIP_ENVS, workdir=folder, runner=runner).wall
        made_by = _made_by(folder / PIP_ENVS.split(",")[0])
        if made_by != maker:
            raise SystemExit(f"bench: {name} envs were made by {made_by}, not {maker}: the comparison is void")
    return times


def _made_by(env_dir: Path) -> str | None:
    """Which tool created a venv, from the key it leaves in pyvenv.cfg (`virtualenv = ...` or `uv = ...`)."""
    config = (env_dir / "pyvenv.cfg").read_text(encoding="utf-8")
    return next((tool for tool in ("virtualenv", "uv") if re.search(rf"^{tool} = ", config, re.M)), None)


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 2) if top is not None and bottom else None


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repetitions, the ratios the goal is stated in, and the cells that flipped across every run."""

    def median(key: str) -> float | None:
        values = [run[key] for run in runs if key in run]
        return round(float(statistics.median(values)), 3) if values else None

    keys = (*MATRIX_RUNS, "floor", "cpu_over_cores", "longest_env", "create_pip", "create_uv")
    medians = {key: value for key in keys if (value := median(key)) is not None}
    cpu = [run["cpu_warm_parallel"] for run in runs if "cpu_warm_parallel" in run]
    snapshots = [snapshot for run in runs for snapshot in run["verdicts"]]
    flipped = flips(snapshots)
    ratios = {
        "warm_parallel_over_floor": _ratio(medians.get("warm_parallel"), medians.get("floor")),
        "cold_over_warm": _ratio(medians.get("cold_parallel"), medians.get("warm_parallel")),
        "full_over_latest_only": _ratio(medians.get("warm_parallel"), medians.get("latest_only")),
        "busy_over_warm": _ratio(medians.get("busy_parallel"), medians.get("warm_parallel")),
        # against the parallel run of the same envs
        "sequential_over_parallel": _ratio(
            medians.get("warm_sequential"),
            medians.get("latest_only" if runs[0].get("sequential_envs") == "latest" else "warm_parallel"),
        ),
        "pip_over_uv": _ratio(medians.get("create_pip"), medians.get("create_uv")),
    }
    failed = sorted({name for run in runs for name, code in run.get("exit_codes", {}).items() if code})
    return {
        "stability": {
            "matrix_runs": len(snapshots),
            "flips": flipped,
            "flip_reasons": flip_reasons(flipped, [snapshot for run in runs for snapshot in run.get("reasons", [])]),
            "undecided": [run.get("undecided", {}) for run in runs],
        },
        "medians": medians,
        "ratios": {name: value for name, value in ratios.items() if value is not None},
        "cpu_warm_parallel": {
            key: round(float(statistics.median(reading[key] for reading in cpu)), 2) for key in cpu[0]
        }
        if cpu
        else None,
        "failed_runs": failed,
    }


def save(path: Path, data: dict[str, Any]) -> None:
    """Write bench.json whole or not at all: a benchmark takes most of an hour, and a report reads the file."""
    write_text_atomically(path, json.dumps(data, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="how many times to run everything (medians are quoted)")
    parser.add_argument("--envs", help="comma-separated probe envs to run instead of all (a trial on a subset)")
    parser.add_argument(
        "--parallel", help="tox p's -p value instead of the README's main command (to measure another setting)"
    )
    parser.add_argument(
        "--sequential",
        choices=("all", "latest", "none"),
        default="all",
        help="the envs of the one-env-at-a-time run: all, the latest axis only (half the time), or none",
    )
    parser.add_argument("--pip-vs-uv", action="store_true", help=f"also time creating {PIP_ENVS} by pip and by uv")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the JSON (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        envs = select_envs(args.envs, tox_envs("probes"))
    except ValueError as exc:
        parser.error(f"--envs: {exc}")
    latest = [env for env in tox_envs("latest") if env in envs]
    parallel = ["-p", args.parallel] if args.parallel else main_command()
    runs = []
    tox_dir = ROOT / ".tox"
    with tempfile.TemporaryDirectory(prefix="bench-", dir=tox_dir if tox_dir.is_dir() else None) as tmp:
        for number in range(1, args.repeat + 1):
            print(
                f"bench: repetition {number}/{args.repeat} of {len(envs)} envs, tox p {' '.join(parallel)}", flush=True
            )
            run = one_repetition(Path(tmp), envs, latest, parallel, args.sequential)
            if args.pip_vs_uv:
                run.update(pip_vs_uv(Path(tmp)))
            runs.append(run)
            print(json.dumps({k: v for k, v in run.items() if k not in ("envs", "verdicts", "reasons")}), flush=True)
    summary = summarize(runs)
    for run in runs:
        # summarized as "stability"; thousands of cells per run would bury the timings
        del run["verdicts"], run["reasons"]
    data = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "command": " ".join(["tox", "p", *parallel]),
        "envs": envs,
        "notes": {
            "cold_parallel": "no envs exist: every env is created by tox-uv (uv's package cache stays warm)",
            "warm_parallel": "the same envs again, with the README's main command; CPU use is the machine's",
            "latest_only": "the latest axis alone (djXY), warm, parallel: the matrix before the as-shipped axis",
            "busy_parallel": "warm, parallel, while one busy-loop process per core competes for the CPU",
            "warm_sequential": f"warm, one env at a time (tox r), {args.sequential} envs",
            "floor": "the larger of cpu_over_cores and longest_env: no warm parallel run can be shorter",
            "cpu_over_cores": "the CPU time the warm parallel run's tox process tree used, divided by the cores",
            "longest_env": "the env whose fastest run in the repetition was the slowest (longest_env_name), that run",
            "deliberate": "per env (runs.envs): what its probes waited on purpose, the delay they injected into I/O, "
            "and one start per server and service kind; overlapping sleeps make it no floor of a run",
            "flips": "cells whose state was not the same in every run of their env (the goal is none)",
            "flip_reasons": "each flipped cell's reason, run by run, in the order of its states in flips",
            "undecided": "per repetition, the undecided cells of each run (the goal is none)",
        },
        **summary,
        "runs": runs,
    }
    save(args.output, data)
    print(json.dumps({key: data[key] for key in ("medians", "ratios", "cpu_warm_parallel")}, indent=1))
    print(f"bench: {len(summary['stability']['flips'])} cell(s) flipped; wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
