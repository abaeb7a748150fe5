"""The self-contained HTML page: Jinja2 with autoescape, inline CSS and JS, nothing fetched from a network."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TypedDict, cast

import jinja2

from contract.matrix import SHIPPED
from contract.rows import anchor
from contract.states import STATES
from report import twoaxis
from report.apis import api_label
from report.legend import MEANINGS, SYMBOLS
from report.model import CellData, DifferenceData, KnownIssueData, ReportData, ShippedCell, ShippedRelease
from report.patches import patch_rows
from report.timings import milliseconds, ratios_text, seconds, stability_text
from report.view import Report

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


@functools.cache
def _environment() -> jinja2.Environment:
    """The templates' environment, made once: it compiles each template once, not on every render."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # everything from results (reasons, exception text) must stay text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(report: Report | ReportData) -> str:
    """The page; `report.comparison` marks cells changed since the baseline, `report.bench` adds the benchmark's
    medians to the footer. A results.json read back (`ReportData`) renders as a report of its own."""
    report = report if isinstance(report, Report) else Report(report)
    data, comparison = report.data, report.comparison
    environment = _environment()
    areas_of = report.areas
    apis = report.apis
    # What the search box finds a row by: its names, and the names of the async APIs its probes observe.
    apis_of: dict[str, list[str]] = {}
    for area in apis.areas:
        for row in area.rows:
            apis_of.setdefault(row.probe, []).append(row.api)
    notes = cell_notes(report)
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
        probe_rows=report.probe_rows,
        patch_rows=patch_rows(report.known_bugs),
        axes=_axes(report),
        packages=report.packages,
        timings=report.timings,
        bench=report.bench,
        seconds=seconds,
        milliseconds=milliseconds,
        ratios_text=ratios_text,
        stability_text=stability_text,
    )


class CauseNote(TypedDict):
    sentence: str | None
    link: str | None  # only an https link


class CellNote(TypedDict):
    """What a cell's evidence panel adds to the evidence: the known issues that apply, the bisected cause."""

    issues: list[KnownIssueData]
    cause: CauseNote | None


class MovedDifference(DifferenceData):
    moved: str  # twoaxis.moved: every version that differs


class AxesPair(TypedDict):
    """One release of a two-axis row: its state as shipped and today, and the difference between them if any."""

    release: str
    shipped: str
    latest: str
    difference: MovedDifference | None


class AxesRow(TypedDict):
    subject: str
    probe: str
    area: str
    pairs: list[AxesPair]
    states: list[str]


class AxesTable(TypedDict):
    """The as-shipped-and-today table: per release its two headers, per probe row each release's pair, the
    differences, and what the page calls each release as shipped."""

    headers: list[tuple[str, tuple[str, str]]]
    rows: list[AxesRow]
    differences: list[MovedDifference]
    django: dict[str, str]


def cell_notes(report: Report) -> dict[str, CellNote]:
    """Per cell permalink (either axis), what its evidence panel adds to the evidence: the known issues that apply to
    that install (`issues`, KnownIssue.to_data's shape) and the bisected cause where the two axes differ (`cause`:
    sentence and release-notes link, or None). Cells with neither are left out."""
    data = report.data
    differences = data["axes"]["differences"] if "axes" in data else []
    causes = {(d["release"], d["subject"]): d for d in differences if d["cause"]}
    axes: list[tuple[list[ShippedRelease], list[CellData] | list[ShippedCell], bool]] = [
        (list(data["releases"]), data["cells"], False)
    ]
    if "axes" in data:
        axes.append((data["axes"]["shipped"]["releases"], data["axes"]["shipped"]["cells"], True))
    notes: dict[str, CellNote] = {}
    for releases, cells, shipped in axes:
        django = {r["version"]: twoaxis.number(r["versions"].get("django")) or r["django"] for r in releases}
        for cell in cells:
            release, subject = cell["release"], cell["subject"]
            applying = [
                cast(KnownIssueData, i.to_data())
                for i in report.known_issues
                if i.probe == cell["probe"] and i.applies(release, django[release])
            ]
            cause = causes.get((release, subject))
            if applying or cause:
                link = cause["link"] if cause and str(cause["link"]).startswith("https://") else None
                notes[shipped_anchor(release, subject) if shipped else anchor(release, subject)] = {
                    "issues": applying,
                    "cause": {"sentence": cause["cause"], "link": link} if cause else None,
                }
    return notes


def _axes(report: Report) -> AxesTable | None:
    """The as-shipped-and-today table (AxesTable), or None without a shipped axis."""
    data = report.data
    if "axes" not in data:
        return None
    subjects, states = report.grid
    differences: dict[tuple[str, str], MovedDifference] = {
        (d["subject"], d["release"]): {**d, "moved": twoaxis.moved(d)} for d in data["axes"]["differences"]
    }
    rows: list[AxesRow] = []
    for subject in subjects:
        pairs: list[AxesPair] = [
            {
                "release": version,
                "shipped": states.get((subject, version, SHIPPED), "not-run"),
                "latest": states.get((subject, version, "latest"), "not-run"),
                "difference": differences.get((subject, version)),
            }
            for version in report.releases
        ]
        probe = subject.split("@")[0]
        found = {pair["shipped"] for pair in pairs} | {pair["latest"] for pair in pairs}
        rows.append(
            {"subject": subject, "probe": probe, "area": report.areas[probe], "pairs": pairs, "states": sorted(found)}
        )
    shipped = data["axes"]["shipped"]["releases"]
    return {
        "headers": list(zip(report.releases, report.headers)),
        "rows": rows,
        "differences": list(differences.values()),
        "django": {r["version"]: twoaxis.number(r["versions"].get("django")) or r["django"] for r in shipped},
    }
