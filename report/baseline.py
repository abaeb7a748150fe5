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

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract import rows as contract
from contract.evidence import inert
from contract.matrix import display_path
from report.inputs import IncompatibleResults, validate_merged
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


@dataclass(frozen=True)
class Change:
    """A cell or roadmap item that differs between two sides: the baseline and this run (`compare`), or two releases
    of one run (report/upgrade.py). A side holds at least `state` and `reason`; a missing side is None."""

    kind: str  # one of KINDS
    release: str  # the release of the cell the change links to: this run's, or the release upgraded to
    subject: str  # a probe row (`views.async-function@uvicorn`), or a roadmap item's id when `item`
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    context: tuple[str, ...] = ()  # what else changed between the two runs
    item: bool = False

    @property
    def anchor(self) -> str:
        return contract.anchor(self.release, self.subject)

    @property
    def what(self) -> str:
        """How a table names it: the probe row, or `roadmap: <item id>`."""
        return f"roadmap: {self.subject}" if self.item else self.subject

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "release": self.release,
            "subject": self.subject,
            "anchor": self.anchor,
            "before": _side(self.before),
            "after": _side(self.after),
            "context": list(self.context),
        }


@dataclass(frozen=True)
class Comparison:
    before: str  # what the baseline was: its path and when it was generated
    after: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...]  # differences that concern the whole run: matrix.yaml, host

    @property
    def regressions(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.kind == REGRESSION)

    def counts(self) -> dict[str, int]:
        return {kind: n for kind in KINDS if (n := sum(change.kind == kind for change in self.changes))}

    def to_data(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "counts": self.counts(),
            "changes": [change.to_data() for change in self.changes],
            "notes": list(self.notes),
        }


def load(path: Path) -> dict[str, Any]:
    """A merged results file (baseline.json, results.json) of the schema this code reads."""
    name = display_path(path)
    try:
        data = inert(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IncompatibleResults(f"{name}: cannot read it as JSON ({exc})") from exc
    return validate_merged(
        data, name, "rebuild it with this checkout, or accept a new baseline with `python -m report --accept`"
    )


def accepting(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The baseline `--accept` writes: `new`, except what did not run now keeps the old baseline's cell.

    Accepting a partial run must not replace known states with not-run: a later regression there would then pass
    as "not-run -> broken". A release that did not run at all keeps its old entry too (its versions give the
    context of later changes). Returns the new baseline and the anchors of the cells it kept.
    """
    if old is None:
        return new, []
    old_cells = {cell["anchor"]: cell for cell in old["cells"]}
    cells, kept = [], []
    for cell in new["cells"]:
        before = old_cells.get(cell["anchor"])
        if cell["state"] == NOT_RUN and before is not None and before["state"] != NOT_RUN:
            cells.append(before)
            kept.append(cell["anchor"])
        else:
            cells.append(cell)
    old_releases = {release["version"]: release for release in old["releases"]}
    releases = [
        old_releases[release["version"]]
        if release["status"] in ("missing", "invalid")
        and old_releases.get(release["version"], {}).get("status") in ("complete", "incomplete")
        else release
        for release in new["releases"]
    ]
    return {**new, "cells": cells, "releases": releases}, kept


def label(path: Path, data: dict[str, Any]) -> str:
    return f"{display_path(path)} (generated {data.get('generated', 'at an unknown time')})"


def classify(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str | None:
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


def compare(before: dict[str, Any], after: dict[str, Any], before_label: str, after_label: str) -> Comparison:
    old_cells = {cell["anchor"]: cell for cell in before["cells"]}
    new_cells = {cell["anchor"]: cell for cell in after["cells"]}
    old_releases = {release["version"]: release for release in before["releases"]}
    new_releases = {release["version"]: release for release in after["releases"]}
    changes = []
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
                old,
                new,
                what_else_changed(old_releases.get(version), new_releases.get(version), old, new),
            )
        )
    changes.sort(key=lambda change: KINDS.index(change.kind))
    return Comparison(before_label, after_label, tuple(changes), _notes(before, after))


def what_else_changed(
    old_release: dict[str, Any] | None,
    new_release: dict[str, Any] | None,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
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


def _notes(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
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


def _side(cell: dict[str, Any] | None) -> dict[str, Any] | None:
    """The evidence of one side, without the volatile measurements."""
    if cell is None:
        return None
    return {key: cell[key] for key in ("state", "reason", "facts", "source_hash", "reproduce")}
