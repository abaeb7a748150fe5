"""Django Channels in front of the probes' WebSocket echo consumers, or why Channels is not there.

project/asgi.py sends every WebSocket under /ws/channels/ here. Where Channels cannot be imported `application` is
None and `error` says why, so the probes record that instead of the server failing to start.
https://channels.readthedocs.io/en/stable/topics/routing.html
"""

from __future__ import annotations

from typing import Any

from harness.observers.versions import installed

application: Any = None
error: BaseException | None = None
try:
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    from project.probes.consumers import AsyncEchoConsumer, SyncEchoConsumer

    # Channels 3+ routes to `Consumer.as_asgi()` and speaks ASGI 3. Channels 2 (the as-shipped envs of Django
    # 2.2-3.1) routes to the consumer class and speaks ASGI 2: the router takes the scope, its instance the channels.
    modern = hasattr(AsyncEchoConsumer, "as_asgi")
    router = ProtocolTypeRouter(
        {
            "websocket": URLRouter(
                [
                    path("ws/channels/async/", AsyncEchoConsumer.as_asgi() if modern else AsyncEchoConsumer),
                    path("ws/channels/sync/", SyncEchoConsumer.as_asgi() if modern else SyncEchoConsumer),
                ]
            ),
        }
    )

    async def _asgi2(scope: Any, receive: Any, send: Any) -> None:
        await router(scope)(receive, send)

    application = router if modern else _asgi2
except Exception as exc:  # ModuleNotFoundError where no Channels release fits; the rules judge anything else
    error = exc


def version() -> str | None:
    return installed("channels")
