"""What changes when you upgrade from one release to another: the roadmap items and probe cells that differ.

The HTML page's upgrade view shows the same (tests/unit/report/test_page.py checks it against `changes`).
"""

from __future__ import annotations

from typing import Any

from report.baseline import Change, state_change


def changes(data: dict[str, Any], before: str, after: str) -> list[Change]:
    """Every roadmap item and probe cell whose state differs between the two releases, items first."""
    versions = [release["version"] for release in data["releases"]]
    for version in (before, after):
        if version not in versions:
            raise ValueError(f"release {version!r} is not in matrix.yaml (releases: {', '.join(versions)})")
    found = [
        Change(
            state_change(item["states"][before], item["states"][after]),
            after,
            item["id"],
            {"state": item["states"][before], "reason": item["title"]},
            {"state": item["states"][after], "reason": item["title"]},
            item=True,
        )
        for item in data["roadmap"]
        if item["states"][before] != item["states"][after]
    ]
    cells = {(cell["release"], cell["subject"]): cell for cell in data["cells"]}
    for (release, subject), cell in cells.items():
        if release != after:
            continue
        old = cells.get((before, subject))
        if old is not None and old["state"] != cell["state"]:
            found.append(Change(state_change(old["state"], cell["state"]), after, subject, old, cell))
    return found
