"""The probes' WebSocket client: one short conversation with a server, on every `websockets` the probe envs have.

websockets 11+ has a sync client (`websockets.sync.client`); the as-shipped envs of 2019-2022 have websockets 7-10,
whose asyncio client the same conversation runs on (in a fresh event loop of the calling thread). The client is
an observer: only what the server answered (status, reply, close code) counts. Call from a thread with no
running event loop (a pytest test).
https://websockets.readthedocs.io/en/stable/reference/sync/client.html
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from contract.evidence import describe

CLOSE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Conversation:
    """What the client saw: accepted (101), the handshake status, the first reply, the close code, or its error."""

    accepted: bool = False
    status: int | None = None
    reply: str | None = None
    close_code: int | None = None
    client_error: str | None = None


def converse(url: str, message: str, open_timeout: float = 10.0, reply_timeout: float = 5.0) -> Conversation:
    """Open `url`, send `message`, read one reply, close; never raises for what the server did."""
    try:
        from websockets.sync.client import connect
    except ImportError:  # websockets < 11
        return asyncio.run(_converse_asyncio(url, message, open_timeout, reply_timeout))
    from websockets.exceptions import InvalidStatus, WebSocketException

    accepted, status, reply, close_code = False, None, None, None
    try:
        with connect(url, open_timeout=open_timeout, close_timeout=CLOSE_TIMEOUT) as ws:
            accepted, status = True, 101
            ws.send(message)
            reply = ws.recv(timeout=reply_timeout)
            ws.close()
            # websockets 11 keeps the close code on its protocol object only (12+ also on the connection)
            close_code = getattr(ws, "close_code", None) or getattr(ws.protocol, "close_code", None)
    except InvalidStatus as exc:
        return Conversation(status=exc.response.status_code)
    except (WebSocketException, OSError, TimeoutError) as exc:
        return Conversation(accepted, status, _text(reply), close_code, describe(exc))
    return Conversation(accepted, status, _text(reply), close_code)


async def _converse_asyncio(url: str, message: str, open_timeout: float, reply_timeout: float) -> Conversation:
    """The same conversation on the asyncio client of websockets 7-10."""
    import websockets
    from websockets import exceptions
    from websockets.exceptions import InvalidStatusCode

    # websockets 7 has no common base class (WebSocketException came in 8): name each family it raises.
    families = ("WebSocketException", "InvalidHandshake", "InvalidState", "PayloadTooBig", "WebSocketProtocolError")
    errors = tuple(getattr(exceptions, name) for name in families if hasattr(exceptions, name))

    accepted, status, reply, close_code = False, None, None, None
    try:
        ws = await asyncio.wait_for(websockets.connect(url), open_timeout)
        accepted, status = True, 101
        try:
            await ws.send(message)
            reply = await asyncio.wait_for(ws.recv(), reply_timeout)
        finally:
            await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)
        close_code = ws.close_code
    except InvalidStatusCode as exc:
        return Conversation(status=exc.status_code)
    except (*errors, OSError, asyncio.TimeoutError) as exc:
        return Conversation(accepted, status, _text(reply), close_code, describe(exc))
    return Conversation(accepted, status, _text(reply), close_code)


def _text(reply: str | bytes | None) -> str | None:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
