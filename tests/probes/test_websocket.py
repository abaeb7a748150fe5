"""A WebSocket through Django's own ASGI application (never promised by Django; Channels does it).

https://docs.djangoproject.com/en/stable/howto/deployment/asgi/
"""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from harness.evidence import last_exception
from harness.rules import websocket as rules


@pytest.mark.probe("websocket.django")
def test_websocket(asgi_server, probe):
    mark = asgi_server.log_mark()
    accepted, echoed, status = False, False, None
    try:
        with connect(asgi_server.url("/ws/", scheme="ws"), open_timeout=10, close_timeout=2) as ws:
            accepted, status = True, 101
            ws.send("ping")
            echoed = ws.recv(timeout=5) == "ping"
    except InvalidStatus as exc:
        status = exc.response.status_code
    except (WebSocketException, OSError, TimeoutError):
        pass
    server_exception = last_exception(asgi_server.log_since(mark, settle=0.2))
    probe.record(rules.websocket(asgi_server.ready.get("entrypoint_error"), accepted, echoed, status, server_exception))
