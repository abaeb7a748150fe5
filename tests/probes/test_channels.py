"""WebSocket with Django Channels (ProtocolTypeRouter, project/channels_routing.py): an async and a sync echo consumer.

https://channels.readthedocs.io/en/stable/topics/consumers.html
"""

from __future__ import annotations

import json

import pytest

from contract.evidence import describe, last_exception
from harness.observers.wsclient import converse
from harness.processes.servers import Server
from harness.rules import channels as rules
from harness.rules.channels import ConsumerObservation

MESSAGE = "ping"


def consume(server: Server, path: str) -> ConsumerObservation:
    """Connect to `path`, send MESSAGE, read the consumer's JSON reply and close; collect what both sides saw."""
    mark = server.log_mark()
    seen = converse(server.url(path, scheme="ws"), MESSAGE)
    reply, client_error = None, seen.client_error
    if seen.reply is not None:
        try:
            reply = json.loads(seen.reply)
        except ValueError as exc:  # a reply that is not JSON
            client_error = describe(exc)
    accepted, status, close_code = seen.accepted, seen.status, seen.close_code
    return ConsumerObservation(
        channels_error=server.ready.get("channels_error"),  # type: ignore[arg-type]
        sent=MESSAGE,
        accepted=accepted,
        handshake_status=status,
        reply=reply,
        close_code=close_code,
        # Settle longer than for HTTP: a consumer's exception is logged after the socket has closed.
        server_exception=last_exception(server.log_since(mark, settle=0.2)),
        client_error=client_error,
        channels_version=server.ready.get("channels_version"),  # type: ignore[arg-type]
    )


@pytest.mark.probe("channels.async-consumer")
def test_async_consumer(asgi_server, probe):
    probe.record(rules.async_consumer(consume(asgi_server, "/ws/channels/async/")))


@pytest.mark.probe("channels.sync-consumer")
def test_sync_consumer(asgi_server, probe):
    probe.record(rules.sync_consumer(consume(asgi_server, "/ws/channels/sync/")))
