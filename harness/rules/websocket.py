"""Verdict rule for a WebSocket handshake sent to Django's own ASGI application (no Channels in between).

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_websocket.py.
"""

from __future__ import annotations

from contract.states import State, Verdict

# What Django's ASGI handler raises for any scope but HTTP (3.0 on): its own refusal of the protocol.
REFUSAL = "can only handle ASGI/HTTP connections"


def websocket(
    entrypoint_error: str | None,
    accepted: bool,
    echoed: bool,
    handshake_status: int | None,
    server_exception: str | None,
) -> Verdict:
    """native when Django accepted the handshake and echoed; absent when it refused the protocol: with an HTTP status,
    or, where the server dropped the connection without one (daphne as shipped with 4.2-5.1), with Django's refusal
    in the server log;
    undecided when the handshake got no status and the log does not say why."""
    facts = {
        "accepted": accepted,
        "echoed": echoed,
        "handshake_status": handshake_status,
        "server_exception": server_exception,
    }
    if accepted:
        if echoed:
            return Verdict(State.NATIVE, "the WebSocket was accepted and echoed", facts)
        return Verdict(State.BROKEN, "the WebSocket was accepted but did not echo", facts)
    if handshake_status is None:
        if server_exception and REFUSAL in server_exception:
            return Verdict(
                State.ABSENT,
                f"the server dropped the handshake without a status after Django refused: {server_exception}",
                facts,
            )
        return Verdict(State.UNDECIDED, "the handshake neither completed nor was refused with a status", facts)
    cause = server_exception or entrypoint_error or "no exception in the server log"
    return Verdict(State.ABSENT, f"the handshake was refused with HTTP {handshake_status}: {cause}", facts)
