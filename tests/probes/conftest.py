"""Fixtures only the probes use: one real server per kind, started once per env and reused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.harness.evidence import last_exception
from tests.harness.rules.http import HttpObservation
from tests.harness.servers import Server, run_server

SERVERS = ("uvicorn", "daphne")


@pytest.fixture(scope="session", params=SERVERS)
def asgi_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn or daphne serving project.asgi on 127.0.0.1, shared by every probe that only reads from it."""
    with run_server(request.param, tmp_path_factory.mktemp("servers")) as server:
        yield server


def get(server: Server, path: str, timeout: float = 10.0) -> HttpObservation:
    """GET `path` and collect what the client and the server's log saw."""
    mark = server.log_mark()
    status, body, client_error = None, None, None
    try:
        response = httpx.get(server.url(path), timeout=timeout)
        status = response.status_code
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
    )
