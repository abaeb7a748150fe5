"""The API view: one row per async API a probe observes, its state and loop stall on every release, and "safe from".

A probe that calls named async APIs (harness/rules/apis.py) records each API it found in `facts.apis[name].state`,
the loop's stall during the call in `measurements.stall_ms[name]`, its call order in `facts.found` and the APIs it
did not find in `facts.missing`. `axis_cells` reads the merged data (report/out/results.json) once into typed cells
of both axes: the latest patch on today's dependencies (`cells`) and X.Y.0 as shipped (`axes.shipped.cells`, with
API states only where those cells carry their facts). `api_view` groups the latest axis into rows per area.

An API is *safe* on a release when it neither stalls the loop nor fails there: threaded, native, or unobserved (it
ran without a stall but did no work the probe could see). It is *safe from* the first release from which it is safe
on every later release; a release that did not run or stayed undecided is never counted as safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract.rows import anchor
from contract.states import STATES, State
from report.model import ReportData

LATEST, SHIPPED = "latest", "shipped"
NOT_RUN, UNDECIDED, ABSENT = State.NOT_RUN.value, State.UNDECIDED.value, State.ABSENT.value
UNOBSERVED = "unobserved"  # harness/rules/apis.py: ran, no stall, but no work the probe could see
SAFE = (State.THREADED.value, State.NATIVE.value, UNOBSERVED)
UNKNOWN = (NOT_RUN, UNDECIDED)
# What a probe's APIs add up to on one release (ProbeApis.verdict), in the order the report lists them.
VERDICTS = ("safe", "stalls or fails", "unknown", "not there")


@dataclass(frozen=True)
class ObservedApi:
    """One API as a cell recorded it: its own state and the loop's stall during the call (ms; None: not measured)."""

    name: str
    state: str
    stall_ms: float | None


@dataclass(frozen=True)
class AxisCell:
    """One merged cell of either axis, with the versions it ran on and the APIs it observed (in call order)."""

    axis: str
    release: str
    django: str | None
    asgiref: str | None
    probe: str
    server: str | None
    subject: str
    state: str
    reason: str
    apis: tuple[ObservedApi, ...]
    missing: tuple[str, ...]  # APIs the probe looked for and did not find

    def api(self, name: str) -> ApiCell:
        """This cell as seen from one API: its own state, absent where missing, else what the whole cell says.

        The reason of a found or missing API is about that API (the cell's reason lists all of them)."""
        found = next((api for api in self.apis if api.name == name), None)
        if found is not None:
            state, stall = found.state, found.stall_ms
            reason = f"{name}, one of the {len(self.apis)} APIs {self.subject} called on {self.release}"
        elif name in self.missing:
            state, stall, reason = ABSENT, None, f"{self.subject} found no {name} on {self.release}"
        elif not self.apis and not self.missing:  # nothing per API: not run, crashed, or absent as a whole
            state, stall, reason = self.state, None, self.reason
        else:
            state, stall, reason = NOT_RUN, None, f"{self.probe} did not look for {name} on {self.release}"
        return ApiCell(self.release, state, stall, reason, anchor(self.release, self.subject))


@dataclass(frozen=True)
class ApiCell:
    """One API on one release: its state, the loop stall (ms) where measured, why, and the cell's anchor."""

    release: str
    state: str
    stall_ms: float | None
    reason: str
    anchor: str

    @property
    def safe(self) -> bool:
        return self.state in SAFE


@dataclass(frozen=True)
class ApiRow:
    """One API of one probe (under one server, if any) on every release, in release order."""

    api: str
    probe: str
    subject: str
    cells: tuple[ApiCell, ...]  # the latest axis
    shipped: tuple[ApiCell, ...]  # as shipped; empty when the shipped cells carry no API facts

    @property
    def safe_from(self) -> str | None:
        """The first release from which the API is safe on every later one (latest axis); None: not yet."""
        first = None
        for cell in reversed(self.cells):
            if not cell.safe:
                break
            first = cell.release
        return first


@dataclass(frozen=True)
class ProbeApis:
    """A probe's API rows, and what they add up to on each release."""

    probe: str
    subject: str
    title: str
    rows: tuple[ApiRow, ...]

    def failing(self, index: int) -> tuple[str, ...]:
        """The APIs that stall the loop or fail (blocking, broken) on the release at `index`."""
        return tuple(row.api for row in self.rows if row.cells[index].state not in (*SAFE, *UNKNOWN, ABSENT))

    def verdict(self, index: int) -> str:
        """On the release at `index`: stalls or fails (any API blocking or broken), unknown (any API not run or
        undecided), not there (no API found), else safe (every API found is safe)."""
        if self.failing(index):
            return "stalls or fails"
        states = {row.cells[index].state for row in self.rows}
        if states & set(UNKNOWN):
            return "unknown"
        return "not there" if states <= {ABSENT} else "safe"


@dataclass(frozen=True)
class ApiArea:
    area: str
    probes: tuple[ProbeApis, ...]

    @property
    def rows(self) -> tuple[ApiRow, ...]:
        return tuple(row for probe in self.probes for row in probe.rows)


@dataclass(frozen=True)
class ApiView:
    releases: tuple[str, ...]
    areas: tuple[ApiArea, ...]


def api_label(state: str) -> str:
    """`◒ blocking`, and `◌ unobserved` for the one per-API state the report's states table does not have."""
    return STATES[state].label if state in STATES else f"◌ {state}"


def axis_cells(data: ReportData) -> tuple[AxisCell, ...]:
    """Every cell of the merged data, the latest axis first, then the shipped axis (if the data has it)."""
    shipped = data["axes"]["shipped"]["cells"] if "axes" in data else []
    return tuple(
        [_parse(cell, LATEST) for cell in data["cells"]] + [_parse(cell, SHIPPED) for cell in shipped],
    )


def _parse(cell: Mapping[str, Any], axis: str) -> AxisCell:
    """The parse boundary: one cell of results.json (shipped cells may lack facts and measurements)."""
    facts: Mapping[str, Any] = cell.get("facts", {})
    recorded: Mapping[str, Any] = facts.get("apis", {})
    stalls: Mapping[str, Any] = cell.get("measurements", {}).get("stall_ms", {})
    order = [name for name in facts.get("found", []) if name in recorded]
    order += [name for name in recorded if name not in order]
    ran_on: Mapping[str, Any] = cell.get("ran_on") or {}
    return AxisCell(
        axis,
        str(cell["release"]),
        ran_on.get("django"),
        ran_on.get("asgiref"),
        str(cell["probe"]),
        cell["server"],
        str(cell["subject"]),
        str(cell["state"]),
        str(cell["reason"]),
        tuple(ObservedApi(str(name), str(recorded[name]["state"]), _stall(stalls.get(name))) for name in order),
        tuple(str(name) for name in facts.get("missing", [])),
    )


def _stall(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def api_view(data: ReportData, cells: Sequence[AxisCell] | None = None) -> ApiView:
    """The latest axis's API rows, grouped by area (in matrix.yaml order), then probe, then API in call order;
    `cells` are axis_cells(data), when they were read already."""
    releases = tuple(release["version"] for release in data["releases"])
    cells = axis_cells(data) if cells is None else cells
    by_axis: dict[tuple[str, str, str], AxisCell] = {(c.axis, c.subject, c.release): c for c in cells}
    subjects = list(dict.fromkeys(c.subject for c in cells if c.axis == LATEST))
    probes = {probe["id"]: probe for probe in data["probes"]}
    areas: dict[str, list[ProbeApis]] = {}
    for subject in subjects:
        latest = [by_axis[(LATEST, subject, release)] for release in releases]
        names = _names(latest)
        if not names:
            continue
        shipped = [by_axis.get((SHIPPED, subject, release)) for release in releases]
        has_shipped = any(cell is not None and (cell.apis or cell.missing) for cell in shipped)
        rows = tuple(
            ApiRow(
                name,
                latest[0].probe,
                subject,
                tuple(cell.api(name) for cell in latest),
                tuple(cell.api(name) for cell in shipped if cell is not None) if has_shipped else (),
            )
            for name in names
        )
        probe = probes[latest[0].probe]
        areas.setdefault(probe["area"], []).append(ProbeApis(latest[0].probe, subject, probe["title"], rows))
    return ApiView(releases, tuple(ApiArea(area, tuple(found)) for area, found in areas.items()))


def _names(cells: Sequence[AxisCell]) -> list[str]:
    """Every API name the cells observed or missed, in call order, the newest release's order first."""
    names: dict[str, None] = {}
    for cell in reversed(cells):
        names.update(dict.fromkeys(api.name for api in cell.apis))
        names.update(dict.fromkeys(cell.missing))
    return list(names)
