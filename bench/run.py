"""Benchmark the full matrix: cold vs warm, parallel vs sequential, uv vs pip, against its floor (`tox -e bench`).

Each configuration runs the real matrix with its own tox work dir, so "cold" really creates every env.
Writes report/out/bench.json; the report shows it in its footer. Medians over --runs runs, because the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
OUTPUT = ROOT / "report" / "out" / "bench.json"
# Two envs, one old and one new Python, are enough to compare env creation by pip and by uv.
PIP_ENVS = "dj31,dj61"


def tox(*args: str, workdir: Path, runner: str | None = None) -> float:
    """Run tox from the project root (where .python-version lives) and return its wall time."""
    command = [sys.executable, "-m", "tox", *args, "--workdir", str(workdir)]
    # tox.ini reads the runner from TOX_RUNNER: a --runner flag would not override the one it configures.
    env = {**os.environ, "TOX_RUNNER": runner} if runner else None
    started = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(f"bench: `{' '.join(command[2:])}` failed with exit code {completed.returncode}")
    return elapsed


def env_breakdown() -> dict[str, dict[str, Any]]:
    """Per env, from the results files the last run wrote: where its time went, and its floor."""
    envs = {}
    for path in sorted(RESULTS.glob("dj*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        timings = data.get("timings", {})
        servers = timings.get("servers", [])
        first_start: dict[str, float] = {}
        for server in servers:
            first_start.setdefault(server["server"], server["startup"])
        # Deliberate waits: the concurrency waves, which must take their sleeps by design.
        waves = sum(sum(row["measurements"].get("walls", [])) for row in data["probes"])
        envs[data["env"]] = {
            "duration": data["duration"],
            "session_startup": timings.get("session_startup"),
            "server_starts": len(servers),
            "server_startup_total": round(sum(server["startup"] for server in servers), 3),
            "setup": timings.get("setup"),
            "call": timings.get("call"),
            "teardown": timings.get("teardown"),
            "probes": {f"{row['id']}@{row['server'] or '-'}": row["duration"] for row in data["probes"]},
            "floor": round(waves + sum(first_start.values()), 3),
        }
    return envs


def verdicts() -> dict[str, str]:
    """Every cell's state in the results the last matrix run wrote, keyed `env probe@server`."""
    found = {}
    for path in sorted(RESULTS.glob("dj*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data["probes"]:
            found[f"{data['env']} {row['id']}@{row['server'] or '-'}"] = row["state"]
    return found


def flips(snapshots: list[dict[str, str]]) -> dict[str, list[str]]:
    """The cells whose state was not the same in every snapshot, with the states in run order."""
    cells = sorted({cell for snapshot in snapshots for cell in snapshot})
    seen = {cell: [snapshot.get(cell, "missing") for snapshot in snapshots] for cell in cells}
    return {cell: states for cell, states in seen.items() if len(set(states)) > 1}


def one_run(scratch: Path) -> dict[str, Any]:
    work = scratch / "work"
    shutil.rmtree(work, ignore_errors=True)
    run: dict[str, Any] = {"cold_parallel": tox("p", "-m", "probes", workdir=work)}
    snapshots = [verdicts()]
    run["warm_parallel"] = tox("p", "-m", "probes", workdir=work)
    snapshots.append(verdicts())
    run["envs"] = env_breakdown()
    run["warm_sequential"] = tox("r", "-m", "probes", workdir=work)
    snapshots.append(verdicts())
    # Two cores busy with two envs against one env at a time: a timing-based verdict must not care.
    run["parallel_vs_sequential_flips"] = flips(snapshots[1:])
    run["verdicts"] = snapshots
    pip_work, uv_work = scratch / "pip", scratch / "uv"
    for folder in (pip_work, uv_work):
        shutil.rmtree(folder, ignore_errors=True)
    run["create_pip"] = tox("r", "--notest", "-e", PIP_ENVS, workdir=pip_work, runner="virtualenv")
    run["create_uv"] = tox("r", "--notest", "-e", PIP_ENVS, workdir=uv_work)
    for folder, maker in ((pip_work, "virtualenv"), (uv_work, "uv")):
        made_by = _made_by(folder / PIP_ENVS.split(",")[0])
        if made_by != maker:
            raise SystemExit(f"bench: {folder.name} envs were made by {made_by}, not {maker}: the comparison is void")
    cores = os.cpu_count() or 1
    run["floor"] = round(sum(env["floor"] for env in run["envs"].values()) / cores, 3)
    return run


def _made_by(env_dir: Path) -> str | None:
    """Which tool created a venv, from the key it leaves in pyvenv.cfg (`virtualenv = ...` or `uv = ...`)."""
    config = (env_dir / "pyvenv.cfg").read_text(encoding="utf-8")
    return next((tool for tool in ("virtualenv", "uv") if re.search(rf"^{tool} = ", config, re.M)), None)


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(float(statistics.median(run[key] for run in runs)), 3)

    keys = ("cold_parallel", "warm_parallel", "warm_sequential", "create_pip", "create_uv", "floor")
    medians = {key: median(key) for key in keys}
    snapshots = [snapshot for run in runs for snapshot in run["verdicts"]]
    return {
        "stability": {"matrix_runs": len(snapshots), "flips": flips(snapshots)},
        "medians": medians,
        "ratios": {
            "warm_parallel_over_floor": round(medians["warm_parallel"] / medians["floor"], 2),
            "cold_over_warm": round(medians["cold_parallel"] / medians["warm_parallel"], 2),
            "sequential_over_parallel": round(medians["warm_sequential"] / medians["warm_parallel"], 2),
            "pip_over_uv": round(medians["create_pip"] / medians["create_uv"], 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="how many times to run everything (medians are quoted)")
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-", dir=ROOT / ".tox" if (ROOT / ".tox").is_dir() else None) as tmp:
        for number in range(1, args.runs + 1):
            print(f"bench: run {number}/{args.runs}", flush=True)
            runs.append(one_run(Path(tmp)))
            print(json.dumps({k: v for k, v in runs[-1].items() if k not in ("envs", "verdicts")}), flush=True)
    summary = summarize(runs)
    for run in runs:
        del run["verdicts"]  # summarized as "stability"; thousands of cells per run would bury the timings
    data = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "notes": {
            "cold": "no envs exist: every env is created by tox-uv (uv's package cache stays warm)",
            "floor": "per env: the concurrency waves' wall time plus one start per server kind; summed, divided by the cores",
            "create_pip_vs_uv": f"env creation only (--notest) of {PIP_ENVS}: virtualenv+pip vs tox-uv",
        },
        **summary,
        "runs": runs,
    }
    OUTPUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"medians": data["medians"], "ratios": data["ratios"]}, indent=1))
    print(f"bench: wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
