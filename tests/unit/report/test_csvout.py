"""results.csv: a line per cell of both axes plus one per observed API, and no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io

from report import csvout
from report.view import Report
from tests.unit.report.test_apis import cell, data, password


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_line_per_cell_and_per_api_on_both_axes():
    text = csvout.render(
        Report(data(password("5.2", "blocking", 190), shipped=[cell("5.2", "sessions.db", "not-run")]))
    )
    assert text.splitlines()[0] == "axis,release,django,asgiref,probe,server,api,state,stall_ms,reason"
    rows = _rows(text)
    assert [(r["axis"], r["api"], r["state"], r["stall_ms"]) for r in rows] == [
        ("latest", "", "blocking", ""),
        ("latest", "acheck_password", "blocking", "190.0"),
        ("latest", "aauthenticate (known user)", "blocking", "195.0"),
        ("shipped", "", "not-run", ""),
    ]
    assert rows[1]["django"] == "5.2.3" and rows[1]["asgiref"] == "3.9.1" and rows[1]["server"] == ""
    assert rows[1]["reason"] == "measured" and rows[1]["probe"] == "auth.password-check"


def test_hostile_values_stay_text():
    hostile = cell(
        "5.2",
        "sessions.db",
        "threaded",
        {'=HYPERLINK("http://x","y")': ("threaded", 0.5), "+1+1": ("native", 0.0), "plain": ("threaded", 0.25)},
        reason='@SUM(A1), "quoted"\nsecond line',
    )
    hostile["server"] = "-2+3"
    rows = _rows(csvout.render(Report(data(hostile))))
    assert [r["api"] for r in rows] == ["", """'=HYPERLINK("http://x","y")""", "'+1+1", "plain"]
    assert {r["reason"] for r in rows} == {"""'@SUM(A1), "quoted"\nsecond line"""}
    assert {r["server"] for r in rows} == {"'-2+3"}
    assert [r["stall_ms"] for r in rows] == ["", "0.5", "0.0", "0.25"]
    assert all(len(r) == len(csvout.COLUMNS) for r in rows)  # a comma or a newline never adds a column
