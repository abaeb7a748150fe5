"""Verdict rules for a WebSocket conversation with a Django Channels consumer: connect, send, echo, close.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_channels.py.
https://channels.readthedocs.io/en/stable/topics/consumers.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.states import State, Verdict
from harness.rules.response import MISSING

# What project/channels_routing.py reports when the env has no Channels at all (not a failure of Django or Channels).
NOT_INSTALLED = "ModuleNotFoundError: No module named 'channels'"
NOT_INSTALLED_REASON = "no Channels release installed for this Django; see matrix.yaml pins"
# What Channels' URLRouter raises for a path it has no route for: the route is missing, not failing.
NO_ROUTE = "ValueError: No route found for path"
NORMAL_CLOSURE = 1000


@dataclass(frozen=True)
class ConsumerObservation:
    """One conversation with a consumer: what the server's readiness answer, the client and the server's log saw."""

    channels_error: str | None  # "Type: message" of project/channels_routing.py's failed Channels import, or None
    sent: str
    accepted: bool
    handshake_status: int | None  # 101 when accepted, the refusal's status, None when there was no answer
    reply: dict[str, Any] | None = None  # the consumer's JSON reply: echo, loop_thread, consumer_thread
    close_code: int | None = None  # the code the server answered the client's close with
    server_exception: str | None = None
    client_error: str | None = None
    channels_version: str | None = None


def channels_missing(channels_error: str | None) -> Verdict | None:
    """not-run when no Channels is installed; absent or broken when it is but could not wrap the project."""
    if channels_error is None:
        return None
    facts = {"channels_error": channels_error}
    if channels_error.startswith(NOT_INSTALLED):
        return Verdict(State.NOT_RUN, NOT_INSTALLED_REASON, facts)
    state = State.ABSENT if channels_error.split(":")[0] in MISSING else State.BROKEN
    return Verdict(state, f"Channels could not wrap the project: {channels_error}", facts)


def async_consumer(obs: ConsumerObservation) -> Verdict:
    """native when the async consumer echoed on the event loop thread; threaded when on another thread."""
    return _consumer(
        obs,
        on_loop=(State.NATIVE, "the async consumer accepted, echoed and closed on the event loop thread"),
        off_loop=(State.THREADED, "the async consumer echoed, but ran on a worker thread, not the event loop thread"),
    )


def sync_consumer(obs: ConsumerObservation) -> Verdict:
    """threaded when the sync consumer echoed from a worker thread (what Channels promises); undecided when it ran on
    the loop thread (this probe measures no loop stall, so it does not call that blocking)."""
    return _consumer(
        obs,
        on_loop=(State.UNDECIDED, "the sync consumer ran on the event loop thread (no loop stall measured)"),
        off_loop=(State.THREADED, "the sync consumer accepted, echoed and closed on a worker thread"),
    )


def _consumer(obs: ConsumerObservation, on_loop: tuple[State, str], off_loop: tuple[State, str]) -> Verdict:
    missing = channels_missing(obs.channels_error)
    if missing:
        return missing
    reply = obs.reply or {}
    echoed = obs.reply is not None and reply.get("echo") == obs.sent
    facts: dict[str, Any] = {
        "channels_version": obs.channels_version,
        "accepted": obs.accepted,
        "handshake_status": obs.handshake_status,
        "echoed": echoed,
        "close_code": obs.close_code,
        "server_exception": obs.server_exception,
        "client_error": obs.client_error,
    }
    cause = obs.server_exception or obs.client_error or "no exception in the server log"
    if not obs.accepted:
        return _refused(obs, facts, cause)
    if not echoed:
        return Verdict(State.BROKEN, f"the consumer accepted the WebSocket but did not echo: {cause}", facts)
    if obs.close_code != NORMAL_CLOSURE:
        return Verdict(State.BROKEN, f"the consumer echoed, but the close ended with code {obs.close_code}", facts)
    loop, consumer = reply.get("loop_thread"), reply.get("consumer_thread")
    measurements = {"loop_thread": loop, "consumer_thread": consumer}
    if loop is None or consumer is None:
        return Verdict(State.UNDECIDED, "the reply did not say which threads ran the consumer", facts, measurements)
    facts["on_loop_thread"] = loop == consumer
    state, reason = on_loop if loop == consumer else off_loop
    return Verdict(state, reason, facts, measurements)


def _refused(obs: ConsumerObservation, facts: dict[str, Any], cause: str) -> Verdict:
    """A handshake that did not complete: a missing route or piece is absent, an exception broken."""
    if obs.handshake_status is None:
        return Verdict(
            State.UNDECIDED, f"the handshake neither completed nor was refused with a status: {cause}", facts
        )
    exception = obs.server_exception or ""
    if not exception or exception.startswith(NO_ROUTE) or exception.split(":")[0] in MISSING:
        return Verdict(State.ABSENT, f"the handshake was refused with HTTP {obs.handshake_status}: {cause}", facts)
    return Verdict(State.BROKEN, f"the handshake failed with HTTP {obs.handshake_status}: {cause}", facts)
