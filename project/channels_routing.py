"""Django Channels in front of the probes' WebSocket echo consumers, or why Channels is not there.

project/asgi.py sends every WebSocket under /ws/channels/ here. Where Channels cannot be imported (no release
supports Django 2.2-3.1, see matrix.yaml pins) `application` is None and `error` says why, so the probes record
that instead of the server failing to start.
https://channels.readthedocs.io/en/stable/topics/routing.html
"""

from __future__ import annotations

from typing import Any

from harness.versions import installed

application: Any = None
error: BaseException | None = None
try:
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    from project.probes.consumers import AsyncEchoConsumer, SyncEchoConsumer

    application = ProtocolTypeRouter(
        {
            "websocket": URLRouter(
                [
                    path("ws/channels/async/", AsyncEchoConsumer.as_asgi()),
                    path("ws/channels/sync/", SyncEchoConsumer.as_asgi()),
                ]
            ),
        }
    )
except Exception as exc:  # ModuleNotFoundError where no Channels release fits; the rules judge anything else
    error = exc


def version() -> str | None:
    return installed("channels")
