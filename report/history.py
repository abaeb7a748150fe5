"""A bounded history of runs, one JSON line per run: when, where, which versions, how many cells per state.

Each line also names the cells that changed against the baseline of that run, so reading the file top to
bottom shows when a state changed. Only the newest MAX_RUNS runs are kept; `python -m report prune --keep N`
drops older ones on demand. "Newest" goes by each line's own `generated` time (a time without an offset counts
as UTC), not by its place in the file. A line whose time cannot be read (a hand edit gone wrong, bytes that are
not UTF-8) is never dropped: it is kept byte for byte and named by `problems` or `Pruned.notes`, so the history
never loses a line silently. Whoever reads the history to rewrite it holds `locked` until the new text is
written, so two reports at the same time both keep their line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypedDict, cast

from contract.atomic import write_text_atomically
from contract.evidence import inert_json
from contract.states import STATES
from report.baseline import Comparison
from report.model import Host, ReportData, Side

MAX_RUNS = 100
# The keys of a history line that come from the comparison with the baseline, not from the run itself.
COMPARISON = ("baseline", "changes", "changed_cells")
# A run whose whole env went missing changes dozens of cells; the line keeps the first few, the report has all.
MAX_CHANGES_PER_LINE = 20
# The versions worth a column in the history: what decides a result most often.
PACKAGES = ("django", "python", "asgiref", "uvicorn", "daphne")


class HistoryEntry(TypedDict):
    """One line of the history: one merged run."""

    generated: str
    started: str | None
    host: Host
    matrix_hash: str
    envs: dict[str, dict[str, str | None]]  # env -> its status and the PACKAGES it ran
    counts: dict[str, int]
    baseline: str | None
    changes: dict[str, int]
    changed_cells: list[str]


def entry(data: ReportData, comparison: Comparison | None) -> HistoryEntry:
    """The history line of one merged run."""
    counts = Counter(cell["state"] for cell in data["cells"])
    changes = list(comparison.changes) if comparison else []
    return {
        "generated": data["generated"],
        "started": data["run"]["first_started"],
        "host": data["run"]["host"],
        "matrix_hash": data["matrix_hash"],
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


class HistoryError(Exception):
    """The history cannot be read; the message names it and the fix."""


class Pruned(NamedTuple):
    """What `prune --keep N` writes, how many runs it drops and keeps, and the lines of no known time it keeps."""

    text: str
    dropped: int
    kept: int
    notes: list[str]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the history's lock: readers that rewrite the history take turns from their read to their write.

    The lock is an flock on the folder that holds the history (made if missing), not on a lock file: nothing
    extra lies beside the outputs, and the atomic writer's rename replaces the file but not its folder.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError as exc:
        raise HistoryError(
            f"cannot write {path}: {exc.strerror or exc} (its folder); nothing was written. Fix: make its folder a "
            "writable folder, or pass another `--out` or `--history`"
        ) from exc
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # and with it the lock


def _lines(path: Path) -> list[bytes]:
    """The history's lines as bytes, as they are on disk, oldest first (blank lines dropped)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        what = "it is a folder, not a file" if path.is_dir() else exc.strerror or str(exc)
        raise HistoryError(
            f"cannot read {path}: {what}. Fix: move it out of the way (a new history starts), or pass another "
            "`--history`"
        ) from exc
    return [line for line in data.splitlines() if line.strip()]


def _run(line: bytes) -> dict[str, Any] | str:
    """The run a line holds, or what keeps it from being read."""
    try:
        run = inert_json(line.decode("utf-8"))
    except UnicodeDecodeError:
        return "not valid UTF-8"
    except json.JSONDecodeError:
        return "not valid JSON"
    return run if isinstance(run, dict) else "not a JSON object"


def read(path: Path) -> list[dict[str, Any]]:
    """Every run in the history that parses, oldest first (`problems` names the lines that do not)."""
    return [run for run in map(_run, _lines(path)) if isinstance(run, dict)]


def problems(path: Path) -> list[str]:
    """`history.jsonl:3: not valid JSON ...` for each line that does not parse."""
    return [
        _problem(path, number, run)
        for number, run in enumerate(map(_run, _lines(path)), start=1)
        if isinstance(run, str)
    ]


def _problem(path: Path, number: int, what: str) -> str:
    return f"{path}:{number}: {what} (a hand edit?); it is kept as it is, but no report reads it"


def appended(path: Path, run: HistoryEntry, keep: int = MAX_RUNS) -> str:
    """The history's new text with `run` added and the newest `keep` runs kept (and every line of no known time).

    Rendering the same results again is not a new run: its line replaces the last one when the two differ only in
    `generated` and the comparison (COMPARISON), and keeps the last one's comparison, made when the run was new
    (after `--accept`, the run compared with the baseline it became would otherwise lose what it changed). Hold
    `locked` from this read to the write of its text.
    """
    lines = _lines(path)
    last = _same_run(lines[-1], run) if lines else None
    if last is not None:
        lines.pop()
        run = cast(HistoryEntry, {**run, **{key: last[key] for key in COMPARISON if key in last}})
    return _text(_newest([*lines, _dump(run).encode("utf-8")], keep))


def _same_run(line: bytes, run: HistoryEntry) -> dict[str, Any] | None:
    """The last line's run if it is `run` rendered again, else None."""
    try:
        last = json.loads(line)
    except ValueError:  # not UTF-8, or not JSON
        return None
    if isinstance(last, dict) and _the_run(last) == _the_run(json.loads(_dump(run))):
        return last
    return None


def _the_run(run: Mapping[str, object]) -> dict[str, object]:
    """What a history line says of the results themselves: all but when it was rendered and what it was compared to."""
    return {key: value for key, value in run.items() if key != "generated" and key not in COMPARISON}


def append(path: Path, run: HistoryEntry, keep: int = MAX_RUNS) -> None:
    with locked(path):
        write_text_atomically(path, appended(path, run, keep))


def pruned(path: Path, keep: int) -> Pruned:
    """The history with only its newest `keep` (at least 1) runs, and every line whose time cannot be read.

    Hold `locked` from this read to the write of its text.
    """
    lines = _lines(path)
    notes = []
    for number, line in enumerate(lines, start=1):
        run = _run(line)
        if isinstance(run, str):
            notes.append(_problem(path, number, run))
        elif _time(line) is None:
            notes.append(
                f"{path}:{number}: no time `generated` can be read; it is kept as it is, as prune cannot tell its age"
            )
    kept = _newest(lines, keep)
    return Pruned(_text(kept), len(lines) - len(kept), len(kept) - len(notes), notes)


def _newest(lines: list[bytes], keep: int) -> list[bytes]:
    """`lines` in their order without those of all but the newest `keep` runs; a line of no known time stays."""
    times = {number: time for number, line in enumerate(lines) if (time := _time(line)) is not None}
    older = set(sorted(times, key=lambda number: (times[number], number))[:-keep])
    return [line for number, line in enumerate(lines) if number not in older]


def _time(line: bytes) -> dt.datetime | None:
    """When the run of `line` was generated (UTC when the time has no offset), or None if that cannot be read."""
    run = _run(line)
    generated = run.get("generated") if isinstance(run, dict) else None
    if not isinstance(generated, str):
        return None
    try:
        time = dt.datetime.fromisoformat(generated)
    except ValueError:
        return None
    return time if time.tzinfo else time.replace(tzinfo=dt.timezone.utc)


def _dump(run: HistoryEntry) -> str:
    return json.dumps(run, ensure_ascii=False, sort_keys=True)


def _text(lines: list[bytes]) -> str:
    # The atomic writer encodes with surrogateescape, so a line that is not UTF-8 is written back byte for byte.
    return b"".join(line + b"\n" for line in lines).decode("utf-8", errors="surrogateescape")


def _state(cell: Side | None) -> str:
    return cell["state"] if cell else "(none)"
