"""A WebSocket through Django's own ASGI application (never promised by Django; Channels does it).

https://docs.djangoproject.com/en/stable/howto/deployment/asgi/
"""

from __future__ import annotations

import pytest

from contract.evidence import last_exception
from harness.observers.wsclient import converse
from harness.rules import websocket as rules


@pytest.mark.probe("websocket.django")
def test_websocket(asgi_server, probe):
    mark = asgi_server.log_mark()
    seen = converse(asgi_server.url("/ws/", scheme="ws"), "ping")
    server_exception = last_exception(asgi_server.log_since(mark, settle=0.2))
    probe.record(
        rules.websocket(
            asgi_server.ready.get("entrypoint_error"),
            seen.accepted,
            seen.reply == "ping",
            seen.status,
            server_exception,
        )
    )
