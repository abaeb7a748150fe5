"""Both axes in the report, never merged: every release as shipped (X.Y.0 on its release day's dependencies) next to
its latest patch today, the cells that differ with what differs, and "first shipped" taken from the shipped axis.

`attach` adds to the merged data (report/out/results.json): `axes.shipped` (the shipped axis's releases and cells),
`axes.differences` (each differing cell with the differing versions and its bisected cause from
report/out/bisections.json), and rewrites each roadmap item's `first_shipped` from the shipped axis (`first_shipped_axis`
says so; the latest axis's answer stays in `first_shipped_latest`). report/markdown_runs.py and the page's template render that block.
Pure functions over the typed merged data (report/model.py ReportData).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict, cast

import jsonschema

from contract.matrix import ROOT, SHIPPED, display_path, key_path
from report.axes import AxisDifference
from report.inputs import IncompatibleResults
from report.model import AxesData, DifferenceData, ReportData, RoadmapData, ShippedAxis
from report.timings import env_rows

# What `tox -e bisect -- --all` writes (tools/bisect.py) and the report reads.
BISECTIONS_PATH = ROOT / "report" / "out" / "bisections.json"


class Cause(TypedDict):
    """A bisected cause of a difference between the axes (tools/bisect.py writes more keys)."""

    release: str
    subject: str
    sentence: str
    link: str | None


class CausesError(IncompatibleResults):
    """bisections.json cannot be read; the message names the file and the fix (the report exits 2)."""


# What tools/bisect.py writes (each cause has more keys; these are the ones read here).
_CAUSES_SCHEMA = {
    "type": "object",
    "required": ["causes"],
    "properties": {
        "causes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["release", "subject", "sentence", "link"],
                "properties": {
                    "release": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$"},
                    "subject": {"type": "string"},
                    "sentence": {"type": "string"},
                    "link": {"type": ["string", "null"]},
                },
            },
        }
    },
}


def load_causes(path: Path) -> dict[tuple[str, str], Cause]:
    """bisections.json by (release, subject); empty when there is none yet.

    Raises CausesError for a file that is not one (a folder, unreadable, not JSON, another shape).
    """
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror or exc})"
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"not valid JSON ({exc})"
    else:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_CAUSES_SCHEMA).iter_errors(data))
        if error is None:
            return {(cause["release"], cause["subject"]): cast(Cause, cause) for cause in data["causes"]}
        problem = f"{key_path(list(error.absolute_path)) or '(top level)'}: {error.message}"
    raise CausesError(
        f"{display_path(path)}: {problem}. Fix: rerun `tox -e bisect -- --all` (it replaces the file) or delete it"
    )


def attach(
    data: ReportData, shipped: ReportData, found: list[AxisDifference], causes: dict[tuple[str, str], Cause]
) -> ReportData:
    """`data` (the latest axis) with the shipped axis `shipped` (the same shape) attached, as described above."""
    by_item = {item["id"]: item for item in shipped["roadmap"]}
    roadmap: list[RoadmapData] = []
    for item in data["roadmap"]:
        other = by_item[item["id"]]
        roadmap.append(
            {
                **item,
                "first_shipped": other["first_shipped"],
                "first_shipped_text": other["first_shipped_text"],
                "shipped_delay": other["shipped_delay"],
                "first_shipped_axis": SHIPPED,
                "first_shipped_latest": item["first_shipped"],
                "first_shipped_latest_text": item["first_shipped_text"],
                "states_shipped": other["states"],
            }
        )
    differences: list[DifferenceData] = []
    for difference in found:
        cause = causes.get((difference.release, difference.subject))
        differences.append(
            {
                "release": difference.release,
                "subject": difference.subject,
                "shipped": difference.shipped,
                "latest": difference.latest,
                "versions": {name: list(pair) for name, pair in difference.versions.items()},
                "cause": cause["sentence"] if cause else None,
                "link": cause["link"] if cause else None,
            }
        )
    axes: AxesData = {"shipped": shipped_axis(shipped), "differences": differences}
    return {**data, "roadmap": roadmap, "axes": axes}


def shipped_axis(shipped: ReportData) -> ShippedAxis:
    """What the report keeps of the shipped axis: its releases, its cells (without duration, source hash and
    anchor) and its envs' timings."""
    return {
        "releases": [
            {
                "version": release["version"],
                "env": release["env"],
                "django": release["django"],
                "python": release["python"],
                "status": release["status"],
                "problem": release["problem"],
                "versions": release["versions"],
            }
            for release in shipped["releases"]
        ],
        "cells": [
            {
                "release": cell["release"],
                "probe": cell["probe"],
                "server": cell["server"],
                "state": cell["state"],
                "reason": cell["reason"],
                "reproduce": cell["reproduce"],
                "subject": cell["subject"],
                "ran_on": cell["ran_on"],
                "facts": cell["facts"],
                "measurements": cell["measurements"],
            }
            for cell in shipped["cells"]
        ],
        "timings": env_rows(shipped),
    }


def headers(data: ReportData) -> list[tuple[str, str]]:
    """Per release, the two sub-column headers: ("3.0.0, 2019-12 deps", "3.0.14, today")."""
    shipped = {release["version"]: release for release in data["axes"]["shipped"]["releases"]}
    pairs = []
    for release in data["releases"]:
        first = shipped[release["version"]]
        pairs.append(
            (
                f"{number(first['versions'].get('django')) or first['django']}, {release['released'][:7]} deps",
                f"{number(release['versions'].get('django')) or release['django']}, today",
            )
        )
    return pairs


def number(version: str | None) -> str | None:
    """Django 3.0.0 records itself as 3.0: show it as the release it is."""
    if version is None:
        return None
    parts = version.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts))) if all(part.isdigit() for part in parts) else version


def grid(data: ReportData) -> tuple[list[str], dict[tuple[str, str, str], str]]:
    """The rows (subjects, in the report's order) and each (subject, release, axis) -> state."""
    states: dict[tuple[str, str, str], str] = {}
    subjects: list[str] = []
    for cell in data["cells"]:
        if cell["subject"] not in subjects:
            subjects.append(cell["subject"])
        states[(cell["subject"], cell["release"], "latest")] = cell["state"]
    for shipped in data["axes"]["shipped"]["cells"]:
        states[(shipped["subject"], shipped["release"], SHIPPED)] = shipped["state"]
    return subjects, states


def moved(difference: DifferenceData) -> str:
    """`django 3.0 → 3.0.14, asgiref 3.2.3 → 3.11.1`: every version that differs, Django first."""
    names = sorted(difference["versions"], key=lambda name: (name != "django", name))
    return ", ".join(
        f"{name} {old or '—'} → {new or '—'}" for name in names for old, new in [difference["versions"][name]]
    )
