"""The opening checks every HTTP rule shares reach every verdict they can return."""

from __future__ import annotations

import pytest

from contract.states import State
from harness.rules.response import ASYNC_ITERATORS, ASYNC_VIEWS, HttpObservation, entrypoint_missing, failure, unserved
from tests.unit.harness.rules.observations import (
    ASYNC_CLASS_VIEW_UNOFFERED,
    ASYNC_ITERATOR_UNOFFERED,
    ASYNC_VIEW_UNOFFERED,
    ASYNC_VIEW_UNOFFERED_IN_MIDDLEWARE,
    FAILURE,
    NO_ASGI,
    failed,
    ok,
)


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
    assert broken.reason == f"HTTP 500: {FAILURE}"
    refused = unserved(HttpObservation(None, None, client_error="ConnectError: refused"), {})
    assert refused.facts == {"client_error": "ConnectError: refused"}
    assert refused.reason == "the request failed: ConnectError: refused"


def test_threads_reads_the_loop_and_view_thread_from_the_body():
    assert ok({"loop_thread": 1, "view_thread": 2}).threads() == (1, 2)
    assert ok().threads() == (None, None)


@pytest.mark.parametrize(
    ("exception", "why"),
    [
        (ASYNC_VIEW_UNOFFERED, ASYNC_VIEWS),
        (ASYNC_VIEW_UNOFFERED_IN_MIDDLEWARE, ASYNC_VIEWS),
        (ASYNC_CLASS_VIEW_UNOFFERED, ASYNC_VIEWS),
        (ASYNC_ITERATOR_UNOFFERED, ASYNC_ITERATORS),
    ],
)
def test_a_feature_the_handler_does_not_know_is_absent_not_broken(exception, why):
    verdict = unserved(HttpObservation(None, 500, server_exception=exception), {"status": 500})
    assert verdict.state is State.ABSENT
    assert verdict.reason == f"{why} ({exception})"
    assert verdict.facts == {"status": 500}


def test_failure_is_absent_only_when_every_exception_carries_a_signature():
    assert failure("2 failed", [ASYNC_VIEW_UNOFFERED, f"HTTP 500: {ASYNC_VIEW_UNOFFERED}"], {}).state is State.ABSENT
    assert failure("2 failed", [ASYNC_VIEW_UNOFFERED, FAILURE], {}).state is State.BROKEN
    assert failure("failed", [None], {}).state is State.BROKEN
    assert failure("failed", [], {}).state is State.BROKEN
    broken = failure("HTTP 500: x", [FAILURE], {"a": 1}, {"m": 2})
    assert (broken.reason, broken.facts, broken.measurements) == ("HTTP 500: x", {"a": 1}, {"m": 2})
    absent = failure("HTTP 500: x", [ASYNC_ITERATOR_UNOFFERED], {}, context="hypercorn spoke HTTP/2, but ")
    assert absent.reason == f"hypercorn spoke HTTP/2, but {ASYNC_ITERATORS} ({ASYNC_ITERATOR_UNOFFERED})"
