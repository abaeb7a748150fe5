"""The self-contained HTML page: Jinja2 with autoescape, inline CSS and JS, nothing fetched from a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from harness.rows import anchor
from harness.states import STATES
from report import twoaxis
from report.export import probe_rows
from report.legend import MEANINGS, SYMBOLS
from report.timings import ratios_text, seconds, stability_text, timing_rows

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
        anchor=anchor,
        states=STATES,
        symbols=SYMBOLS,
        meanings=MEANINGS,
        areas=sorted(set(areas_of.values())),
        item_areas={
            item["id"]: sorted({areas_of[ref.split("@")[0]] for ref in item["probes"]}) for item in data["roadmap"]
        },
        probe_rows=probe_rows(data),
        packages=sorted({name for release in data["releases"] for name in release["versions"]}),
        timings=timing_rows(data),
        bench=bench,
        seconds=seconds,
        ratios_text=ratios_text,
        stability_text=stability_text,
        axes_section=markupsafe.Markup(twoaxis.html(data)),  # built escaped by report/twoaxis.py
    )
