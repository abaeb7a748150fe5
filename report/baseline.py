"""Run to run: every cell of this run against the same cell of an earlier run (the baseline), classified.

The baseline is a merged results file (report/out/baseline.json has report/out/results.json's schema). A change is:

- `regression`:  the state ranks lower than before (native > threaded > serialized > buffered > blocking > absent = broken);
- `improvement`: it ranks higher;
- `sideways`:    another state of the same rank (absent <-> broken);
- `not-run`:     it ran on one side only: never a regression or an improvement, but always listed;
- `undecided`:   one side did not settle its verdict: not comparable, like not-run;
- `evidence`:    the same state with other facts (e.g. another exception text); measurements never count;
- `new` / `removed`: the cell exists on one side only (a probe or release added or dropped).

Each change says what else changed for its release between the runs (Django patch, Python, asgiref, servers,
the probe's source hash), so "Django changed" reads apart from "the probe changed".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from contract import rows as contract
from contract.matrix import display_path
from report.inputs import IncompatibleResults, validate_merged
from report.model import CellData, ChangeData, ComparisonData, ReleaseData, ReportData, Side, SideData
from report.reader import read_json
from report.roadmap import NOT_RUN, RANK, UNDECIDED

REGRESSION, IMPROVEMENT, SIDEWAYS, EVIDENCE, NEW, REMOVED = (
    "regression",
    "improvement",
    "sideways",
    "evidence",
    "new",
    "removed",
)
# Display order: what fails the run first, then what hides results, then the rest.
KINDS = (REGRESSION, NOT_RUN, UNDECIDED, SIDEWAYS, IMPROVEMENT, EVIDENCE, NEW, REMOVED)


# What a side of a change holds: at least a state and a reason (`Side`); a comparison's sides hold the evidence too.
S = TypeVar("S", bound=Side, covariant=True)


@dataclass(frozen=True)
class Change(Generic[S]):
    """A cell or roadmap item that differs between two sides: the baseline and this run (`compare`, whose sides are
    `SideData`), or two releases of one run (report/upgrade.py). A missing side is None."""

    kind: str  # one of KINDS
    release: str  # the release of the cell the change links to: this run's, or the release upgraded to
    subject: str  # a probe row (`views.async-function@uvicorn`), or a roadmap item's id when `item`
    before: S | None
    after: S | None
    context: tuple[str, ...] = ()  # what else changed between the two runs
    item: bool = False

    @property
    def anchor(self) -> str:
        return contract.anchor(self.release, self.subject)

    @property
    def what(self) -> str:
        """How a table names it: the probe row, or `roadmap: <item id>`."""
        return f"roadmap: {self.subject}" if self.item else self.subject


def change_data(change: Change[SideData]) -> ChangeData:
    return {
        "kind": change.kind,
        "release": change.release,
        "subject": change.subject,
        "anchor": change.anchor,
        "before": change.before,
        "after": change.after,
        "context": list(change.context),
    }


@dataclass(frozen=True)
class Comparison:
    before: str  # what the baseline was: its path and when it was generated
    after: str
    changes: tuple[Change[SideData], ...]
    notes: tuple[str, ...]  # differences that concern the whole run: matrix.yaml, host

    @property
    def regressions(self) -> tuple[Change[SideData], ...]:
        return tuple(change for change in self.changes if change.kind == REGRESSION)

    def counts(self) -> dict[str, int]:
        return {kind: n for kind in KINDS if (n := sum(change.kind == kind for change in self.changes))}

    def to_data(self) -> ComparisonData:
        return {
            "before": self.before,
            "after": self.after,
            "counts": self.counts(),
            "changes": [change_data(change) for change in self.changes],
            "notes": list(self.notes),
        }


def load(path: Path) -> ReportData:
    """A merged results file (baseline.json, results.json) of the schema this code reads."""
    name = display_path(path)
    data, error = read_json(path)
    if error is not None:
        raise IncompatibleResults(f"{name}: cannot read it as JSON ({error})")
    return validate_merged(
        data, name, "rebuild it with this checkout, or accept a new baseline with `python -m report --accept`"
    )


def accepting(old: ReportData | None, new: ReportData) -> tuple[ReportData, list[str]]:
    """The baseline `--accept` writes: `new`, except what did not run now keeps the old baseline's cell.

    Accepting a partial run must not replace known states with not-run: a later regression there would then pass
    as "not-run -> broken". A release that did not run at all keeps its old entry too (its versions give the
    context of later changes). Returns the new baseline and the anchors of the cells it kept.
    """
    if old is None:
        return new, []
    old_cells = {cell["anchor"]: cell for cell in old["cells"]}
    cells: list[CellData] = []
    kept: list[str] = []
    for cell in new["cells"]:
        before = old_cells.get(cell["anchor"])
        if cell["state"] == NOT_RUN and before is not None and before["state"] != NOT_RUN:
            cells.append(before)
            kept.append(cell["anchor"])
        else:
            cells.append(cell)
    old_releases = {release["version"]: release for release in old["releases"]}
    releases = [_kept(old_releases.get(release["version"]), release) for release in new["releases"]]
    return {**new, "cells": cells, "releases": releases}, kept


def _kept(old: ReleaseData | None, new: ReleaseData) -> ReleaseData:
    """A release that did not run now keeps the old baseline's entry if it ran then."""
    ran_then = old is not None and old["status"] in ("complete", "incomplete")
    return old if old is not None and ran_then and new["status"] in ("missing", "invalid") else new


def label(path: Path, data: ReportData) -> str:
    return f"{display_path(path)} (generated {data.get('generated', 'at an unknown time')})"


def classify(before: CellData | None, after: CellData | None) -> str | None:
    """The kind of change from one cell to the other, or None when nothing that counts changed."""
    if before is None:
        return NEW if after is not None else None
    if after is None:
        return REMOVED
    old, new = before["state"], after["state"]
    if old == new:
        return EVIDENCE if before["facts"] != after["facts"] else None
    return state_change(old, new)


def state_change(old: str, new: str) -> str:
    """The kind of change between two different states: not-run or undecided when a side is, else by rank."""
    if NOT_RUN in (old, new):
        return NOT_RUN
    if UNDECIDED in (old, new):
        return UNDECIDED
    if RANK[new] < RANK[old]:
        return REGRESSION
    return IMPROVEMENT if RANK[new] > RANK[old] else SIDEWAYS


def compare(before: ReportData, after: ReportData, before_label: str, after_label: str) -> Comparison:
    old_cells = {cell["anchor"]: cell for cell in before["cells"]}
    new_cells = {cell["anchor"]: cell for cell in after["cells"]}
    old_releases = {release["version"]: release for release in before["releases"]}
    new_releases = {release["version"]: release for release in after["releases"]}
    changes: list[Change[SideData]] = []
    for anchor in [*new_cells, *(a for a in old_cells if a not in new_cells)]:
        old, new = old_cells.get(anchor), new_cells.get(anchor)
        kind = classify(old, new)
        if kind is None:
            continue
        cell = new or old
        assert cell is not None  # one side exists: the anchor came from one of them
        version = cell["release"]
        changes.append(
            Change(
                kind,
                version,
                cell["subject"],
                _side(old),
                _side(new),
                what_else_changed(old_releases.get(version), new_releases.get(version), old, new),
            )
        )
    changes.sort(key=lambda change: KINDS.index(change.kind))
    return Comparison(before_label, after_label, tuple(changes), _notes(before, after))


def what_else_changed(
    old_release: ReleaseData | None,
    new_release: ReleaseData | None,
    old: CellData | None,
    new: CellData | None,
) -> tuple[str, ...]:
    """Everything recorded for this cell's release and probe that differs between the runs."""
    if old_release is None or new_release is None or old is None or new is None:
        return ()
    found = []
    if old_release["status"] != new_release["status"]:
        problem = f" ({new_release['problem']})" if new_release["problem"] else ""
        found.append(f"env {old_release['status']} → {new_release['status']}{problem}")
    old_versions, new_versions = old_release["versions"], new_release["versions"]
    for package in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(package) != new_versions.get(package):
            found.append(f"{package} {old_versions.get(package) or '—'} → {new_versions.get(package) or '—'}")
    if old["source_hash"] != new["source_hash"] and None not in (old["source_hash"], new["source_hash"]):
        found.append(f"probe source {old['source_hash']} → {new['source_hash']}")
    return tuple(found) or ("nothing recorded changed: same versions, same probe source (flaky, or the machine?)",)


def _notes(before: ReportData, after: ReportData) -> tuple[str, ...]:
    notes = []
    old_hash, new_hash = before.get("matrix_hash"), after.get("matrix_hash")
    if old_hash != new_hash:
        notes.append(f"matrix.yaml's releases or probes changed (hash {old_hash or 'not recorded'} → {new_hash})")
    old_host, new_host = before["run"]["host"], after["run"]["host"]
    if old_host != new_host:
        changed = [
            f"{key} {old_host.get(key)} → {new_host.get(key)}"
            for key in new_host
            if old_host.get(key) != new_host.get(key)
        ]
        notes.append("another machine: " + ", ".join(changed))
    return tuple(notes)


def _side(cell: CellData | None) -> SideData | None:
    """The evidence of one side, without the volatile measurements."""
    if cell is None:
        return None
    return {
        "state": cell["state"],
        "reason": cell["reason"],
        "facts": cell["facts"],
        "source_hash": cell["source_hash"],
        "reproduce": cell["reproduce"],
    }
