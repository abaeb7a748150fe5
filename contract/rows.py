"""The one shape of a result row, in every file: what the recorder writes, the merged file holds and the report reads.

A probe's verdict on one env is a `Row` of results/<env>.json (`probes`). `python -m report` turns each into a `Cell`
of the merged file (report/out/results.json `cells`): the same fields on one release, with the row's `subject` and
`anchor`; a probe without a row gets a not-run cell (no duration, no source hash). `row_of` turns a cell back into
its row when a merged file is read as an input. Standard library only: the recorder imports this in every probe env.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 8):  # noqa: UP036
    from typing import TypedDict
else:  # pragma: no cover - Python 3.7 (the as-shipped envs): plain dicts at run time, only mypy reads the fields

    class TypedDict(dict):
        def __init_subclass__(cls, total: bool = True) -> None:
            super().__init_subclass__()


# The `schema` of results/<env>.json and of the merged file; bump it (and the schemas' "const") when a shape changes.
SCHEMA_VERSION = 1

# The keys of a row's `measurements` that mean the same in every rule, for the readers beyond it (the recorder totals
# them per env in the results file's `timings`):
NOISE = "noise_ms"  # the stall meter's own lateness on the idle loop just before the probe measured (ms): the machine's
WAITED = "waited_seconds"  # how long the probe waited on purpose (s): its requests' sleeps, a stream's pauses


class _Row(TypedDict):
    id: str  # the probe id, as matrix.yaml names it
    server: str | None
    state: str  # a recorded state of contract/states.py
    reason: str
    facts: dict[str, Any]  # stable across runs and machines
    measurements: dict[str, Any]  # volatile: thread idents, timings
    duration: float
    source_hash: str  # of the probe test's source
    reproduce: str  # the command that runs this one cell again


class Row(_Row, total=False):
    """One probe's verdict on one env, as harness/recorder.py writes it."""

    earlier: dict[str, Any]  # kept by a partial rerun: {"started", "versions"} of the run that recorded it


class CellCore(TypedDict):
    """What a cell of either axis holds: where it sits, its verdict, and the command that reproduces it."""

    release: str
    probe: str
    server: str | None
    state: str
    reason: str
    reproduce: str
    subject: str


class Cell(CellCore):
    """One cell of the merged file: a row on one release (or the report's not-run filler), with its anchor."""

    facts: dict[str, Any]
    measurements: dict[str, Any]
    duration: float | None  # None for a cell no probe recorded
    source_hash: str | None  # None for a cell no probe recorded
    anchor: str


def subject(probe: str, server: str | None) -> str:
    """The row a cell sits in: `views.async-function@uvicorn`, or the bare id for a probe without a server."""
    return f"{probe}@{server}" if server else probe


def anchor(release: str, subject: str) -> str:
    """The permalink of a cell or a roadmap item's cell on one release, like `6.1/views.async-function@uvicorn`."""
    return f"{release}/{subject}"


def cell(release: str, row: Row) -> Cell:
    """The merged file's cell of a row recorded on `release`."""
    where = subject(row["id"], row["server"])
    return {
        "release": release,
        "probe": row["id"],
        "server": row["server"],
        "state": row["state"],
        "reason": row["reason"],
        "reproduce": row["reproduce"],
        "facts": row["facts"],
        "measurements": row["measurements"],
        "duration": row["duration"],
        "source_hash": row["source_hash"],
        "subject": where,
        "anchor": anchor(release, where),
    }


def unrecorded(release: str, probe: str, server: str | None, state: str, reason: str, reproduce: str) -> Cell:
    """A cell no probe recorded (the report fills one in for every probe without a row): no evidence, no hash."""
    where = subject(probe, server)
    return {
        "release": release,
        "probe": probe,
        "server": server,
        "state": state,
        "reason": reason,
        "reproduce": reproduce,
        "facts": {},
        "measurements": {},
        "duration": None,
        "source_hash": None,
        "subject": where,
        "anchor": anchor(release, where),
    }


def row_of(cell: Cell) -> Row:
    """The per-env row a cell was made from (a merged file read back as input)."""
    return {
        "id": cell["probe"],
        "server": cell["server"],
        "state": cell["state"],
        "reason": cell["reason"],
        "facts": cell["facts"],
        "measurements": cell["measurements"],
        "duration": cell["duration"] or 0.0,
        "source_hash": cell["source_hash"] or "",
        "reproduce": cell["reproduce"],
    }
