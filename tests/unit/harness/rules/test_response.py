"""The opening checks every HTTP rule shares reach every verdict they can return."""

from __future__ import annotations

from harness.rules.response import HttpObservation, entrypoint_missing, unserved
from harness.states import State
from tests.unit.harness.rules.observations import NO_ASGI, failed, ok


def test_entrypoint_missing_is_absent_for_an_import_error_and_broken_otherwise():
    assert entrypoint_missing(None) is None
    assert entrypoint_missing(NO_ASGI).state is State.ABSENT
    assert entrypoint_missing("RuntimeError: settings are broken").state is State.BROKEN


def test_unserved_is_none_only_for_a_200_with_the_body_a_rule_needs():
    assert unserved(ok({"loop_thread": 1}), {}) is None
    assert unserved(ok(), {}, body=False) is None
    assert unserved(ok(), {}).state is State.BROKEN
    assert unserved(HttpObservation(NO_ASGI, None), {}).state is State.ABSENT


def test_unserved_carries_the_rules_facts_and_the_cause():
    broken = unserved(failed(), {"status": 500})
    assert broken.facts == {"status": 500}
    assert broken.reason == "HTTP 500: AttributeError: 'coroutine' object ..."
    refused = unserved(HttpObservation(None, None, client_error="ConnectError: refused"), {})
    assert refused.facts == {"client_error": "ConnectError: refused"}
    assert refused.reason == "the request failed: ConnectError: refused"


def test_threads_reads_the_loop_and_view_thread_from_the_body():
    assert ok({"loop_thread": 1, "view_thread": 2}).threads() == (1, 2)
    assert ok().threads() == (None, None)
