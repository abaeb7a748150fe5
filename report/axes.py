"""The two axes side by side: which cells differ between a release as shipped (X.Y.0, its day's dependencies) and
its latest patch with today's, and what else differs between the two installs (the Django patch, each package).

Pure functions over two merges of the same matrix.yaml (report/results.py, one per axis); never merges the axes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contract.matrix import LATEST, SHIPPED
from report.results import Merged

# Not a state of the release: a cell that did not run on one axis differs from nothing.
_NO_VERDICT = ("not-run", "undecided")


@dataclass(frozen=True)
class AxisDifference:
    """One cell whose state differs between the axes, with every version that differs between the two installs."""

    release: str
    probe: str
    server: str | None
    shipped: str
    latest: str
    # package -> (as shipped, latest); "python" and "django" included when they differ
    versions: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        return f"{self.probe}@{self.server}" if self.server else self.probe


def installs(merged: dict[str, Merged]) -> dict[str, dict[str, dict[str, str | None]]]:
    """Per axis, per release: the versions its env recorded (empty when it did not run)."""
    return {axis: {run.release.version: dict(run.versions) for run in m.runs} for axis, m in merged.items()}


def version_differences(
    shipped: dict[str, str | None], latest: dict[str, str | None]
) -> dict[str, tuple[str | None, str | None]]:
    """Every package (Python too) whose version differs between the two installs of a release."""
    names = sorted(set(shipped) | set(latest))
    return {name: (shipped.get(name), latest.get(name)) for name in names if shipped.get(name) != latest.get(name)}


def differences(shipped: Merged, latest: Merged) -> list[AxisDifference]:
    """Every cell whose state differs between the axes, where both axes reached a verdict."""
    found = []
    versions = installs({SHIPPED: shipped, LATEST: latest})
    for (release, probe, server), cell in latest.cells.items():
        other = shipped.cells.get((release, probe, server))
        if other is None or cell["state"] == other["state"]:
            continue
        if cell["state"] in _NO_VERDICT or other["state"] in _NO_VERDICT:
            continue
        found.append(
            AxisDifference(
                release,
                probe,
                server,
                shipped=other["state"],
                latest=cell["state"],
                versions=version_differences(versions[SHIPPED].get(release, {}), versions[LATEST].get(release, {})),
            )
        )
    return found
