"""The report's data, typed: report/out/results.json's shape (`ReportData`), and what the renderers read.

`ReportData` is the merged run both axes make (report/export.py builds it, `baseline.load` reads one back); every
key the renderers read is declared here, so a renamed key fails mypy instead of a render. The evidence of a cell
(`facts`, `measurements`) is whatever JSON a probe recorded: `Json`.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict, Union

from contract.rows import Cell, CellCore, Row

# Any JSON value: what a probe's evidence and a results file's free-form parts hold.
Json = Union[str, int, float, bool, None, list["Json"], dict[str, "Json"]]


class Host(TypedDict):
    """Where a report was built: never a hostname."""

    os: str
    arch: str
    cpus: int | None
    python: str


class RunData(TypedDict):
    first_started: str | None
    last_started: str | None
    as_of: str
    host: Host


class ServerStart(TypedDict):
    server: str
    startup: float


class EnvTimings(TypedDict, total=False):
    """Where an env's time went, as its results file records it (schemas/results.schema.json `timings`)."""

    session_startup: float | None
    servers: list[ServerStart]
    noise_ms: float | None


class EnvResults(TypedDict):
    """A per-env results file, results/<env>.json, as harness/recorder.py writes it (schemas/results.schema.json)."""

    schema: int
    env: str
    release: str
    versions: dict[str, str | None]
    started: str
    duration: float
    timings: NotRequired[EnvTimings]
    complete: bool
    probes: list[Row]


class ShippedRelease(TypedDict):
    """A release of the shipped axis: what the two-axis views read of it."""

    version: str
    env: str
    django: str
    python: str
    status: str  # "complete", "incomplete", "missing" or "invalid"
    problem: str | None
    versions: dict[str, str | None]


class ReleaseData(ShippedRelease):
    """A release of the latest axis, and how its env ran."""

    released: str
    end_of_support: str
    lts: bool
    supported: bool
    started: str | None
    duration: float | None
    timings: EnvTimings


class RanOn(TypedDict):
    django: str | None
    asgiref: str | None


class CellData(Cell):
    """A cell of the latest axis: contract's Cell and the Django and asgiref its env ran on."""

    ran_on: RanOn


class ShippedCell(CellCore):
    """A cell of the shipped axis (without duration, source hash and anchor)."""

    ran_on: RanOn
    facts: dict[str, Json]
    measurements: dict[str, Json]


class ProbeData(TypedDict):
    id: str
    area: str
    title: str
    servers: bool


class KnownIssueData(TypedDict):
    """contract.matrix.KnownIssue.to_data's shape."""

    probe: str
    releases: list[str]
    note: str
    ticket: int | None
    ticket_url: str | None
    fixed_in: str | None
    fixed_in_url: str | None
    workaround: str | None


class Documented(TypedDict):
    release: str
    url: str


class DelayData(TypedDict):
    releases: int
    months: int
    open: bool
    unknown: int
    text: str


class RoadmapData(TypedDict):
    """One roadmap item: its plan, its state per release, and when it first shipped and went native."""

    id: str
    title: str
    planned_by: str
    source: str
    planned_for: str | None
    shipped_means: str
    probes: list[str]
    core: list[str]
    documented_in: Documented | None
    states: dict[str, str]
    first_shipped: str | None
    first_native: str | None
    first_shipped_text: str
    first_native_text: str
    shipped_delay: DelayData | None
    native_delay: DelayData | None
    docs_note: str | None
    parts: dict[str, str]
    parts_by_state: dict[str, dict[str, list[str]]]
    # With both axes (report/twoaxis.py): first_shipped* read from the shipped axis, the latest axis's kept here.
    first_shipped_axis: NotRequired[str]
    first_shipped_latest: NotRequired[str | None]
    first_shipped_latest_text: NotRequired[str]
    states_shipped: NotRequired[dict[str, str]]


class ScoreData(TypedDict):
    release: str
    counts: dict[str, int]
    total: int
    native: float
    working: float


class RegressionData(TypedDict):
    """A version regression (report/roadmap.py Regression); a probe's has both sides' reasons."""

    subject: str
    before_release: str
    before: str
    after_release: str
    after: str
    before_reason: NotRequired[str]
    after_reason: NotRequired[str]


class Regressions(TypedDict):
    roadmap: list[RegressionData]
    probes: list[RegressionData]


class TimingRow(TypedDict):
    """One env's timings as the Timings table shows them (report/timings.py env_rows)."""

    version: str
    env: str
    duration: float
    session_startup: float | None
    server_starts: int
    server_startup: float
    probes: float
    slowest: str
    noise_ms: float | None


class DifferenceData(TypedDict):
    """A cell whose state differs between the axes, the versions that differ, and its bisected cause if any."""

    release: str
    subject: str
    shipped: str
    latest: str
    versions: dict[str, list[str | None]]
    cause: str | None
    link: str | None


class ShippedAxis(TypedDict):
    releases: list[ShippedRelease]
    cells: list[ShippedCell]
    timings: list[TimingRow]


class AxesData(TypedDict):
    shipped: ShippedAxis
    differences: list[DifferenceData]


class ReportData(TypedDict):
    """report/out/results.json: the latest axis, and with `axes` the shipped axis beside it."""

    schema: int
    matrix_hash: str
    generated: str
    run: RunData
    releases: list[ReleaseData]
    probes: list[ProbeData]
    known_issues: list[KnownIssueData]
    cells: list[CellData]
    roadmap: list[RoadmapData]
    scores: list[ScoreData]
    regressions: Regressions
    warnings: list[str]
    axes: NotRequired[AxesData]


class Side(TypedDict):
    """One side of a change: a cell's or a roadmap item's state and why."""

    state: str
    reason: str


class SideData(Side):
    """A cell's evidence in a comparison, without the volatile measurements."""

    facts: dict[str, Json]
    source_hash: str | None
    reproduce: str


class ChangeData(TypedDict):
    kind: str
    release: str
    subject: str
    anchor: str
    before: SideData | None
    after: SideData | None
    context: list[str]


class ComparisonData(TypedDict):
    """report/baseline.py Comparison.to_data: what the report shows of the changes since the baseline."""

    before: str
    after: str
    counts: dict[str, int]
    changes: list[ChangeData]
    notes: list[str]
