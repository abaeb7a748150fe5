"""What changes when you upgrade from one release to another: the roadmap items and probe cells that differ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    subject: str  # "roadmap: <item id>" or a probe row like "views.async-function@uvicorn"
    before: str
    after: str
    why: str


def changes(data: dict[str, Any], before: str, after: str) -> list[Change]:
    """Every roadmap item and probe cell whose state differs between the two releases."""
    versions = [release["version"] for release in data["releases"]]
    for version in (before, after):
        if version not in versions:
            raise ValueError(f"release {version!r} is not in matrix.yaml (releases: {', '.join(versions)})")
    found = [
        Change(f"roadmap: {item['id']}", item["states"][before], item["states"][after], item["title"])
        for item in data["roadmap"]
        if item["states"][before] != item["states"][after]
    ]
    cells = {(cell["release"], cell["subject"]): cell for cell in data["cells"]}
    for (release, subject), cell in cells.items():
        if release != after:
            continue
        old = cells.get((before, subject))
        if old is not None and old["state"] != cell["state"]:
            found.append(Change(subject, old["state"], cell["state"], cell["reason"]))
    return found
