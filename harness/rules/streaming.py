"""Verdict rule for a StreamingHttpResponse over an async iterator: streamed on the loop, or consumed synchronously.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_streaming.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.rules.response import entrypoint_missing
from harness.states import State, Verdict

# The warning Django logs when it must consume a streaming iterator in the other mode (4.2+).
STREAMING_WARNING = re.compile(r"StreamingHttpResponse must consume [^.]*\.")


@dataclass(frozen=True)
class StreamObservation:
    """A streamed response: its status, the lines it carried (each names the thread that made it), Django's warning."""

    entrypoint_error: str | None
    status: int | None
    chunks: list[dict[str, Any]]
    arrival_gaps: list[float]
    server_exception: str | None = None
    warning: str | None = None


def streaming(obs: StreamObservation) -> Verdict:
    """native when the async iterator was consumed on the loop thread without Django's warning.

    threaded when its chunks were made on another thread (Django consumed it synchronously, its
    warning quoted); blocking when Django warned but consumed it on the loop thread; broken when the
    response failed.
    """
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    facts: dict[str, Any] = {
        "status": obs.status,
        "server_exception": obs.server_exception,
        "warning": obs.warning,
        "chunks": len(obs.chunks),
    }
    if obs.status != 200 or not obs.chunks:
        cause = obs.server_exception or "no exception in the server log"
        return Verdict(State.BROKEN, f"HTTP {obs.status} with {len(obs.chunks)} chunks: {cause}", facts)
    on_loop = all(chunk.get("chunk_thread") == chunk.get("loop_thread") for chunk in obs.chunks)
    facts["on_loop_thread"] = on_loop
    measurements = {"chunks": obs.chunks, "arrival_gaps": obs.arrival_gaps}
    if not on_loop:
        return Verdict(
            State.THREADED,
            f"the async iterator was consumed on a worker thread: {obs.warning or 'no warning logged'}",
            facts,
            measurements,
        )
    if obs.warning:
        return Verdict(
            State.BLOCKING,
            f"the async iterator was consumed on the loop thread, synchronously: {obs.warning}",
            facts,
            measurements,
        )
    return Verdict(State.NATIVE, "the async iterator was streamed on the loop thread", facts, measurements)
