"""contract/schemas.py: one schema file, two engines that agree, enums from the table of states."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from contract.rows import SCHEMA_VERSION
from contract.schemas import SCHEMAS, _explaining, _fast, errors, schema
from contract.states import RECORDED, STATES

VALID: dict[str, Any] = {
    "schema": 1,
    "env": "dj52",
    "release": "5.2",
    "versions": {"django": "5.2.9", "python": None},
    "started": "2026-11-25T08:16:30+00:00",
    "duration": 4.2,
    "complete": True,
    "probes": [
        {
            "id": "asgi.entrypoint",
            "server": "uvicorn",
            "state": "native",
            "reason": "served",
            "facts": {},
            "measurements": {},
            "duration": 0.1,
            "source_hash": "abc123def456",
            "reproduce": "tox -e dj52",
        }
    ],
}


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


def test_a_valid_file_has_no_errors_in_either_engine():
    assert _fast("results.schema.json").is_valid(VALID)
    assert list(_explaining("results.schema.json").iter_errors(VALID)) == []
    assert errors(VALID, "results.schema.json") == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["probes", 0, "state"], "nativ", "'nativ' is not one of"),
        (["started"], "2026-02-30T08:00:00+00:00", "is not a 'date-time'"),  # a day February never has
        (["started"], "2026-11-25 08:16:30+00:00", "is not a 'date-time'"),  # a space for the T
        (["env"], "django52", "does not match"),
        (["complete"], "yes", "'yes' is not of type 'boolean'"),
        (["probes", 0, "colour"], "red", "('colour' was unexpected)"),
    ],
)
def test_both_engines_reject_what_the_schema_forbids_and_jsonschema_words_it(path, value, message):
    data = _with(path, value)
    assert not _fast("results.schema.json").is_valid(data)
    found = errors(data, "results.schema.json")
    assert len(found) == 1 and message in found[0].message
    assert list(found[0].absolute_path) == [part for part in path if part != "colour"]


def test_a_missing_key_is_an_error():
    data = copy.deepcopy(VALID)
    del data["probes"][0]["reason"]
    assert [error.message for error in errors(data, "results.schema.json")] == ["'reason' is a required property"]


def test_the_schemas_take_their_state_enums_from_the_table():
    results = schema("results.schema.json")
    merged = schema("merged.schema.json")
    assert results["$defs"]["recorded_state"]["enum"] == list(RECORDED)
    assert merged["$defs"]["recorded_state"]["enum"] == list(RECORDED)
    assert merged["$defs"]["state"]["enum"] == list(STATES)
    for name in ("results.schema.json", "merged.schema.json"):
        on_disk = (SCHEMAS / name).read_text(encoding="utf-8")
        # No state is spelled out in a schema file: a list there would go stale when a row is added.
        assert '"enum": ["native"' not in on_disk
        assert json.loads(on_disk)["properties"]["schema"] == {"const": SCHEMA_VERSION}


def test_a_caller_that_changes_its_schema_changes_no_one_elses():
    mine = schema("results.schema.json")
    mine["$defs"]["recorded_state"]["enum"].append("made-up")
    assert "made-up" not in schema("results.schema.json")["$defs"]["recorded_state"]["enum"]
    data = json.loads(json.dumps(VALID))
    data["probes"][0]["state"] = "made-up"
    assert errors(data, "results.schema.json")
