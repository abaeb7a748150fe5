"""WebSocket echo consumers for Channels: each reply names the thread that ran it and the event loop's thread.

Imported only by project/channels_routing.py, and only where Channels is installed (2.x on the as-shipped 2.2-3.1).
https://channels.readthedocs.io/en/stable/topics/consumers.html#websocketconsumer
"""

from __future__ import annotations

import json
import threading

from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer


def echo(scope: dict[str, object], text: str | None) -> str:
    """The reply to `text`: the text itself, the loop thread (stored in the scope by project.asgi), ours."""
    return json.dumps(
        {"echo": text, "loop_thread": scope.get("probe.loop_thread"), "consumer_thread": threading.get_ident()}
    )


class AsyncEchoConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(text_data=echo(self.scope, text_data))


class SyncEchoConsumer(WebsocketConsumer):
    def connect(self) -> None:
        self.accept()

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.send(text_data=echo(self.scope, text_data))
