"""What the renderers read: the merged run (`ReportData`, both axes) and every index of it, each built once.

`python -m report` builds one `Report` and hands it to the Markdown, HTML and CSV renderers, which only format:
the per-probe rows, the API view, the two-axis grid, the timings and the known issues are computed here, at most
once per report however many renderers read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TypedDict

from contract.matrix import KnownIssue, known_issues
from report import twoaxis
from report.apis import ApiView, AxisCell, api_view, axis_cells
from report.model import CellData, ComparisonData, ReportData, TimingRow
from report.patches import KnownBug
from report.timings import BenchSummary, timing_rows


class ProbeRow(TypedDict):
    """One row of the per-probe table: a probe under one server (or none), with its cell on every release."""

    probe: str
    server: str | None
    subject: str
    title: str
    area: str
    cells: list[CellData]


@dataclass(frozen=True)
class Report:
    """One merged run as the renderers read it: the data, the changes since the baseline, the benchmark."""

    data: ReportData
    comparison: ComparisonData | None = None  # report/baseline.py Comparison.to_data()
    bench: BenchSummary | None = None  # report/timings.py load_bench
    known_bugs: tuple[KnownBug, ...] = ()  # report/patches.py load_known_bugs

    @cached_property
    def releases(self) -> tuple[str, ...]:
        return tuple(release["version"] for release in self.data["releases"])

    @cached_property
    def areas(self) -> dict[str, str]:
        """Each probe's area, by probe id."""
        return {probe["id"]: probe["area"] for probe in self.data["probes"]}

    @cached_property
    def packages(self) -> list[str]:
        """Every package any env recorded a version of, sorted."""
        return sorted({name for release in self.data["releases"] for name in release["versions"]})

    @cached_property
    def probe_rows(self) -> list[ProbeRow]:
        """The latest axis's cells regrouped into the per-probe table's rows (release order within a row)."""
        probes = {probe["id"]: probe for probe in self.data["probes"]}
        found: dict[str, ProbeRow] = {}
        for cell in self.data["cells"]:  # in release order, so each row's cells are too
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

    @cached_property
    def axis_cells(self) -> tuple[AxisCell, ...]:
        """Every cell of both axes, typed, with the APIs it observed (report/apis.py)."""
        return axis_cells(self.data)

    @cached_property
    def apis(self) -> ApiView:
        return api_view(self.data, self.axis_cells)

    @cached_property
    def grid(self) -> tuple[list[str], dict[tuple[str, str, str], str]]:
        """The two-axis table's rows and each (subject, release, axis) -> state (report/twoaxis.py grid)."""
        return twoaxis.grid(self.data)

    @cached_property
    def headers(self) -> list[tuple[str, str]]:
        """Per release, the two-axis table's two sub-column headers."""
        return twoaxis.headers(self.data)

    @cached_property
    def timings(self) -> list[TimingRow]:
        """Each env's timings, each release's latest env followed by its shipped env."""
        return timing_rows(self.data)

    @cached_property
    def known_issues(self) -> tuple[KnownIssue, ...]:
        return known_issues(self.data)
