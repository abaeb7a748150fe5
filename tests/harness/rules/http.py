"""Verdict rules for what a server and a client observed over HTTP, WebSocket and lifespan.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_http.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.harness.states import State, Verdict

# Errors that mean "this Django does not have it", as opposed to "it is there and fails".
MISSING = ("ImportError", "ModuleNotFoundError", "AttributeError")

UVICORN_LIFESPAN_UNSUPPORTED = "ASGI 'lifespan' protocol appears unsupported."
UVICORN_STARTUP_COMPLETE = "Application startup complete."


@dataclass(frozen=True)
class HttpObservation:
    """One request through a server: the entry point's import error, the response, the server's exception."""

    entrypoint_error: str | None
    status: int | None
    body: dict[str, Any] | None = None
    server_exception: str | None = None
    client_error: str | None = None


def entrypoint_missing(entrypoint_error: str | None) -> Verdict | None:
    """absent or broken when Django's ASGI entry point could not be built; None when it was."""
    if entrypoint_error is None:
        return None
    state = State.ABSENT if entrypoint_error.split(":")[0] in MISSING else State.BROKEN
    return Verdict(state, f"get_asgi_application() is not available: {entrypoint_error}", {"entrypoint_error": entrypoint_error})


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


def websocket(entrypoint_error: str | None, accepted: bool, echoed: bool, handshake_status: int | None, server_exception: str | None) -> Verdict:
    """native when Django accepted the handshake and echoed; absent when it refused the protocol."""
    facts = {"accepted": accepted, "echoed": echoed, "handshake_status": handshake_status, "server_exception": server_exception}
    if accepted:
        if echoed:
            return Verdict(State.NATIVE, "the WebSocket was accepted and echoed", facts)
        return Verdict(State.BROKEN, "the WebSocket was accepted but did not echo", facts)
    if handshake_status is None:
        return Verdict(State.UNDECIDED, "the handshake neither completed nor was refused with a status", facts)
    cause = server_exception or entrypoint_error or "no exception in the server log"
    return Verdict(State.ABSENT, f"the handshake was refused with HTTP {handshake_status}: {cause}", facts)


def lifespan(server: str, log: str, server_exception: str | None) -> Verdict:
    """native when the app completed lifespan startup; absent when the server found it unsupported."""
    lines = [line.strip() for line in log.splitlines() if "lifespan" in line.lower() or "startup" in line.lower()]
    facts: dict[str, Any] = {"server": server, "log_lines": [_strip_level(line) for line in lines], "server_exception": server_exception}
    if any(UVICORN_LIFESPAN_UNSUPPORTED in line for line in lines):
        return Verdict(State.ABSENT, f"{server}: {UVICORN_LIFESPAN_UNSUPPORTED}", facts)
    if any(UVICORN_STARTUP_COMPLETE in line for line in lines):
        return Verdict(State.NATIVE, f"{server}: the application completed lifespan startup", facts)
    return Verdict(State.NOT_RUN, f"{server} did not run the lifespan protocol, so Django's support cannot be observed through it", facts)


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
