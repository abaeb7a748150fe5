"""The WebSocket rule reaches every state it can return."""

from __future__ import annotations

from contract.states import State
from harness.rules import websocket as rules


def test_websocket():
    assert rules.websocket(None, True, True, 101, None).state is State.NATIVE
    assert rules.websocket(None, True, False, 101, None).state is State.BROKEN
    assert rules.websocket(None, False, False, 500, "ValueError: not websocket.").state is State.ABSENT
    assert rules.websocket(None, False, False, None, None).state is State.UNDECIDED


def test_a_dropped_handshake_is_absent_only_when_the_log_shows_django_refusing_the_protocol():
    refusal = "ValueError: Django can only handle ASGI/HTTP connections, not websocket."
    dropped = rules.websocket(None, False, False, None, refusal)
    assert dropped.state is State.ABSENT
    assert refusal in dropped.reason
    assert rules.websocket(None, False, False, None, "KeyError: 'path'").state is State.UNDECIDED
