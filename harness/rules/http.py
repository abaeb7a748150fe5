"""Verdict rules for what a server and a client observed over HTTP, WebSocket and lifespan.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_http.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.states import State, Verdict

# Errors that mean "this Django does not have it", as opposed to "it is there and fails".
MISSING = ("ImportError", "ModuleNotFoundError", "AttributeError")

UVICORN_LIFESPAN_UNSUPPORTED = "ASGI 'lifespan' protocol appears unsupported."
UVICORN_STARTUP_COMPLETE = "Application startup complete."
# Trace steps that project/probes/middleware.py writes for each thread hop Django makes.
HOP_PREFIXES = ("sync_to_async(", "async_to_sync(")
# The warning Django logs when it must consume a streaming iterator in the other mode (4.2+).
STREAMING_WARNING = re.compile(r"StreamingHttpResponse must consume [^.]*\.")


@dataclass(frozen=True)
class HttpObservation:
    """One request through a server: the entry point's import error, the response, the server's exception."""

    entrypoint_error: str | None
    status: int | None
    body: dict[str, Any] | None = None
    server_exception: str | None = None
    client_error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names


def entrypoint_missing(entrypoint_error: str | None) -> Verdict | None:
    """absent or broken when Django's ASGI entry point could not be built; None when it was."""
    if entrypoint_error is None:
        return None
    state = State.ABSENT if entrypoint_error.split(":")[0] in MISSING else State.BROKEN
    return Verdict(
        state, f"get_asgi_application() is not available: {entrypoint_error}", {"entrypoint_error": entrypoint_error}
    )


def served(obs: HttpObservation) -> Verdict:
    """The ASGI entry point is native when it answers a request: its handler is a coroutine on the loop."""
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    facts = {"status": obs.status, "server_exception": obs.server_exception}
    if obs.status == 200:
        return Verdict(State.NATIVE, "get_asgi_application() served the request (HTTP 200)", facts)
    return _failed(obs, facts)


def loop_thread(obs: HttpObservation) -> Verdict:
    """native when the view ran on the event loop's thread, threaded when on another one."""
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {"status": obs.status, "server_exception": obs.server_exception}
    if obs.status != 200 or not obs.body:
        return _failed(obs, facts)
    loop, view = obs.body.get("loop_thread"), obs.body.get("view_thread")
    measurements = {"loop_thread": loop, "view_thread": view}
    if loop is None or view is None:
        return Verdict(State.UNDECIDED, "the response did not say which threads ran it", facts, measurements)
    facts["on_loop_thread"] = loop == view
    if loop == view:
        return Verdict(State.NATIVE, "the view ran on the event loop thread", facts, measurements)
    return Verdict(State.THREADED, "the view ran on a worker thread, not the event loop thread", facts, measurements)


def websocket(
    entrypoint_error: str | None,
    accepted: bool,
    echoed: bool,
    handshake_status: int | None,
    server_exception: str | None,
) -> Verdict:
    """native when Django accepted the handshake and echoed; absent when it refused the protocol."""
    facts = {
        "accepted": accepted,
        "echoed": echoed,
        "handshake_status": handshake_status,
        "server_exception": server_exception,
    }
    if accepted:
        if echoed:
            return Verdict(State.NATIVE, "the WebSocket was accepted and echoed", facts)
        return Verdict(State.BROKEN, "the WebSocket was accepted but did not echo", facts)
    if handshake_status is None:
        return Verdict(State.UNDECIDED, "the handshake neither completed nor was refused with a status", facts)
    cause = server_exception or entrypoint_error or "no exception in the server log"
    return Verdict(State.ABSENT, f"the handshake was refused with HTTP {handshake_status}: {cause}", facts)


def lifespan(server: str, log: str, server_exception: str | None, app_error: str | None) -> Verdict:
    """native when the app completed lifespan startup; absent when the server or the app refused it.

    `app_error` is what Django's application raised when handed a lifespan scope directly (None if
    it completed startup): the cause uvicorn hides behind "appears unsupported", and the only
    evidence under a server that never speaks lifespan (daphne).
    """
    # The server's own messages, not the traceback lines of the exception it hides (they name files).
    lines = [
        line.strip()
        for line in log.splitlines()
        if ("lifespan" in line.lower() or "startup" in line.lower()) and not line.strip().startswith("File ")
    ]
    facts: dict[str, Any] = {
        "server": server,
        "log_lines": [_strip_level(line) for line in lines],
        "server_exception": server_exception,
        "app_error": app_error,
    }
    if any(UVICORN_LIFESPAN_UNSUPPORTED in line for line in lines):
        return Verdict(State.ABSENT, f"{server}: {UVICORN_LIFESPAN_UNSUPPORTED} The app raised {app_error}", facts)
    if any(UVICORN_STARTUP_COMPLETE in line for line in lines):
        return Verdict(State.NATIVE, f"{server}: the application completed lifespan startup", facts)
    if app_error:
        return Verdict(
            State.ABSENT, f"{server} never sends a lifespan scope, and the app refuses one: {app_error}", facts
        )
    return Verdict(
        State.NOT_RUN,
        f"{server} did not run the lifespan protocol, so Django's support cannot be observed through it",
        facts,
    )


def middleware_trace(obs: HttpObservation, trace: list[list[Any]] | None, sync_layers: tuple[str, ...] = ()) -> Verdict:
    """Where a request through traced middleware ran (project/probes/middleware.py writes the trace).

    native: every step and the view ran on the loop thread and Django made no hop.
    threaded: Django hopped (sync_to_async / async_to_sync) or a step ran off the loop thread; the
    facts count the hops and say whether the view itself still ran on the loop.
    blocking: a sync-only layer (named in `sync_layers`) ran on the loop thread, stalling it.
    """
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {"status": obs.status, "server_exception": obs.server_exception}
    if obs.status != 200 or not obs.body:
        return _failed(obs, facts)
    loop, view = obs.body.get("loop_thread"), obs.body.get("view_thread")
    measurements = {"loop_thread": loop, "view_thread": view, "trace": trace}
    if trace is None or loop is None:
        return Verdict(
            State.UNDECIDED,
            "the response carried no trace, or did not say which thread ran the loop",
            facts,
            measurements,
        )
    hops = [step for step, _ in trace if step.startswith(HOP_PREFIXES)]
    off_loop = [step for step, thread in trace if thread != loop and not step.startswith(HOP_PREFIXES)]
    sync_on_loop = [step for step, thread in trace if thread == loop and step.split(":")[0] in sync_layers]
    facts.update(hops=len(hops), hop_steps=hops, off_loop_steps=off_loop, view_on_loop=view == loop)
    if sync_on_loop:
        return Verdict(
            State.BLOCKING,
            f"sync-only middleware ran on the loop thread: {', '.join(sync_on_loop)}",
            facts,
            measurements,
        )
    if not hops and not off_loop and view == loop:
        return Verdict(
            State.NATIVE, "every middleware step and the view ran on the loop thread, with no hop", facts, measurements
        )
    where = "on the loop thread" if view == loop else "off the loop thread"
    return Verdict(
        State.THREADED,
        f"{len(hops)} thread hops, {len(off_loop)} steps off the loop thread; the view ran {where}",
        facts,
        measurements,
    )


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


@dataclass(frozen=True)
class StreamObservation:
    """A streamed response: its status, the lines it carried (each names the thread that made it), Django's warning."""

    entrypoint_error: str | None
    status: int | None
    chunks: list[dict[str, Any]]
    arrival_gaps: list[float]
    server_exception: str | None = None
    warning: str | None = None


def streaming(obs: StreamObservation) -> Verdict:
    """native when the async iterator was consumed on the loop thread without Django's warning.

    threaded when its chunks were made on another thread (Django consumed it synchronously, its
    warning quoted); blocking when Django warned but consumed it on the loop thread; broken when the
    response failed.
    """
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {
        "status": obs.status,
        "server_exception": obs.server_exception,
        "warning": obs.warning,
        "chunks": len(obs.chunks),
    }
    if obs.status != 200 or not obs.chunks:
        cause = obs.server_exception or "no exception in the server log"
        return Verdict(State.BROKEN, f"HTTP {obs.status} with {len(obs.chunks)} chunks: {cause}", facts)
    on_loop = all(chunk.get("chunk_thread") == chunk.get("loop_thread") for chunk in obs.chunks)
    facts["on_loop_thread"] = on_loop
    measurements = {"chunks": obs.chunks, "arrival_gaps": obs.arrival_gaps}
    if not on_loop:
        return Verdict(
            State.THREADED,
            f"the async iterator was consumed on a worker thread: {obs.warning or 'no warning logged'}",
            facts,
            measurements,
        )
    if obs.warning:
        return Verdict(
            State.BLOCKING,
            f"the async iterator was consumed on the loop thread, synchronously: {obs.warning}",
            facts,
            measurements,
        )
    return Verdict(State.NATIVE, "the async iterator was streamed on the loop thread", facts, measurements)


def client_disconnect(
    entrypoint_error: str | None,
    view_state: str | None,
    early: HttpObservation | None,
    server_exception: str | None = None,
) -> Verdict:
    """What became of an async view whose client went away while it awaited.

    native: the view was cancelled. absent: it ran to the end for nobody (no disconnect handling).
    broken: the view failed, whether its error response beat the client's timeout or not (a race: only the
    measurements say which). undecided: it was still running when last asked, or never started with no error.
    """
    missing = entrypoint_missing(entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {"view_state": view_state, "server_exception": server_exception}
    if early is not None or (view_state is None and server_exception):
        cause = (early.server_exception if early else None) or server_exception or "no exception in the server log"
        facts["server_exception"] = cause
        answered = {"answered_before_disconnect": early is not None, "status": early.status if early else None}
        return Verdict(State.BROKEN, f"the view failed: {cause}", facts, answered)
    if view_state == "cancelled":
        return Verdict(State.NATIVE, "the view was cancelled when the client disconnected", facts)
    if view_state == "finished":
        return Verdict(State.ABSENT, "the view ran to the end although its client had disconnected", facts)
    return Verdict(State.UNDECIDED, f"the view's state after the disconnect is {view_state!r}", facts)


def _failed(obs: HttpObservation, facts: dict[str, Any]) -> Verdict:
    if obs.client_error:
        facts["client_error"] = obs.client_error
        return Verdict(State.BROKEN, f"the request failed: {obs.client_error}", facts)
    cause = obs.server_exception or "no exception in the server log"
    return Verdict(State.BROKEN, f"HTTP {obs.status}: {cause}", facts)


def _strip_level(line: str) -> str:
    """uvicorn prefixes "INFO:     "; the level and padding are not evidence."""
    head, sep, tail = line.partition(":")
    return tail.strip() if sep and head.isupper() and head.isalpha() else line
