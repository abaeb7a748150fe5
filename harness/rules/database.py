"""Verdict rules for the ORM probes run again on another database (PostgreSQL): its facts join the ORM verdict.

The ORM rules in harness/rules/apis.py decide native or threaded from the thread that ran each SQL
statement; these rules only say which database and driver that was, or why that database was not there.
Each is unit-tested in every direction in tests/unit/harness/rules/test_database.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from contract.states import State, Verdict


def on_database(verdict: Verdict, facts: Mapping[str, Any], measurements: Mapping[str, Any]) -> Verdict:
    """The ORM verdict, unchanged in state and reason, with the database's facts (driver, its async API) added."""
    return replace(
        verdict,
        facts={**verdict.facts, **facts},
        measurements={**verdict.measurements, **measurements},
    )


def unavailable(database: str, reason: str) -> Verdict:
    """not-run: the database server could not be started here, so nothing about Django was observed on it."""
    return Verdict(State.NOT_RUN, f"{database} is not available: {reason}", {"database": database})


def driver_facts(module: Any) -> dict[str, Any]:
    """What the driver Django loaded offers: psycopg 3 has an async connection class, psycopg2 has none."""
    version = str(getattr(module, "__version__", "")).split(" ")[0] or None
    return {
        "driver": getattr(module, "__name__", None),
        "driver_version": version,
        "driver_async_api": hasattr(module, "AsyncConnection"),
    }
