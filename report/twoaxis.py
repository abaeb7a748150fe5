"""Both axes in the report, never merged: every release as shipped (X.Y.0 on its release day's dependencies) next to
its latest patch today, the cells that differ with what differs, and "first shipped" taken from the shipped axis.

`attach` adds to the merged data (report/out/results.json): `axes.shipped` (the shipped axis's releases and cells),
`axes.differences` (each differing cell with the differing versions and its bisected cause from
report/out/bisections.json), and rewrites each roadmap item's `first_shipped` from the shipped axis (`first_shipped_axis`
says so; the latest axis's answer stays in `first_shipped_latest`). report/markdown.py and the page's template render that block.
Pure functions over plain data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from contract.matrix import ROOT, SHIPPED, display_path, key_path
from report.axes import AxisDifference
from report.inputs import IncompatibleResults
from report.timings import env_rows

# What `tox -e bisect -- --all` writes (tools/bisect.py) and the report reads.
BISECTIONS_PATH = ROOT / "report" / "out" / "bisections.json"
_FIRST_SHIPPED = ("first_shipped", "first_shipped_text", "shipped_delay")


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


def load_causes(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
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
            return {(cause["release"], cause["subject"]): cause for cause in data["causes"]}
        problem = f"{key_path(list(error.absolute_path)) or '(top level)'}: {error.message}"
    raise CausesError(
        f"{display_path(path)}: {problem}. Fix: rerun `tox -e bisect -- --all` (it replaces the file) or delete it"
    )


def attach(
    data: dict[str, Any],
    shipped: dict[str, Any],
    found: list[AxisDifference],
    causes: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    """`data` (the latest axis) with the shipped axis `shipped` (the same shape) attached, as described above."""
    by_item = {item["id"]: item for item in shipped["roadmap"]}
    roadmap = []
    for item in data["roadmap"]:
        other = by_item[item["id"]]
        roadmap.append(
            {
                **item,
                **{key: other[key] for key in _FIRST_SHIPPED},
                "first_shipped_axis": SHIPPED,
                "first_shipped_latest": item["first_shipped"],
                "first_shipped_latest_text": item["first_shipped_text"],
                "states_shipped": other["states"],
            }
        )
    differences = []
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
    axes = {
        "shipped": {
            "releases": [
                {key: release[key] for key in ("version", "env", "django", "python", "status", "problem", "versions")}
                for release in shipped["releases"]
            ],
            "cells": [
                {
                    key: cell[key]
                    for key in (
                        "release",
                        "probe",
                        "server",
                        "state",
                        "reason",
                        "reproduce",
                        "subject",
                        "ran_on",
                        "facts",
                        "measurements",
                    )
                }
                for cell in shipped["cells"]
            ],
            "timings": env_rows(shipped),
        },
        "differences": differences,
    }
    return {**data, "roadmap": roadmap, "axes": axes}


def headers(data: dict[str, Any]) -> list[tuple[str, str]]:
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


def grid(data: dict[str, Any]) -> tuple[list[str], dict[tuple[str, str, str], str]]:
    """The rows (subjects, in the report's order) and each (subject, release, axis) -> state."""
    states: dict[tuple[str, str, str], str] = {}
    subjects: list[str] = []
    for cell in data["cells"]:
        if cell["subject"] not in subjects:
            subjects.append(cell["subject"])
        states[(cell["subject"], cell["release"], "latest")] = cell["state"]
    for cell in data["axes"]["shipped"]["cells"]:
        states[(cell["subject"], cell["release"], SHIPPED)] = cell["state"]
    return subjects, states


def _differing(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(d["subject"], d["release"]) for d in data["axes"]["differences"]}


def moved(difference: dict[str, Any]) -> str:
    """`django 3.0 → 3.0.14, asgiref 3.2.3 → 3.11.1`: every version that differs, Django first."""
    names = sorted(difference["versions"], key=lambda name: (name != "django", name))
    return ", ".join(
        f"{name} {old or '—'} → {new or '—'}" for name in names for old, new in [difference["versions"][name]]
    )
