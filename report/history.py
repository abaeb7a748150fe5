"""A bounded history of runs, one JSON line per run: when, where, which versions, how many cells per state.

Each line also names the cells that changed against the baseline of that run, so reading the file top to
bottom shows when a state changed. Only the newest MAX_RUNS lines are kept; `python -m report prune --keep N`
drops older ones on demand. A line that does not parse (a hand edit gone wrong) is reported by `problems` and
kept as it is when a run is appended: the history never loses a line silently.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from harness.atomic import write_text_atomically
from harness.evidence import inert
from harness.states import STATES
from report.baseline import Comparison

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


def _lines(path: Path) -> list[str]:
    """The history's lines as they are, oldest first (blank lines dropped)."""
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def _parse(line: str) -> dict[str, Any] | None:
    try:
        run = json.loads(line)
    except json.JSONDecodeError:
        return None
    return inert(run) if isinstance(run, dict) else None


def read(path: Path) -> list[dict[str, Any]]:
    """Every run in the history that parses, oldest first (`problems` names the lines that do not)."""
    return [run for run in map(_parse, _lines(path)) if run is not None]


def problems(path: Path) -> list[str]:
    """`history.jsonl:3: not valid JSON ...` for each line that does not parse."""
    return [
        f"{path}:{number}: not valid JSON (a hand edit?); it is kept as it is, but no report reads it"
        for number, line in enumerate(_lines(path), start=1)
        if _parse(line) is None
    ]


def appended(path: Path, run: dict[str, Any], keep: int = MAX_RUNS) -> str:
    """The history's new text with `run` added, the newest `keep` lines kept (broken ones too, as they are).

    Rendering the same results again against the same baseline is not a new run: its line replaces the last one
    when the two differ only in `generated`.
    """
    lines = _lines(path)
    if lines and _same_run(lines[-1], run):
        lines.pop()
    return _text([*lines, _dump(run)][-keep:])


def _same_run(line: str, run: dict[str, Any]) -> bool:
    try:
        last = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(last, dict) and _but_generated(last) == _but_generated(json.loads(_dump(run)))


def _but_generated(run: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in run.items() if key != "generated"}


def append(path: Path, run: dict[str, Any], keep: int = MAX_RUNS) -> None:
    write_text_atomically(path, appended(path, run, keep))


def prune(path: Path, keep: int) -> int:
    """Keep only the newest `keep` lines; return how many were dropped."""
    lines = _lines(path)
    kept = lines[-keep:] if keep > 0 else []
    write_text_atomically(path, _text(kept))
    return len(lines) - len(kept)


def _dump(run: dict[str, Any]) -> str:
    return json.dumps(run, ensure_ascii=False, sort_keys=True)


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _state(cell: dict[str, Any] | None) -> str:
    return cell["state"] if cell else "(none)"
