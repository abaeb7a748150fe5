"""The client-disconnect rule reaches every state it can return."""

from __future__ import annotations

from contract.states import State
from harness.rules import http as rules
from harness.rules.response import ASYNC_VIEWS, HttpObservation
from tests.unit.harness.rules.observations import ASYNC_VIEW_UNOFFERED, FAILURE, NO_ASGI, failed


def test_client_disconnect():
    assert rules.client_disconnect(None, "cancelled", None).state is State.NATIVE
    assert rules.client_disconnect(None, "finished", None).state is State.ABSENT
    assert rules.client_disconnect(None, "started", None).state is State.UNDECIDED
    assert rules.client_disconnect(None, None, None).state is State.UNDECIDED
    never_started = rules.client_disconnect(None, None, None, FAILURE)
    assert never_started.state is State.BROKEN
    early = rules.client_disconnect(None, None, failed(), FAILURE)
    assert early.state is State.BROKEN
    assert early.measurements == {"answered_before_disconnect": True, "status": 500}
    # Whether the error response beat the client's timeout is a race: it must not change the evidence.
    assert (early.reason, early.facts) == (never_started.reason, never_started.facts)
    assert rules.client_disconnect(NO_ASGI, None, None).state is State.ABSENT


def test_client_disconnect_is_absent_when_the_handler_does_not_know_async_views():
    never_started = rules.client_disconnect(None, None, None, ASYNC_VIEW_UNOFFERED)  # Django 3.0
    assert never_started.state is State.ABSENT
    assert never_started.reason == f"{ASYNC_VIEWS} ({ASYNC_VIEW_UNOFFERED})"
    early = rules.client_disconnect(None, None, HttpObservation(None, 500, server_exception=ASYNC_VIEW_UNOFFERED))
    assert (early.state, early.reason, early.facts) == (never_started.state, never_started.reason, never_started.facts)
