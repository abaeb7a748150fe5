"""Verdict rules for HTTP behaviour around an async view: what becomes of it when its client goes away.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_http.py.
"""

from __future__ import annotations

from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, entrypoint_missing, failure


def client_disconnect(
    entrypoint_error: str | None,
    view_state: str | None,
    early: HttpObservation | None,
    server_exception: str | None = None,
) -> Verdict:
    """What became of an async view whose client went away while it awaited.

    native: the view was cancelled. absent: it ran to the end for nobody (no disconnect handling).
    broken: the view failed, whether its error response beat the client's timeout or not (a race: only the
    measurements say which); absent when its failure shows the handler does not know async views. undecided: it was still running when last asked, or never started with no error.
    """
    missing = entrypoint_missing(entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {"view_state": view_state, "server_exception": server_exception}
    if early is not None or (view_state is None and server_exception):
        cause = (early.server_exception if early else None) or server_exception or "no exception in the server log"
        facts["server_exception"] = cause
        answered = {"answered_before_disconnect": early is not None, "status": early.status if early else None}
        return failure(f"the view failed: {cause}", [cause], facts, answered)
    if view_state == "cancelled":
        return Verdict(State.NATIVE, "the view was cancelled when the client disconnected", facts)
    if view_state == "finished":
        return Verdict(State.ABSENT, "the view ran to the end although its client had disconnected", facts)
    return Verdict(State.UNDECIDED, f"the view's state after the disconnect is {view_state!r}", facts)
