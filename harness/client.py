"""The probes' HTTP client: one request to a running server, with what the client and the server's log saw."""

from __future__ import annotations

import httpx

from harness.evidence import last_exception
from harness.rules.response import HttpObservation
from harness.servers import Server


def get(server: Server, path: str, timeout: float = 10.0, method: str = "GET") -> HttpObservation:
    """Send one request (GET unless told) to `path` and collect what the client and the server's log saw."""
    mark = server.log_mark()
    status, body, headers, client_error = None, None, {}, None
    try:
        response = httpx.request(method, server.url(path), headers=server.headers, timeout=timeout)
        status, headers = response.status_code, dict(response.headers)
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
    except httpx.HTTPError as exc:
        client_error = f"{type(exc).__name__}: {exc}"
    return HttpObservation(
        entrypoint_error=server.ready.get("entrypoint_error"),  # type: ignore[arg-type]
        status=status,
        body=body,
        server_exception=last_exception(server.log_since(mark)),
        client_error=client_error,
        headers=headers,
    )
