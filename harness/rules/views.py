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


def method_not_allowed(baseline: HttpObservation, refused: HttpObservation) -> Verdict:
    """A View subclass with only `async def get`, asked with GET (`baseline`) and then with POST (`refused`), which it
    must answer 405 Method Not Allowed (ticket #34062, fixed in 4.1.2: View answered it with a response the handler
    could not await, and crashed).

    absent or broken when the GET is not served (response.unserved: absent where View knows no async handlers);
    broken when the POST gets anything but HTTP 405, with the server's exception; else native or threaded by the
    thread the GET ran on (loop_thread).
    """
    facts: dict[str, Any] = {
        "get_status": baseline.status,
        "post_status": refused.status,
        "post_server_exception": refused.server_exception,
    }
    not_served = unserved(baseline, facts)
    if not_served:
        return not_served
    if refused.status != 405:
        cause = refused.server_exception or refused.client_error or "no exception in the server log"
        return Verdict(State.BROKEN, f"POST answered HTTP {refused.status}, not 405: {cause}", facts)
    where = loop_thread(baseline)
    return Verdict(
        where.state,
        f"POST answered 405 Method Not Allowed; {where.reason}",
        {**facts, **where.facts},
        where.measurements,
    )


@dataclass(frozen=True)
class FinishedCount:
    """request_finished signals the server process sent between two readings of its count (project/probes/patchfixes.py).

    `baseline`: the first of the async view's requests. `requests`: the requests Django served for the probe, the
    first reading of the count included; `abandoned`: how many of them the client gave up on before the response.
    `fired` counts the signals since the first reading, `readings` the later readings before the last (each a request
    that fired too, not one of `requests`). `fired` is None when the count could not be read (`error`).
    """

    baseline: HttpObservation
    requests: int
    abandoned: int
    fired: int | None
    loop_thread: int | None = None
    receiver_threads: tuple[int, ...] = ()
    error: str | None = None
    readings: int = 0


def request_finished(obs: FinishedCount) -> Verdict:
    """Does Django send request_finished for every request under ASGI, abandoned ones included (ticket #35059, fixed
    in 5.0.2: a request whose client disconnected before the response was sent never sent it)?

    absent or broken when the async view does not answer (response.unserved: absent where async views are not
    offered); broken when the count could not be read or fewer signals than requests were sent; undecided when more
    were (another client's requests reached the server); else native when every receiver ran on the loop thread,
    threaded when one ran off it.
    """
    fired = None if obs.fired is None else obs.fired - obs.readings
    facts: dict[str, Any] = {"requests": obs.requests, "abandoned": obs.abandoned, "fired": fired, "error": obs.error}
    measurements = {
        "loop_thread": obs.loop_thread,
        "receiver_threads": list(obs.receiver_threads),
        "readings": obs.readings,
    }
    not_served = unserved(obs.baseline, facts)
    if not_served:
        return not_served
    if fired is None:
        return Verdict(
            State.BROKEN, f"the count of request_finished could not be read: {obs.error}", facts, measurements
        )
    if fired < obs.requests:
        return Verdict(
            State.BROKEN,
            f"request_finished fired for {fired} of {obs.requests} requests"
            f" ({obs.abandoned} of them abandoned by the client before the response)",
            facts,
            measurements,
        )
    if fired > obs.requests:
        return Verdict(
            State.UNDECIDED,
            f"request_finished fired {fired} times for {obs.requests} requests: another client reached the server",
            facts,
            measurements,
        )
    off_loop = any(thread != obs.loop_thread for thread in obs.receiver_threads)
    facts["receiver_off_loop"] = off_loop
    where = "a worker thread" if off_loop else "the loop thread"
    return Verdict(
        State.THREADED if off_loop else State.NATIVE,
        f"request_finished fired for all {obs.requests} requests ({obs.abandoned} abandoned by the client), its"
        f" receiver on {where}",
        facts,
        measurements,
    )
