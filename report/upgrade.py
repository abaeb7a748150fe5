"""What changes when you upgrade: between two releases (their latest patches), or from a release as it shipped
(X.Y.0 on its release day's dependencies) to its latest patch today: the roadmap items and probe cells that differ.

The HTML page's upgrade view shows the same (tests/unit/report/test_page.py checks it against both functions).
"""

from __future__ import annotations

from collections.abc import Iterable

from report.baseline import Change, state_change
from report.model import CellData, ReportData, RoadmapData, ShippedCell, Side


def changes(data: ReportData, before: str, after: str) -> list[Change[Side]]:
    """Every roadmap item and probe cell whose state differs between the two releases, items first."""
    _check(data, before, after)
    return _differences(
        after,
        [(item, item["states"][before], item["states"][after]) for item in data["roadmap"]],
        (cell for cell in data["cells"] if cell["release"] == before),
        (cell for cell in data["cells"] if cell["release"] == after),
    )


def shipped_changes(data: ReportData, release: str) -> list[Change[Side]]:
    """Every roadmap item and probe cell whose state differs between `release` as shipped (X.Y.0) and its latest
    patch, items first; each links to the latest patch's cell, like `changes`."""
    _check(data, release)
    if "axes" not in data:
        raise ValueError("these results have no as-shipped results: run the djXY-shipped envs (`tox p`) first")
    return _differences(
        release,
        [(item, item["states_shipped"][release], item["states"][release]) for item in data["roadmap"]],
        (cell for cell in data["axes"]["shipped"]["cells"] if cell["release"] == release),
        (cell for cell in data["cells"] if cell["release"] == release),
    )


def _check(data: ReportData, *releases: str) -> None:
    versions = [release["version"] for release in data["releases"]]
    for version in releases:
        if version not in versions:
            raise ValueError(f"release {version!r} is not in matrix.yaml (releases: {', '.join(versions)})")


def _differences(
    after: str,
    items: list[tuple[RoadmapData, str, str]],
    old_cells: Iterable[CellData | ShippedCell],
    new_cells: Iterable[CellData | ShippedCell],
) -> list[Change[Side]]:
    """The items whose two states differ, then each new cell whose old cell (same subject) has another state."""
    found: list[Change[Side]] = [
        Change(
            state_change(old, new),
            after,
            item["id"],
            {"state": old, "reason": item["title"]},
            {"state": new, "reason": item["title"]},
            item=True,
        )
        for item, old, new in items
        if old != new
    ]
    before = {cell["subject"]: cell for cell in old_cells}
    for cell in new_cells:
        old_cell = before.get(cell["subject"])
        if old_cell is not None and old_cell["state"] != cell["state"]:
            found.append(Change(state_change(old_cell["state"], cell["state"]), after, cell["subject"], old_cell, cell))
    return found
