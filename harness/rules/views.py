"""Verdict rules for async views: which thread ran the view, and do Django's decorators work around one.

Concurrency measured by the clock (the views.*-concurrency probes) has its own module, timing.py.
No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_views.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, entrypoint_missing, unserved


def loop_thread(obs: HttpObservation) -> Verdict:
    """native when the view ran on the event loop's thread, threaded when on another one; absent or broken when it
    was not served (response.unserved: absent when the handler does not know async views)."""
    facts: dict[str, Any] = {"status": obs.status, "server_exception": obs.server_exception}
    refused = unserved(obs, facts)
    if refused:
        return refused
    loop, view = obs.threads()
    measurements = {"loop_thread": loop, "view_thread": view}
    if loop is None or view is None:
        return Verdict(State.UNDECIDED, "the response did not say which threads ran it", facts, measurements)
    facts["on_loop_thread"] = loop == view
    if loop == view:
        return Verdict(State.NATIVE, "the view ran on the event loop thread", facts, measurements)
    return Verdict(State.THREADED, "the view ran on a worker thread, not the event loop thread", facts, measurements)


@dataclass(frozen=True)
class DecoratedCall:
    """One request to an async view wrapped in `name`, and what that decorator should have done."""

    name: str
    expected_status: int
    status: int | None
    expected_header: tuple[str, str] | None = None  # (header, a fragment its value must contain)
    header_value: str | None = None
    on_loop: bool | None = None  # None when the response does not say (a redirect has no body)
    server_exception: str | None = None


def decorators(baseline: HttpObservation, calls: list[DecoratedCall]) -> Verdict:
    """native when every decorator works around an async view on the loop thread.

    broken lists the decorators that fail (with the server's exception); threaded the ones whose
    view ran off the loop; absent when the undecorated async view cannot be served at all.
    """
    missing = entrypoint_missing(baseline.entrypoint_error)
    if missing:
        return missing
    if baseline.status != 200:
        cause = baseline.server_exception or baseline.client_error or f"HTTP {baseline.status}"
        return Verdict(
            State.ABSENT,
            f"the undecorated async view cannot be served: {cause}",
            {"baseline_status": baseline.status, "server_exception": baseline.server_exception},
        )
    failing = {call.name: failure for call in calls for failure in [_decorator_failure(call)] if failure}
    off_loop = [call.name for call in calls if call.on_loop is False and call.name not in failing]
    working = [call.name for call in calls if call.name not in failing]
    facts: dict[str, Any] = {"working": working, "failing": failing, "off_loop": off_loop}
    if failing:
        return Verdict(
            State.BROKEN,
            f"{len(failing)} of {len(calls)} decorators fail on an async view: {', '.join(failing)}",
            facts,
        )
    if off_loop:
        return Verdict(State.THREADED, f"the view ran off the loop thread under: {', '.join(off_loop)}", facts)
    return Verdict(State.NATIVE, f"all {len(calls)} decorators work on an async view on the loop thread", facts)


def _decorator_failure(call: DecoratedCall) -> str | None:
    if call.status != call.expected_status:
        return f"HTTP {call.status} (expected {call.expected_status}): {call.server_exception or 'no exception in the server log'}"
    if call.expected_header:
        header, fragment = call.expected_header
        if fragment not in (call.header_value or ""):
            return f"{header} is {call.header_value!r}, expected it to contain {fragment!r}"
    return None
