"""The Report the renderers share: each index built once, however many renderers read it."""

from __future__ import annotations

from unittest import mock

from report import apis, csvout, html, markdown, view
from report.view import Report
from tests.unit.report.test_markdown import measured_data


def test_every_renderer_reads_the_same_indexes_built_once():
    report = Report(measured_data())
    with (
        mock.patch.object(view, "api_view", wraps=apis.api_view) as api_view,
        mock.patch.object(view, "axis_cells", wraps=apis.axis_cells) as axis_cells,
        mock.patch.object(view, "timing_rows", wraps=view.timing_rows) as timing_rows,
    ):
        markdown.render(report)
        html.render(report)
        csvout.render(report)
    assert (api_view.call_count, axis_cells.call_count, timing_rows.call_count) == (1, 1, 1)


def test_probe_rows_hold_each_subjects_cells_in_release_order():
    data = measured_data()
    rows = Report(data).probe_rows
    (row,) = [row for row in rows if row["subject"] == "sessions.db"]
    assert [cell["release"] for cell in row["cells"]] == [release["version"] for release in data["releases"]]
    (probe,) = [probe for probe in data["probes"] if probe["id"] == "sessions.db"]
    assert (row["title"], row["area"]) == (probe["title"], probe["area"])
    assert len(rows) == len({cell["subject"] for cell in data["cells"]})
