"""contract/rows.py: a recorded row becomes a merged cell and back without losing a field."""

from __future__ import annotations

from contract import rows
from contract.rows import Row

ROW: Row = {
    "id": "views.async-function",
    "server": "uvicorn",
    "state": "native",
    "reason": "the view ran on the event loop thread",
    "facts": {"status": 200},
    "measurements": {"loop_thread": 1},
    "duration": 0.04,
    "source_hash": "f5161d730ff2",
    "reproduce": 'tox -e dj52 -- -k "test_async_function and uvicorn"',
}


def test_a_row_becomes_a_cell_with_its_subject_and_anchor_and_back():
    cell = rows.cell("5.2", ROW)
    assert (cell["release"], cell["probe"], cell["subject"]) == (
        "5.2",
        "views.async-function",
        "views.async-function@uvicorn",
    )
    assert cell["anchor"] == "5.2/views.async-function@uvicorn"
    assert rows.row_of(cell) == ROW


def test_a_probe_without_a_server_is_its_own_subject():
    cell = rows.cell("6.1", {**ROW, "id": "orm.queryset-async", "server": None})
    assert cell["subject"] == "orm.queryset-async" and cell["anchor"] == "6.1/orm.queryset-async"


def test_an_unrecorded_cell_carries_no_evidence():
    cell = rows.unrecorded("3.0", "asgi.lifespan", "daphne", "not-run", "no results file", "tox -e dj30")
    assert cell["anchor"] == "3.0/asgi.lifespan@daphne"
    assert (cell["facts"], cell["measurements"], cell["duration"], cell["source_hash"]) == ({}, {}, None, None)
    assert set(cell) == set(rows.Cell.__annotations__)
