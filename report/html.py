"""The self-contained HTML page: Jinja2 with autoescape, inline CSS and JS, nothing fetched from a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from contract.matrix import SHIPPED, known_issues
from contract.rows import anchor
from contract.states import STATES
from report import twoaxis
from report.apis import api_label, api_view
from report.export import probe_rows
from report.legend import MEANINGS, SYMBOLS
from report.timings import milliseconds, ratios_text, seconds, stability_text, timing_rows

TEMPLATES = Path(__file__).resolve().parent / "templates"


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on the `#rrggbb` background (WCAG 2 contrast ratio)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05: white wins below L = 0.179.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#000000"


def shipped_anchor(release: str, subject: str) -> str:
    """The permalink of a cell as shipped (X.Y.0 on its release day's dependencies): `shipped/5.2/auth.async-api`."""
    return f"{SHIPPED}/{anchor(release, subject)}"


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
    apis = api_view(data)
    # What the search box finds a row by: its names, and the names of the async APIs its probes observe.
    apis_of: dict[str, list[str]] = {}
    for area in apis.areas:
        for row in area.rows:
            apis_of.setdefault(row.probe, []).append(row.api)
    notes = cell_notes(data)
    return environment.get_template("report.html.j2").render(
        data=data,
        notes=notes,
        issue_anchors={anchor for anchor, note in notes.items() if note["issues"]},
        comparison=comparison,
        changed={change["anchor"]: change for change in comparison["changes"]} if comparison else {},
        anchor=anchor,
        shipped_anchor=shipped_anchor,
        states=STATES,
        on_colour={name: (text_on(state.colour), text_on(state.dark_colour)) for name, state in STATES.items()},
        symbols=SYMBOLS,
        meanings=MEANINGS,
        areas=sorted(set(areas_of.values())),
        item_areas={
            item["id"]: sorted({areas_of[ref.split("@")[0]] for ref in item["probes"]}) for item in data["roadmap"]
        },
        item_apis={
            item["id"]: [name for ref in item["probes"] for name in apis_of.get(ref.split("@")[0], [])]
            for item in data["roadmap"]
        },
        apis_of=apis_of,
        api_areas=apis.areas,
        api_label=api_label,
        probe_rows=probe_rows(data),
        axes=_axes(data),
        packages=sorted({name for release in data["releases"] for name in release["versions"]}),
        timings=timing_rows(data),
        bench=bench,
        seconds=seconds,
        milliseconds=milliseconds,
        ratios_text=ratios_text,
        stability_text=stability_text,
    )


def cell_notes(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per cell permalink (either axis), what its evidence panel adds to the evidence: the known issues that apply to
    that install (`issues`, KnownIssue.to_data's shape) and the bisected cause where the two axes differ (`cause`:
    sentence and release-notes link, or None). Cells with neither are left out."""
    issues = known_issues(data)
    causes = {(d["release"], d["subject"]): d for d in data.get("axes", {}).get("differences", []) if d["cause"]}
    axes: list[tuple[list[dict[str, Any]], list[dict[str, Any]], bool]] = [(data["releases"], data["cells"], False)]
    if "axes" in data:
        axes.append((data["axes"]["shipped"]["releases"], data["axes"]["shipped"]["cells"], True))
    notes: dict[str, dict[str, Any]] = {}
    for releases, cells, shipped in axes:
        django = {r["version"]: twoaxis.number(r["versions"].get("django")) or r["django"] for r in releases}
        for cell in cells:
            release, subject = cell["release"], cell["subject"]
            applying = [i.to_data() for i in issues if i.probe == cell["probe"] and i.applies(release, django[release])]
            cause = causes.get((release, subject))
            if applying or cause:
                link = cause["link"] if cause and str(cause["link"]).startswith("https://") else None
                notes[shipped_anchor(release, subject) if shipped else anchor(release, subject)] = {
                    "issues": applying,
                    "cause": {"sentence": cause["cause"], "link": link} if cause else None,
                }
    return notes


def _axes(data: dict[str, Any]) -> dict[str, Any] | None:
    """The as-shipped-and-today table: per release its two headers, per probe row each release's two states (as
    shipped, latest) with the difference between them if any, and what the page calls each release as shipped."""
    if "axes" not in data:
        return None
    subjects, states = twoaxis.grid(data)
    versions = [release["version"] for release in data["releases"]]
    areas = {probe["id"]: probe["area"] for probe in data["probes"]}
    differences = {(d["subject"], d["release"]): {**d, "moved": twoaxis.moved(d)} for d in data["axes"]["differences"]}
    rows = []
    for subject in subjects:
        pairs = [
            {
                "release": version,
                "shipped": states.get((subject, version, SHIPPED), "not-run"),
                "latest": states.get((subject, version, "latest"), "not-run"),
                "difference": differences.get((subject, version)),
            }
            for version in versions
        ]
        probe = subject.split("@")[0]
        found = {pair[axis] for pair in pairs for axis in (SHIPPED, "latest")}
        rows.append({"subject": subject, "probe": probe, "area": areas[probe], "pairs": pairs, "states": sorted(found)})
    shipped = data["axes"]["shipped"]["releases"]
    return {
        "headers": list(zip(versions, twoaxis.headers(data))),
        "rows": rows,
        "differences": list(differences.values()),
        "django": {r["version"]: twoaxis.number(r["versions"].get("django")) or r["django"] for r in shipped},
    }
