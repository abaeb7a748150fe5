"""What one request through a real server came back with, and the checks every HTTP rule opens with.

The area rules (asgi.py, views.py, middleware.py, streaming.py, http.py, ...) start from these: the entry point
Django could not build is absent or broken, and a response that is no HTTP 200 is broken with the server's exception,
unless that exception shows the release never offered what was asked (failure(): absent, never broken).
Unit-tested in tests/unit/harness/rules/test_response.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contract.states import State, Verdict

# Errors that mean "this Django does not have it", as opposed to "it is there and fails".
MISSING = ("ImportError", "ModuleNotFoundError", "AttributeError")

# What a failure means when its exception carries one of the signatures in NOT_OFFERED.
ASYNC_VIEWS = "the handler called the async view as a sync function: async views are not supported here"
ASYNC_ITERATORS = "Django iterated the async iterator as a sync one: async iterators are not supported here"
# The errors Python and Django raise when code that knows only sync views or iterators is handed an async one: the
# release never offered the feature (absent), as opposed to offering it and failing (broken). Each is the fragment of a
# server exception seen in a real run (tests/unit/harness/rules/observations.py): a handler that took the unawaited
# coroutine for a response (Django 3.0.0-3.0.3, then 3.0.4 and later), a middleware setting a header on it, Django's own check of what a view
# returned (a View with `async def get` before 4.1), and StreamingHttpResponse iterating an async generator (before 4.2).
NOT_OFFERED = {
    "'coroutine' object has no attribute '_closable_objects'": ASYNC_VIEWS,
    "'coroutine' object has no attribute '_resource_closers'": ASYNC_VIEWS,
    "'coroutine' object does not support item assignment": ASYNC_VIEWS,
    "It returned an unawaited coroutine instead": ASYNC_VIEWS,
    "'async_generator' object is not iterable": ASYNC_ITERATORS,
}


@dataclass(frozen=True)
class HttpObservation:
    """One request through a server: the entry point's import error, the response, the server's exception."""

    entrypoint_error: str | None
    status: int | None
    body: dict[str, Any] | None = None
    server_exception: str | None = None
    client_error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    def threads(self) -> tuple[int | None, int | None]:
        """(loop thread, view thread) as the view's JSON answer reported them; None where it did not say."""
        body = self.body or {}
        return body.get("loop_thread"), body.get("view_thread")


def entrypoint_missing(entrypoint_error: str | None) -> Verdict | None:
    """absent or broken when Django's ASGI entry point could not be built; None when it was."""
    if entrypoint_error is None:
        return None
    state = State.ABSENT if entrypoint_error.split(":")[0] in MISSING else State.BROKEN
    return Verdict(
        state, f"get_asgi_application() is not available: {entrypoint_error}", {"entrypoint_error": entrypoint_error}
    )


def unserved(obs: HttpObservation, facts: dict[str, Any], body: bool = True) -> Verdict | None:
    """The verdict when no working view answered, None when one did (HTTP 200, with a JSON body unless `body` is False).

    absent or broken when the entry point is missing; broken, carrying `facts` and the client's or server's error,
    when the response is anything else.
    """
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    if obs.status != 200 or (body and not obs.body):
        return failed(obs, facts)
    return None


def failed(obs: HttpObservation, facts: dict[str, Any]) -> Verdict:
    """broken: the client's error when the request failed, else the status and the server's exception (absent when
    that exception shows the feature was never offered: failure())."""
    if obs.client_error:
        facts["client_error"] = obs.client_error
        return Verdict(State.BROKEN, f"the request failed: {obs.client_error}", facts)
    cause = obs.server_exception or "no exception in the server log"
    return failure(f"HTTP {obs.status}: {cause}", [obs.server_exception], facts)


def not_offered(exception: str | None) -> str | None:
    """What the release does not support, when `exception` carries a signature from NOT_OFFERED; None otherwise."""
    return next((why for signature, why in NOT_OFFERED.items() if exception and signature in exception), None)


def failure(
    reason: str,
    exceptions: Sequence[str | None],
    facts: dict[str, Any],
    measurements: dict[str, Any] | None = None,
    context: str = "",
) -> Verdict:
    """broken with `reason`; absent when every one of `exceptions` (at least one) shows the release never offered
    what failed: the reason then says what is not supported, after `context`, and quotes the first exception."""
    why = [not_offered(exception) for exception in exceptions]
    if why and None not in why:
        return Verdict(State.ABSENT, f"{context}{why[0]} ({exceptions[0]})", facts, measurements or {})
    return Verdict(State.BROKEN, reason, facts, measurements or {})
