"""The self-contained HTML page: Jinja2 with autoescape, inline CSS and JS, nothing fetched from a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from harness.states import STATES
from report.legend import MEANINGS, SYMBOLS
from report.timings import BENCH_ROWS, env_rows, ratios_text, seconds, stability_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(data: dict[str, Any], comparison: dict[str, Any] | None = None, bench: dict[str, Any] | None = None) -> str:
    """The page; `comparison` (report/baseline.py's Comparison.to_data()) marks cells changed since the baseline,
    `bench` (report/timings.py's load_bench) adds the benchmark's medians to the footer."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # everything from results (reasons, exception text) must stay text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    areas_of = {probe["id"]: probe["area"] for probe in data["probes"]}
    return environment.get_template("report.html.j2").render(
        data=data,
        comparison=comparison,
        changed={change["anchor"]: change for change in comparison["changes"]} if comparison else {},
        states=STATES,
        symbols=SYMBOLS,
        meanings=MEANINGS,
        areas=sorted(set(areas_of.values())),
        item_areas={
            item["id"]: sorted({areas_of[ref.split("@")[0]] for ref in item["probes"]}) for item in data["roadmap"]
        },
        probe_rows=_probe_rows(data, areas_of),
        packages=sorted({name for release in data["releases"] for name in release["versions"]}),
        timings=env_rows(data),
        bench=bench,
        bench_rows=BENCH_ROWS,
        seconds=seconds,
        ratios_text=ratios_text,
        stability_text=stability_text,
    )


def _probe_rows(data: dict[str, Any], areas_of: dict[str, str]) -> list[dict[str, Any]]:
    titles = {probe["id"]: probe["title"] for probe in data["probes"]}
    rows: dict[str, dict[str, Any]] = {}
    for cell in data["cells"]:
        row = rows.setdefault(
            cell["subject"],
            {
                "probe": cell["probe"],
                "server": cell["server"],
                "title": titles[cell["probe"]],
                "area": areas_of[cell["probe"]],
                "cells": [],
            },
        )
        row["cells"].append(cell)
    order = [release["version"] for release in data["releases"]]
    for row in rows.values():
        row["cells"].sort(key=lambda cell: order.index(cell["release"]))
    return list(rows.values())
