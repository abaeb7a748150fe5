"""The merged report as plain data: report/out/results.json, and the data the HTML page's script reads."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import asdict
from typing import Any, TypedDict

from contract.rows import SCHEMA_VERSION, Cell
from report.inputs import matrix_hash
from report.results import EnvRun, Merged
from report.roadmap import WORKING, Regression, Roadmap, Score, parts_text


def host() -> dict[str, Any]:
    """Where the report was built: OS, architecture and CPU count, never a hostname."""
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    return {"os": system, "arch": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}


def supported(run: EnvRun, as_of: dt.date) -> bool:
    return run.release.released <= as_of <= run.release.end_of_support


def to_data(merged: Merged, roadmap: Roadmap, generated: dt.datetime, where: dict[str, Any]) -> dict[str, Any]:
    as_of = merged.run_date
    started = [run.started for run in merged.runs if run.started]
    return {
        "schema": SCHEMA_VERSION,
        # Results built from other releases or probes cannot be merged with these (report/inputs.py checks it).
        "matrix_hash": matrix_hash(merged.matrix),
        "generated": generated.isoformat(timespec="seconds"),
        "run": {
            "first_started": min(started).isoformat() if started else None,
            "last_started": max(started).isoformat() if started else None,
            "as_of": as_of.isoformat(),
            "host": where,
        },
        "releases": [_release(run, as_of) for run in merged.runs],
        "probes": [asdict(probe) for probe in merged.matrix.probes],
        # matrix.yaml's known issues and workarounds, beside the probes they concern (matrix.known_issues reads them)
        "known_issues": [issue.to_data() for issue in merged.matrix.known_issues],
        # Release by release, each in the per-probe table's row order: probe_rows() relies on it.
        # Each cell names the Django and asgiref its env ran on (None where the env left no results).
        "cells": [
            {**merged.cell(run.release.version, probe.id, server), "ran_on": _ran_on(run)}
            for run in merged.runs
            for probe, server in merged.rows()
        ],
        "roadmap": [
            {
                "id": result.item.id,
                "title": result.item.title,
                "planned_by": result.item.planned_by,
                "source": result.item.source,
                "planned_for": result.item.planned_for,
                "shipped_means": result.item.shipped_means,
                "probes": [str(ref) for ref in result.item.probes],
                "core": [str(ref) for ref in result.item.core or result.item.probes],
                "documented_in": asdict(result.item.documented_in) if result.item.documented_in else None,
                "states": result.states,
                "first_shipped": result.first_shipped,
                "first_native": result.first_native,
                "first_shipped_text": result.shipped_text,
                "first_native_text": result.native_text,
                "shipped_delay": _delay(result.shipped_delay),
                "native_delay": _delay(result.native_delay),
                "docs_note": result.docs_note,
                # Wherever the deciding cells differ in state: the text, and each state's probes (least async first).
                "parts": {version: parts_text(found) for version, found in result.parts.items()},
                "parts_by_state": {
                    version: {part.state: list(part.subjects) for part in found}
                    for version, found in result.parts.items()
                },
            }
            for result in roadmap.items
        ],
        "scores": [_score(score) for score in roadmap.scores],
        "regressions": {
            "roadmap": [asdict(r) for r in roadmap.item_regressions],
            "probes": [{**asdict(r), **_evidence(merged, r)} for r in roadmap.probe_regressions],
        },
        "warnings": list(merged.warnings),
    }


def _ran_on(run: EnvRun) -> dict[str, str | None]:
    return {"django": run.versions.get("django"), "asgiref": run.versions.get("asgiref")}


def _release(run: EnvRun, as_of: dt.date) -> dict[str, Any]:
    release = run.release
    return {
        "version": release.version,
        "env": release.env,
        "django": release.django,
        "released": release.released.isoformat(),
        "end_of_support": release.end_of_support.isoformat(),
        "lts": release.lts,
        "supported": supported(run, as_of),
        "python": release.python,
        "status": run.status,
        "problem": run.problem,
        "versions": run.versions,
        "started": run.started.isoformat() if run.started else None,
        "duration": run.duration,
        "timings": run.timings,
    }


class ProbeRow(TypedDict):
    """One row of the per-probe table: a probe under one server (or none), with its cell on every release."""

    probe: str
    server: str | None
    subject: str
    title: str
    area: str
    cells: list[Cell]


def probe_rows(data: dict[str, Any]) -> list[ProbeRow]:
    """The merged file's cells regrouped into the per-probe table's rows (HTML and Markdown both show it)."""
    probes = {probe["id"]: probe for probe in data["probes"]}
    found: dict[str, ProbeRow] = {}
    for cell in data["cells"]:  # in release order, so each row's cells are too
        probe = probes[cell["probe"]]
        row = found.setdefault(
            cell["subject"],
            {
                "probe": cell["probe"],
                "server": cell["server"],
                "subject": cell["subject"],
                "title": probe["title"],
                "area": probe["area"],
                "cells": [],
            },
        )
        row["cells"].append(cell)
    return list(found.values())


def _evidence(merged: Merged, regression: Regression) -> dict[str, str]:
    """Both sides' reasons of a probe's version regression, so it reads without opening the page."""
    by_subject = {(cell["release"], cell["subject"]): cell for cell in merged.cells.values()}
    return {
        "before_reason": by_subject[(regression.before_release, regression.subject)]["reason"],
        "after_reason": by_subject[(regression.after_release, regression.subject)]["reason"],
    }


def _delay(delay: Any) -> dict[str, Any] | None:
    return None if delay is None else {**asdict(delay), "text": str(delay)}


def _score(score: Score) -> dict[str, Any]:
    return {
        "release": score.release,
        "counts": score.counts,
        "total": score.total,
        "native": round(score.share("native"), 4),
        "working": round(score.share(*WORKING), 4),
    }
