"""A bounded history of runs, one JSON line per run: when, where, which versions, how many cells per state.

Each line also names the cells that changed against the baseline of that run, so reading the file top to
bottom shows when a state changed. Only the newest MAX_RUNS lines are kept; `python -m report prune --keep N`
drops older ones on demand.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from harness.atomic import write_text_atomically
from report.baseline import Comparison
from harness.states import STATES

MAX_RUNS = 100
# A run whose whole env went missing changes dozens of cells; the line keeps the first few, the report has all.
MAX_CHANGES_PER_LINE = 20
# The versions worth a column in the history: what decides a result most often.
PACKAGES = ("django", "python", "asgiref", "uvicorn", "daphne")


def entry(data: dict[str, Any], comparison: Comparison | None) -> dict[str, Any]:
    """The history line of one merged run."""
    counts = Counter(cell["state"] for cell in data["cells"])
    changes = list(comparison.changes) if comparison else []
    return {
        "generated": data["generated"],
        "started": data["run"]["first_started"],
        "host": data["run"]["host"],
        "matrix_hash": data.get("matrix_hash"),
        "envs": {
            release["env"]: {
                "status": release["status"],
                **{
                    package: release["versions"].get(package)
                    for package in PACKAGES
                    if release["versions"].get(package)
                },
            }
            for release in data["releases"]
        },
        "counts": {state: counts[state] for state in STATES if counts[state]},
        "baseline": comparison.before if comparison else None,
        "changes": comparison.counts() if comparison else {},
        "changed_cells": [
            f"{change.anchor}: {_state(change.before)} → {_state(change.after)} ({change.kind})"
            for change in changes[:MAX_CHANGES_PER_LINE]
        ]
        + ([f"… and {len(changes) - MAX_CHANGES_PER_LINE} more"] if len(changes) > MAX_CHANGES_PER_LINE else []),
    }


def read(path: Path) -> list[dict[str, Any]]:
    """Every run in the history, oldest first; a line that does not parse (a hand edit) is skipped."""
    if not path.exists():
        return []
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return runs


def append(path: Path, run: dict[str, Any], keep: int = MAX_RUNS) -> None:
    _write(path, [*read(path), run][-keep:])


def prune(path: Path, keep: int) -> int:
    """Keep only the newest `keep` runs; return how many were dropped."""
    runs = read(path)
    kept = runs[-keep:] if keep > 0 else []
    _write(path, kept)
    return len(runs) - len(kept)


def _write(path: Path, runs: list[dict[str, Any]]) -> None:
    write_text_atomically(path, "".join(json.dumps(run, ensure_ascii=False, sort_keys=True) + "\n" for run in runs))


def _state(cell: dict[str, Any] | None) -> str:
    return cell["state"] if cell else "(none)"
