"""Follow upstream: what PyPI has that matrix.yaml does not pin, and what the newest versions do to the matrix.

    python -m report.upstream check     the newest patch of every series, and any new feature release or pre-release
    python -m report.upstream update    pin the newest patches in matrix.yaml, regenerate those lock files, say what changed
    python -m report.upstream run       latest mode: the newest patch of every series with the newest dependencies,
                                        locked and run in a scratch folder (committed files untouched), compared
                                        cell by cell with the baseline; exit 1 when a cell regressed

PyPI is read through its simple API in JSON form (`Accept: application/vnd.pypi.simple.v1+json`). Single-threaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from report.baseline import REGRESSION, state_change
from report.bisect import pypi_versions
from report.matrix import MATRIX_PATH, ROOT, Matrix, display_path, load_matrix

BASELINE_PATH = ROOT / "report" / "out" / "baseline.json"


@dataclass(frozen=True)
class Upstream:
    """What PyPI has beyond matrix.yaml: newer patches per series, and feature releases it does not list."""

    newer_patches: dict[str, tuple[str, str]]  # series -> (pinned, newest)
    new_series: tuple[str, ...]  # per series matrix.yaml does not list: "6.2.1", or "6.2a1 (pre-release)"


def upstream(matrix: Matrix, django_versions: Sequence[str]) -> Upstream:
    """Compare matrix.yaml's Django pins with every Django version PyPI lists."""
    parsed = []
    for text in django_versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    newer = {}
    for release in matrix.releases:
        series = [
            (version, text)
            for version, text in parsed
            if not version.is_prerelease and f"{version.major}.{version.minor}" == release.version
        ]
        if series:
            newest = max(series)[1]
            if Version(newest) > Version(release.django):
                newer[release.version] = (release.django, newest)
    listed = {release.version for release in matrix.releases}
    last = max(Version(series) for series in listed)
    beyond: dict[str, list[Version]] = {}
    for version, _ in parsed:
        key = f"{version.major}.{version.minor}"
        if key not in listed and Version(key) > last:
            beyond.setdefault(key, []).append(version)
    new_series = []
    for key in sorted(beyond, key=Version):  # a final release if the series has one, else its newest pre-release
        finals = [version for version in beyond[key] if not version.is_prerelease]
        new_series.append(str(max(finals)) if finals else f"{max(beyond[key])} (pre-release)")
    return Upstream(newer, tuple(new_series))


def update_text(text: str, newer: dict[str, tuple[str, str]]) -> str:
    """matrix.yaml's text with each release's `django:` pin moved to its newest patch (nothing else touched)."""
    for series, (pinned, newest) in newer.items():
        pattern = re.compile(rf'(  - version: "{re.escape(series)}"\n    django: ){re.escape(pinned)}\n')
        text, count = pattern.subn(rf"\g<1>{newest}\n", text)
        if count != 1:
            raise ValueError(f'matrix.yaml: no `django: {pinned}` right under `version: "{series}"` to update')
    return text


@dataclass(frozen=True)
class CellChange:
    """A cell whose state in the latest-mode run differs from the baseline, with the versions that moved."""

    kind: str  # report/baseline.py's kinds: regression, improvement, sideways, not-run, undecided
    release: str
    subject: str
    old: str
    new: str
    moved: tuple[str, ...]  # "django 5.2.19 → 5.2.20", ...

    def sentence(self) -> str:
        what = "; ".join(self.moved) or "no version moved"
        return f"{self.kind}: {self.release} {self.subject}: {self.old} → {self.new} ({what})"


def compare(baseline: dict[str, Any], runs: dict[str, dict[str, Any]]) -> list[CellChange]:
    """The latest-mode results (per env file, by release) against the baseline's cells, regressions first.

    Each change names the versions that moved for its release, Django first: a new patch that changes a cell is
    a regression like any other, named by its version.
    """
    cells = {(cell["release"], cell["probe"], cell["server"]): cell["state"] for cell in baseline["cells"]}
    before_versions = {release["version"]: release["versions"] for release in baseline["releases"]}
    found = []
    for release, run in runs.items():
        old_versions, new_versions = before_versions.get(release, {}), run["versions"]
        moved = tuple(
            f"{name} {old_versions.get(name) or '—'} → {new_versions.get(name) or '—'}"
            for name in sorted(set(old_versions) | set(new_versions), key=lambda name: (name != "django", name))
            if old_versions.get(name) != new_versions.get(name)
        )
        for row in run["probes"]:
            old = cells.get((release, row["id"], row["server"]))
            if old is None or old == row["state"]:
                continue
            subject = f"{row['id']}@{row['server']}" if row["server"] else row["id"]
            found.append(CellChange(state_change(old, row["state"]), release, subject, old, row["state"], moved))
    found.sort(key=lambda change: (change.kind != REGRESSION, change.release, change.subject))
    return found


def run_latest_mode(matrix: Matrix, scratch: Path, baseline_path: Path) -> int:
    """Lock the newest of everything into `scratch`, run the latest envs on it, compare with the baseline."""
    requirements, results = scratch / "requirements", scratch / "results"
    python = sys.executable
    subprocess.run([python, "-m", "requirements.compile", "--newest", str(requirements)], check=True, cwd=ROOT)
    envs = [release.env for release in matrix.releases]
    env = {**os.environ, "PROBE_REQUIREMENTS": str(requirements), "PROBE_RESULTS_DIR": str(results)}
    command = ["tox", "p", "-e", ",".join(envs), "--workdir", str(scratch / "tox")]
    subprocess.run(command, cwd=ROOT, env=env, check=False)  # a failing env still leaves the others' results
    runs = {}
    for release in matrix.releases:
        path = results / f"{release.env}.json"
        if path.exists():
            runs[release.version] = json.loads(path.read_text(encoding="utf-8"))
        else:
            print(f"latest mode: {release.env} left no results (see the tox output above)")
    changes = compare(json.loads(baseline_path.read_text(encoding="utf-8")), runs)
    for change in changes:
        print(change.sentence())
    if not changes:
        print(f"latest mode: no cell changed against {display_path(baseline_path)}")
    return 1 if any(change.kind == REGRESSION for change in changes) else 0


def main(argv: Sequence[str] | None = None, versions_of: Callable[[str], list[str]] = pypi_versions) -> int:
    parser = argparse.ArgumentParser(prog="python -m report.upstream", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="what PyPI has beyond matrix.yaml's pins")
    sub.add_parser("update", help="pin the newest patches and regenerate their lock files")
    run = sub.add_parser("run", help="latest mode: run the newest of everything in a scratch folder")
    run.add_argument("--scratch", type=Path, help="the scratch folder (default: a new temporary one)")
    run.add_argument("--baseline", type=Path, default=BASELINE_PATH, help="what to compare with")
    args = parser.parse_args(argv)
    matrix = load_matrix()
    if args.command == "run":
        if args.scratch:
            return run_latest_mode(matrix, args.scratch, args.baseline)
        with tempfile.TemporaryDirectory(prefix="latest-mode-") as scratch:
            return run_latest_mode(matrix, Path(scratch), args.baseline)
    found = upstream(matrix, versions_of("django"))
    for series, (pinned, newest) in found.newer_patches.items():
        print(f"Django {series}: {pinned} pinned, {newest} on PyPI")
    for series in found.new_series:
        print(
            f"Django {series} is on PyPI but not in matrix.yaml. To add it: a `releases:` entry (README, "
            '"Adding a Django release"), its envs in tox.ini, then `tox -e compile`.'
        )
    if not found.newer_patches:
        print("every series is pinned to its newest patch")
    if args.command == "update" and found.newer_patches:
        MATRIX_PATH.write_text(update_text(MATRIX_PATH.read_text(encoding="utf-8"), found.newer_patches), "utf-8")
        envs = [matrix.release(series).env for series in found.newer_patches]
        subprocess.run([sys.executable, "-m", "requirements.compile", *envs], check=True, cwd=ROOT)
        print(f"updated matrix.yaml and the lock files of {', '.join(envs)}; run `tox -e {','.join(envs)}` next")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
