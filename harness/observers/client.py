"""The probes' HTTP client: one request to a running server, with what the client and the server's log saw.

`loop_stall` reads the loop-stall meter that runs inside the server (project/asgi.py) around a block of requests.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from contract.evidence import last_exception
from harness.processes.servers import Server
from harness.rules.response import HttpObservation

# Where project/asgi.py answers a loop-time mark, or (?since=<mark>) the longest loop stall since it.
STALL_PATH = "/__harness__/stall"
# Seconds of idle loop over which the meter's own noise is measured before each block.
IDLE_WINDOW = 0.2


def get(server: Server, path: str, timeout: float = 10.0, method: str = "GET") -> HttpObservation:
    """Send one request (GET unless told) to `path` and collect what the client and the server's log saw."""
    mark = server.log_mark()
    status, body, headers, client_error = None, None, {}, None
    try:
        response = httpx.request(
            method, server.url(path), headers=server.headers, timeout=timeout, verify=server.verify()
        )
        status, headers = response.status_code, dict(response.headers)
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
    except httpx.HTTPError as exc:
        client_error = f"{type(exc).__name__}: {exc}"
    return observation(server, mark, status, body, client_error, headers)


def observation(
    server: Server, mark: int, status: int | None, body: Any, client_error: str | None, headers: dict[str, str]
) -> HttpObservation:
    """What one request saw: the client's side as given, the server's entry point and its log since `mark`."""
    return HttpObservation(
        entrypoint_error=server.ready.get("entrypoint_error"),  # type: ignore[arg-type]
        status=status,
        body=body,
        server_exception=last_exception(server.log_since(mark)),
        client_error=client_error,
        headers=headers,
    )


@dataclass
class LoopStall:
    """The server loop's longest stall (ms) while a block ran, next to the meter's own noise on the idle loop."""

    noise_ms: float
    stall_ms: float | None = None  # set when the block ends


def stall_mark(server: Server) -> float:
    """A mark on the server's loop clock, for `stall_since` (project/asgi.py's meter, which beats on that loop)."""
    return _stall_answer(server)["mark"]


def stall_since(server: Server, mark: float) -> float:
    """The server loop's longest stall since `mark`, in ms."""
    return _stall_answer(server, since=mark)["stall_ms"]


def loop_noise(server: Server, idle: float = IDLE_WINDOW) -> float:
    """The meter's own longest lateness (ms) over `idle` seconds in which the server has nothing to do."""
    mark = stall_mark(server)
    time.sleep(idle)
    return stall_since(server, mark)


@contextlib.contextmanager
def loop_stall(server: Server, idle: float = IDLE_WINDOW) -> Iterator[LoopStall]:
    """Measure the server's event loop: the meter's noise over `idle` seconds, then the longest stall in the block."""
    reading = LoopStall(noise_ms=loop_noise(server, idle))
    mark = stall_mark(server)
    yield reading
    reading.stall_ms = stall_since(server, mark)


def _stall_answer(server: Server, since: float | None = None) -> dict[str, float]:
    params = {} if since is None else {"since": repr(since)}
    response = httpx.get(server.url(STALL_PATH), params=params, timeout=10.0, verify=server.verify())
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]
