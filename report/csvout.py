"""report/out/results.csv: one line per cell of both axes, and one more per API a cell observed, for spreadsheets.

Columns: axis, release, django, asgiref, probe, server, api, state, stall_ms, reason. A cell's own line has an
empty api (and stall); an API's line has its own state and loop stall (ms) and the cell's reason. Any field that a
spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading
apostrophe: results may come from another machine.
"""

from __future__ import annotations

import csv
import io

from report.view import Report

COLUMNS = ("axis", "release", "django", "asgiref", "probe", "server", "api", "state", "stall_ms", "reason")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def render(report: Report) -> str:
    """The CSV text of the report's cells of both axes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for cell in report.axis_cells:
        where = [cell.axis, cell.release, cell.django, cell.asgiref, cell.probe, cell.server]
        writer.writerow(_safe([*where, None, cell.state, None, cell.reason]))
        for api in cell.apis:
            writer.writerow(_safe([*where, api.name, api.state, api.stall_ms, cell.reason]))
    return out.getvalue()


def _safe(fields: list[str | float | None]) -> list[str]:
    """Each field as text (None: empty), with a leading apostrophe where a spreadsheet would see a formula."""
    texts = ["" if value is None else str(value) for value in fields]
    return [f"'{text}" if text.startswith(_FORMULA) else text for text in texts]
