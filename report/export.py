"""The merged report as data: report/out/results.json (`ReportData`), built from both axes' merged cells."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from typing import cast

from contract.rows import SCHEMA_VERSION
from report.axes import differences
from report.inputs import matrix_hash
from report.model import (
    DelayData,
    Host,
    KnownIssueData,
    RanOn,
    RegressionData,
    ReleaseData,
    ReportData,
    ScoreData,
)
from report.results import EnvRun, Merged
from report.roadmap import WORKING, Delay, Regression, Roadmap, Score, evaluate, parts_text
from report.twoaxis import Cause, attach


def host() -> Host:
    """Where the report was built: OS, architecture and CPU count, never a hostname."""
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    return {"os": system, "arch": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}


def supported(run: EnvRun, as_of: dt.date) -> bool:
    return run.release.released <= as_of <= run.release.end_of_support


def build(
    latest: Merged, shipped: Merged, causes: dict[tuple[str, str], Cause], generated: dt.datetime, where: Host
) -> ReportData:
    """Both axes evaluated, the shipped one attached to the latest (report/twoaxis.py): report/out/results.json."""
    return attach(
        to_data(latest, evaluate(latest), generated, where),
        to_data(shipped, evaluate(shipped), generated, where),
        differences(shipped, latest),
        causes,
    )


def to_json(data: ReportData) -> str:
    """The text of a results.json or baseline.json: the one place merged results are written."""
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def to_data(merged: Merged, roadmap: Roadmap, generated: dt.datetime, where: Host) -> ReportData:
    as_of = merged.run_date
    started = [run.started for run in merged.runs if run.started]
    reasons = {(cell["release"], cell["subject"]): cell["reason"] for cell in merged.cells.values()}
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
        "probes": [
            {"id": probe.id, "area": probe.area, "title": probe.title, "servers": probe.servers}
            for probe in merged.matrix.probes
        ],
        # matrix.yaml's known issues and workarounds, beside the probes they concern (matrix.known_issues reads them)
        "known_issues": [cast(KnownIssueData, issue.to_data()) for issue in merged.matrix.known_issues],
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
                "documented_in": (
                    {"release": result.item.documented_in.release, "url": result.item.documented_in.url}
                    if result.item.documented_in
                    else None
                ),
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
            "roadmap": [_regression(r) for r in roadmap.item_regressions],
            "probes": [_regression(r, reasons) for r in roadmap.probe_regressions],
        },
        "warnings": list(merged.warnings),
    }


def _ran_on(run: EnvRun) -> RanOn:
    return {"django": run.versions.get("django"), "asgiref": run.versions.get("asgiref")}


def _release(run: EnvRun, as_of: dt.date) -> ReleaseData:
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


def _regression(regression: Regression, reasons: dict[tuple[str, str], str] | None = None) -> RegressionData:
    """A version regression; a probe's (given each cell's reason by release and subject) with both sides' reasons,
    so it reads without the page."""
    found: RegressionData = {
        "subject": regression.subject,
        "before_release": regression.before_release,
        "before": regression.before,
        "after_release": regression.after_release,
        "after": regression.after,
    }
    if reasons is not None:
        found["before_reason"] = reasons[(regression.before_release, regression.subject)]
        found["after_reason"] = reasons[(regression.after_release, regression.subject)]
    return found


def _delay(delay: Delay | None) -> DelayData | None:
    if delay is None:
        return None
    return {
        "releases": delay.releases,
        "months": delay.months,
        "open": delay.open,
        "unknown": delay.unknown,
        "text": str(delay),
    }


def _score(score: Score) -> ScoreData:
    return {
        "release": score.release,
        "counts": score.counts,
        "total": score.total,
        "native": round(score.share("native"), 4),
        "working": round(score.share(*WORKING), 4),
    }
