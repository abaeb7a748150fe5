"""Verdict rules for Django's ASGI entry point, its request path under concurrency, and the lifespan protocol.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_asgi.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, unserved
from harness.rules.timing import (
    ConcurrencyObservation,
    decide,
    least,
    noisy,
    samples,
    stall_threshold_ms,
    sync_concurrency,
)

UVICORN_LIFESPAN_UNSUPPORTED = "ASGI 'lifespan' protocol appears unsupported."
UVICORN_STARTUP_COMPLETE = "Application startup complete."


def served(obs: HttpObservation) -> Verdict:
    """The ASGI entry point is native when it answers a request: its handler is a coroutine on the loop."""
    facts = {"status": obs.status, "server_exception": obs.server_exception}
    refused = unserved(obs, facts, body=False)
    if refused:
        return refused
    return Verdict(State.NATIVE, "get_asgi_application() served the request (HTTP 200)", facts)


@dataclass(frozen=True)
class StackRequest:
    """One request through the traced stack: the threads of its middleware hooks, and its sync view's thread."""

    chain: list[int]
    view: int


# Which worker threads the requests' stacks ran in (workers()).
NO_WORKER = "no worker thread"
ONE_FOR_ALL = "one worker thread for every request"
ONE_PER_REQUEST = "one worker thread per request"
SEVERAL_PER_REQUEST = "several worker threads per request"


def workers(loop: set[int], requests: list[StackRequest]) -> str:
    """How the requests' off-loop work was spread over threads."""
    off_loop = [set(request.chain + [request.view]) - loop for request in requests]
    if not any(off_loop):
        return NO_WORKER
    if len(set().union(*off_loop)) == 1:
        return ONE_FOR_ALL
    if all(len(threads) <= 1 for threads in off_loop):
        return ONE_PER_REQUEST
    return SEVERAL_PER_REQUEST


def request_stack(obs: ConcurrencyObservation, requests: list[StackRequest]) -> Verdict:
    """Where Django's own request path runs under ASGI: concurrent requests through startproject's middleware,
    traced by hooks built like Django's own (MiddlewareMixin), to a sync view that sleeps.

    native: they overlapped, the middleware chain ran on the loop thread and only the sync view went to a worker.
    threaded: they overlapped, and the chain ran off the loop too (the facts say: one worker thread per request,
    or several). serialized: they ran one at a time off the loop, the loop free: one worker thread for the whole
    stack queues every request. blocking: the loop stalled past the threshold. broken, absent, undecided: as for
    timing.sync_concurrency. Serving HTTP at all (asgi.entrypoint) says nothing about this.
    """
    base = sync_concurrency(obs)
    if base.state in (State.ABSENT, State.BROKEN):
        return base
    loop = set(obs.loop_threads)
    chain_on_loop = bool(requests) and all(thread in loop for request in requests for thread in request.chain)
    view_on_loop = bool(requests) and all(request.view in loop for request in requests)
    spread = workers(loop, requests)
    facts = {
        **base.facts,
        "chain_on_loop_thread": chain_on_loop,
        "view_on_loop_thread": view_on_loop,
        "workers": spread,
    }
    stall, threshold = least(obs.stalls_ms), stall_threshold_ms(obs.sleep)
    state, reason = decide(obs.requests, samples(obs), chain_on_loop and view_on_loop, stall, obs.noise_ms, threshold)
    if state is State.THREADED and chain_on_loop:
        state = State.NATIVE
    if state in (State.NATIVE, State.THREADED, State.SERIALIZED):
        where = "on the loop thread" if chain_on_loop else "off the loop"
        reason = f"{reason}: the middleware hooks ran {where}, the stack in {spread}"
    retry = state is State.UNDECIDED and noisy(stall, obs.noise_ms, threshold)
    return Verdict(state, reason, facts, base.measurements, retry)


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


def _strip_level(line: str) -> str:
    """uvicorn prefixes "INFO:     "; the level and padding are not evidence."""
    head, sep, tail = line.partition(":")
    return tail.strip() if sep and head.isupper() and head.isalpha() else line
