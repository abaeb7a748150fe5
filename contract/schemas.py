"""The JSON schemas in contract/schemas/, compiled once per process, and the errors of a document against one.

Two engines read the same schema file. jsonschema-rs answers "is this valid?", about a hundred times faster than
jsonschema (2 ms for the merged results file of 1,152 cells, against 160 ms; the report checks every env file, each
merged file it reads and its own output). Only a document it rejects goes through jsonschema, whose errors carry
the paths, validator names and messages that every error message of this project is made from. Both check
`format:` (dates, date-times): a document jsonschema-rs accepts is valid.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from contract.states import RECORDED, STATES

SCHEMAS = Path(__file__).resolve().parent / "schemas"


def schema(name: str) -> dict[str, Any]:
    """schemas/<name>, whose state enums come from contract/states.py's table: a new state is valid everywhere.

    Read anew on each call (the validators below are what is cached), so a caller may change its copy."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    enums = {"recorded_state": list(RECORDED), "state": list(STATES)}
    for key, definition in loaded.get("$defs", {}).items():
        if key in enums:
            definition["enum"] = enums[key]
    return loaded


@functools.cache
def _fast(name: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema(name), validate_formats=True)


@functools.cache
def _explaining(name: str) -> jsonschema.Draft202012Validator:
    # The format checker makes `format: date` refuse 2019-02-30, which a pattern alone lets through.
    return jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker())


def errors(data: Any, name: str) -> list[jsonschema.ValidationError]:
    """Every way `data` breaks schemas/<name>, in no particular order; [] when it is valid."""
    if _fast(name).is_valid(data):
        return []
    return list(_explaining(name).iter_errors(data))
