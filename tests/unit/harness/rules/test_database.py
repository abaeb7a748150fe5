"""The database rules keep the ORM verdict, add the database's facts, and say not-run when there is no server."""

from __future__ import annotations

import types

import pytest

from contract.states import State, Verdict
from harness.rules.database import driver_facts, on_database, unavailable


@pytest.mark.parametrize("state", [State.NATIVE, State.THREADED, State.ABSENT, State.BROKEN])
def test_on_database_keeps_the_orm_state_and_reason(state):
    verdict = Verdict(state, "what the ORM rule saw", {"found": ["aget"]}, {"loop_thread": 1})
    merged = on_database(verdict, {"database": "postgresql"}, {"server_version": "15.18"})
    assert (merged.state, merged.reason) == (state, "what the ORM rule saw")
    assert merged.facts == {"found": ["aget"], "database": "postgresql"}
    assert merged.measurements == {"loop_thread": 1, "server_version": "15.18"}


def test_unavailable_is_not_run_never_absent():
    verdict = unavailable("PostgreSQL", "no PostgreSQL binaries. Fix: apt-get install postgresql")
    assert verdict.state is State.NOT_RUN
    assert verdict.reason == "PostgreSQL is not available: no PostgreSQL binaries. Fix: apt-get install postgresql"
    assert verdict.facts == {"database": "PostgreSQL"}


def test_driver_facts_of_an_async_capable_driver():
    psycopg = types.SimpleNamespace(__name__="psycopg", __version__="3.3.9", AsyncConnection=object)
    assert driver_facts(psycopg) == {"driver": "psycopg", "driver_version": "3.3.9", "driver_async_api": True}


def test_driver_facts_of_a_sync_only_driver_drop_the_build_suffix():
    psycopg2 = types.SimpleNamespace(__name__="psycopg2", __version__="2.8.6 (dt dec pq3 ext lo64)")
    assert driver_facts(psycopg2) == {"driver": "psycopg2", "driver_version": "2.8.6", "driver_async_api": False}
