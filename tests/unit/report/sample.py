"""Small slices of a run for tests that render or open the page: every release and both axes, but only a few probes
(a page a tenth the size, which a browser loads in a fraction of the time; tests/unit/report/test_page.py still opens
the whole page once, for what depends on everything it holds). And matrix.yaml cut down alike, for the tests that run
the whole report on a few envs' files: `python -m report` renders every probe on every release, so on the whole
matrix each of their runs cost a fifth of a CPU-second, most of it cells that did not run."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any, cast

import yaml

from contract.matrix import MATRIX_PATH, ROOT, load_matrix

COMMITTED = ROOT / "report" / "out" / "results.json"
# The roadmap items async-auth and orm-models-and-relations whole (an item is kept only with all its probes), and
# the probes whose known issues the tests open: #34139 on orm.related-managers (fixed in 4.1.4, a bisected cause of
# an axes' difference too), sessions.file's workaround, streaming.sync-iterator's marker, sessions.db's note.
PROBES = frozenset(
    {
        "auth.async-api",
        "auth.password-check",
        "orm.model-methods",
        "orm.related-managers",
        "sessions.db",
        "sessions.file",
        "streaming.sync-iterator",
    }
)


# The probes of the small matrix: a probe served by each server, a WebSocket, a roadmap item of one probe
# (async-request-stack) and one of three (async-views).
SMALL = frozenset(
    {
        "asgi.entrypoint",
        "asgi.request-stack",
        "websocket.django",
        "views.async-function",
        "views.async-class-based",
        "views.async-concurrency",
    }
)


def small_matrix(probes: frozenset[str] = SMALL) -> str:
    """matrix.yaml's text cut down to `probes`: every release, pin and tool, the roadmap items made only of them and
    the patch fixes that name only them."""
    matrix = yaml.safe_load(MATRIX_PATH.read_text(encoding="utf-8"))

    def kept(refs: list[str]) -> bool:
        return all(ref.split("@")[0] in probes for ref in refs)

    matrix["probes"] = [probe for probe in matrix["probes"] if probe["id"] in probes]
    matrix["roadmap"] = [item for item in matrix["roadmap"] if kept(item["probes"])]
    matrix["patch_fixes"] = [fix for fix in matrix["patch_fixes"] if kept(fix.get("probes", []))]
    text: str = yaml.safe_dump(matrix, sort_keys=False, allow_unicode=True)
    return text


def cut_env(data: dict[str, Any], probes: frozenset[str] = SMALL) -> dict[str, Any]:
    """An env's results file (results/<env>.json) with only the rows of `probes`."""
    return {**data, "probes": [row for row in data["probes"] if row["id"] in probes]}


def cut(data: dict[str, Any], probes: frozenset[str]) -> dict[str, Any]:
    """A merged run (results.json) cut down to `probes`, a copy of its own: their cells on both axes, the differences
    between the axes, the known issues and regressions, and the roadmap items made only of them. Releases, scores and
    timings stay whole."""

    def kept(subject: str) -> bool:
        return subject.split("@")[0] in probes

    items = [item for item in data["roadmap"] if all(kept(ref) for ref in item["probes"])]
    names = {item["id"] for item in items}
    cells = [cell for cell in data["cells"] if cell["probe"] in probes]
    sliced = {
        **data,
        "probes": [probe for probe in data["probes"] if probe["id"] in probes],
        "cells": cells,
        "roadmap": items,
        "known_issues": [issue for issue in data["known_issues"] if issue["probe"] in probes],
        "regressions": {
            "roadmap": [r for r in data["regressions"]["roadmap"] if r["subject"] in names],
            "probes": [r for r in data["regressions"]["probes"] if kept(r["subject"])],
        },
    }
    if "axes" in data:
        shipped = data["axes"]["shipped"]
        sliced["axes"] = {
            "shipped": {**shipped, "cells": [cell for cell in shipped["cells"] if cell["probe"] in probes]},
            "differences": [d for d in data["axes"]["differences"] if kept(d["subject"])],
        }
    return copy.deepcopy(sliced)


@functools.cache
def _committed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return data


def sample() -> dict[str, Any]:
    """The committed run (report/out/results.json) with matrix.yaml's known issues, cut down to PROBES."""
    issues = [issue.to_data() for issue in load_matrix().known_issues]
    return cut({**_committed(), "known_issues": issues}, PROBES)


def rendered(folder: Path, data: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """`data` (a results.json) in `folder` as `python -m report` leaves it, its results.json and its report.html: the
    page, and `data`."""
    from report import html
    from report.model import ReportData

    (folder / "results.json").write_text(json.dumps(data), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(html.render(cast(ReportData, data)), encoding="utf-8")
    return page, data
