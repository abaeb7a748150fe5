"""The project's observed Django app (project.asgi) behind Channels' ProtocolTypeRouter, with WebSocket echo routes.

Where Channels cannot be imported (no release supports Django 2.2-3.1, see matrix.yaml pins) this module still
imports, answers the harness's readiness check with the import error, and serves plain project.asgi, so the
probes record why they could not run instead of the server failing to start.
https://channels.readthedocs.io/en/stable/topics/routing.html
"""

from __future__ import annotations

import threading
from importlib import metadata

from project import asgi  # sets DJANGO_SETTINGS_MODULE and calls django.setup() before Channels is imported

try:
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    from project.probes.consumers import AsyncEchoConsumer, SyncEchoConsumer

    router = ProtocolTypeRouter(
        {
            "http": asgi.application,
            "websocket": URLRouter(
                [
                    path("ws/channels/async/", AsyncEchoConsumer.as_asgi()),
                    path("ws/channels/sync/", SyncEchoConsumer.as_asgi()),
                ]
            ),
        }
    )
    channels_error: BaseException | None = None
except Exception as exc:  # ModuleNotFoundError where no Channels release fits; the rules judge anything else
    router = None
    channels_error = exc


def _channels_version() -> str | None:
    try:
        return metadata.version("channels")
    except metadata.PackageNotFoundError:
        return None


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == asgi.READY_PATH:
        error = None if channels_error is None else f"{type(channels_error).__name__}: {channels_error}"
        await asgi.send_ready(send, channels_error=error, channels_version=_channels_version())
        return
    if router is None:
        await asgi.application(scope, receive, send)
        return
    # project.asgi does this for the scopes it serves; WebSocket scopes go straight to Channels' URLRouter.
    await router({**scope, "probe.loop_thread": threading.get_ident()}, receive, send)
