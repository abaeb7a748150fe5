"""The WebSocket client's conversation, on both clients it supports: websockets 11+'s sync one, 7-10's asyncio one.

The tools env has no `websockets` (the probe envs do), so each test installs a scripted stand-in for the package in
sys.modules, with the names and signatures wsclient.py uses: what the client reports for each answer a server can
give (a reply, a refused handshake, silence, a dropped connection) is what is tested.
"""

from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass, field

import pytest

from harness.observers.wsclient import CLOSE_TIMEOUT, Conversation, _text, converse
from tests.unit.harness.stubs import install

URL = "ws://127.0.0.1:8000/ws/echo/"


class WebSocketException(Exception):
    pass


class ConnectionClosedError(WebSocketException):
    pass


class InvalidHandshake(Exception):  # websockets 7: no common base class
    pass


class InvalidStatus(WebSocketException):  # websockets 11+: the refused handshake carries the response
    def __init__(self, status_code: int) -> None:
        super().__init__(f"server rejected WebSocket connection: HTTP {status_code}")
        self.response = types.SimpleNamespace(status_code=status_code)


class InvalidStatusCode(WebSocketException):  # websockets 7-10
    def __init__(self, status_code: int) -> None:
        super().__init__(f"server rejected WebSocket connection: HTTP {status_code}")
        self.status_code = status_code


@dataclass
class Peer:
    """What the fake server does: raise `refuse` on connecting, or answer `reply` (raise it if an exception; wait
    forever if None) and close with `close_code`; and what the client did."""

    reply: object = None
    close_code: int = 1000
    refuse: Exception | None = None
    code_on_protocol_only: bool = False  # websockets 11 keeps the close code on its protocol object only
    connected: list[tuple[str, dict[str, float]]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    recv_timeouts: list[float | None] = field(default_factory=list)
    closed: int = 0


class SyncConnection:
    """websockets.sync.client's connection, as far as wsclient.py uses it."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.protocol = types.SimpleNamespace(close_code=None)

    def __enter__(self) -> SyncConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: str) -> None:
        self.peer.sent.append(message)

    def recv(self, timeout: float | None = None) -> object:
        self.peer.recv_timeouts.append(timeout)
        if self.peer.reply is None:
            raise TimeoutError("timed out while waiting for a message")
        if isinstance(self.peer.reply, Exception):
            raise self.peer.reply
        return self.peer.reply

    def close(self) -> None:
        self.peer.closed += 1
        self.protocol.close_code = self.peer.close_code
        if not self.peer.code_on_protocol_only:
            self.close_code = self.peer.close_code


class AsyncConnection:
    """websockets 7-10's client protocol, as far as wsclient.py uses it."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.close_code: int | None = None

    async def send(self, message: str) -> None:
        self.peer.sent.append(message)

    async def recv(self) -> object:
        if self.peer.reply is None:
            await asyncio.Event().wait()  # never answers
        if isinstance(self.peer.reply, Exception):
            raise self.peer.reply
        return self.peer.reply

    async def close(self) -> None:
        self.peer.closed += 1
        self.close_code = self.peer.close_code


def sync_websockets(monkeypatch: pytest.MonkeyPatch, peer: Peer) -> None:
    """websockets 11+: a sync client in websockets.sync.client."""

    def connect(url: str, **options: float) -> SyncConnection:
        peer.connected.append((url, options))
        if peer.refuse is not None:
            raise peer.refuse
        return SyncConnection(peer)

    install(monkeypatch, "websockets")
    install(monkeypatch, "websockets.exceptions", WebSocketException=WebSocketException, InvalidStatus=InvalidStatus)
    install(monkeypatch, "websockets.sync.client", connect=connect)


def asyncio_websockets(monkeypatch: pytest.MonkeyPatch, peer: Peer, **families: type[Exception]) -> None:
    """websockets 7-10: only the asyncio client, and the exception families that release has."""

    async def connect(url: str) -> AsyncConnection:
        peer.connected.append((url, {}))
        if peer.refuse is not None:
            raise peer.refuse
        if peer.reply == "never opens":
            await asyncio.Event().wait()
        return AsyncConnection(peer)

    families = families or {"WebSocketException": WebSocketException}
    install(monkeypatch, "websockets", connect=connect)
    install(monkeypatch, "websockets.exceptions", InvalidStatusCode=InvalidStatusCode, **families)
    monkeypatch.setitem(sys.modules, "websockets.sync", None)  # no sync client: importing it raises ImportError


def _error_type(seen: Conversation) -> str:
    """The exception type `client_error` names (asyncio's timeouts carry no message)."""
    assert seen.client_error is not None
    return seen.client_error.split(":")[0]


# websockets 11+ (the sync client)


def test_sync_a_conversation_sends_the_message_and_keeps_the_reply_and_close_code(monkeypatch):
    peer = Peer(reply="echo: hello")
    sync_websockets(monkeypatch, peer)
    assert converse(URL, "hello", open_timeout=3.0, reply_timeout=1.5) == Conversation(True, 101, "echo: hello", 1000)
    assert peer.connected == [(URL, {"open_timeout": 3.0, "close_timeout": CLOSE_TIMEOUT})]
    assert (peer.sent, peer.recv_timeouts) == (["hello"], [1.5])
    assert peer.closed >= 1


def test_sync_a_binary_reply_is_decoded_and_bad_bytes_replaced(monkeypatch):
    sync_websockets(monkeypatch, Peer(reply="café".encode() + b"\xff"))
    assert converse(URL, "hello").reply == "café\ufffd"


def test_sync_the_close_code_is_read_from_the_protocol_on_websockets_11(monkeypatch):
    sync_websockets(monkeypatch, Peer(reply="echo", close_code=4001, code_on_protocol_only=True))
    assert converse(URL, "hello").close_code == 4001


def test_sync_a_refused_handshake_is_its_status_only(monkeypatch):
    sync_websockets(monkeypatch, Peer(refuse=InvalidStatus(403)))
    assert converse(URL, "hello") == Conversation(status=403)


def test_sync_no_reply_in_time_is_an_accepted_conversation_with_the_error(monkeypatch):
    peer = Peer(reply=None)
    sync_websockets(monkeypatch, peer)
    seen = converse(URL, "hello")
    assert seen == Conversation(True, 101, None, None, "TimeoutError: timed out while waiting for a message")
    assert peer.closed == 1  # the context manager closed it on the way out


def test_sync_a_connection_the_server_drops_is_the_error_it_raised(monkeypatch):
    sync_websockets(monkeypatch, Peer(reply=ConnectionClosedError("no close frame received or sent")))
    seen = converse(URL, "hello")
    assert (seen.accepted, seen.status, seen.reply) == (True, 101, None)
    assert seen.client_error == "ConnectionClosedError: no close frame received or sent"


def test_sync_a_refused_connection_is_not_accepted(monkeypatch):
    sync_websockets(monkeypatch, Peer(refuse=ConnectionRefusedError(111, "Connection refused")))
    assert converse(URL, "hello") == Conversation(client_error="ConnectionRefusedError: [Errno 111] Connection refused")


# websockets 7-10 (the asyncio client, in a fresh loop)


def test_asyncio_a_conversation_sends_the_message_and_keeps_the_reply_and_close_code(monkeypatch):
    peer = Peer(reply=b"echo: hello", close_code=1001)
    asyncio_websockets(monkeypatch, peer)
    assert converse(URL, "hello") == Conversation(True, 101, "echo: hello", 1001)
    assert (peer.connected, peer.sent, peer.closed) == ([(URL, {})], ["hello"], 1)


def test_asyncio_a_refused_handshake_is_its_status_only(monkeypatch):
    asyncio_websockets(monkeypatch, Peer(refuse=InvalidStatusCode(404)))
    assert converse(URL, "hello") == Conversation(status=404)


def test_asyncio_no_reply_in_time_still_closes_and_reports_the_timeout(monkeypatch):
    peer = Peer(reply=None)
    asyncio_websockets(monkeypatch, peer)
    seen = converse(URL, "hello", reply_timeout=0.01)
    assert (seen.accepted, seen.status, seen.reply, seen.close_code) == (True, 101, None, None)
    assert _error_type(seen) == "TimeoutError"
    assert peer.closed == 1


def test_asyncio_a_server_that_never_opens_times_out_unaccepted(monkeypatch):
    asyncio_websockets(monkeypatch, Peer(reply="never opens"))
    seen = converse(URL, "hello", open_timeout=0.01)
    assert (seen.accepted, seen.status, seen.reply, seen.close_code) == (False, None, None, None)
    assert _error_type(seen) == "TimeoutError"


def test_asyncio_websockets_7s_exception_families_are_caught_without_a_common_base(monkeypatch):
    asyncio_websockets(
        monkeypatch, Peer(refuse=InvalidHandshake("malformed HTTP message")), InvalidHandshake=InvalidHandshake
    )
    assert converse(URL, "hello") == Conversation(client_error="InvalidHandshake: malformed HTTP message")


def test_text_decodes_bytes_and_passes_text_and_none():
    assert _text(b"\xe2\x9c\x93 ok") == "✓ ok"
    assert _text("already text") == "already text"
    assert _text(None) is None
