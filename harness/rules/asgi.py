"""Verdict rules for Django's ASGI entry point and the lifespan protocol, as a real server ran them.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_asgi.py.
"""

from __future__ import annotations

from typing import Any

from harness.rules.response import HttpObservation, unserved
from harness.states import State, Verdict

UVICORN_LIFESPAN_UNSUPPORTED = "ASGI 'lifespan' protocol appears unsupported."
UVICORN_STARTUP_COMPLETE = "Application startup complete."


def served(obs: HttpObservation) -> Verdict:
    """The ASGI entry point is native when it answers a request: its handler is a coroutine on the loop."""
    facts = {"status": obs.status, "server_exception": obs.server_exception}
    refused = unserved(obs, facts, body=False)
    if refused:
        return refused
    return Verdict(State.NATIVE, "get_asgi_application() served the request (HTTP 200)", facts)


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
