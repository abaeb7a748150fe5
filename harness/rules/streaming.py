"""Verdict rules for streamed responses: an async iterator (streamed on the loop, or consumed synchronously?), and a
sync iterator or a FileResponse (which thread made each chunk, did each reach the client as it was made, did the
loop stall?).

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_streaming.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contract.rows import WAITED
from contract.states import State, Verdict
from harness.rules.response import entrypoint_missing, failure
from harness.rules.timing import NOISY, STALLED, UNTOLD, loop_state, stall_threshold_ms

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
    arrivals: list[float] = field(default_factory=list)  # when the client read each chunk (time.monotonic)


def streaming(obs: StreamObservation) -> Verdict:
    """native when the async iterator was streamed on the loop thread without Django's warning.

    threaded when its chunks were made on another thread (Django consumed it synchronously, its
    warning quoted); undecided when Django warned but consumed it on the loop thread (synchronous consumption on the
    loop, but this probe measures no loop stall, so it does not call that blocking); absent when the response failed
    because Django does not know async iterators (or the async view: response.failure); broken when the response
    failed otherwise, or was buffered (every chunk reached the client only after the last was made: a
    buffered stream is never native); undecided when some chunks came as they were made and others later.
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
        return failure(f"HTTP {obs.status} with {len(obs.chunks)} chunks: {cause}", [obs.server_exception], facts)
    on_loop = all(chunk.get("chunk_thread") == chunk.get("loop_thread") for chunk in obs.chunks)
    facts["on_loop_thread"] = on_loop
    measurements = {"chunks": obs.chunks, "arrival_gaps": obs.arrival_gaps}
    produced = [chunk.get("produced_at") for chunk in obs.chunks]
    if obs.arrivals and None not in produced:
        how = delivery(produced, obs.arrivals)  # type: ignore[arg-type]
        facts["delivery"] = how
        if how == BUFFERED:  # measured again: a starved client reads a streamed response late, as if buffered
            whole = "every chunk reached the client only after the last was made"
            return Verdict(State.BROKEN, f"buffered: {whole}", facts, measurements, retry=True)
        if how == MIXED:
            mixed = "some chunks reached the client as they were made, others later"
            return Verdict(State.UNDECIDED, mixed, facts, measurements, retry=True)
    if not on_loop:
        return Verdict(
            State.THREADED,
            f"the async iterator was consumed on a worker thread: {obs.warning or 'no warning logged'}",
            facts,
            measurements,
        )
    if obs.warning:
        return Verdict(
            State.UNDECIDED,
            "the async iterator was consumed on the loop thread, synchronously (no loop stall measured): "
            + obs.warning,
            facts,
            measurements,
        )
    return Verdict(State.NATIVE, "the async iterator was streamed on the loop thread", facts, measurements)


# How the chunks of a sync stream reached the client (delivery()).
STREAMED, BUFFERED, MIXED = "streamed", "buffered", "mixed"


@dataclass(frozen=True)
class SyncStreamObservation:
    """A response over a sync iterator that pauses `pause` seconds (a blocking sleep) before each chunk but the first.

    Each chunk says which thread made it and when (`produced_at`); `arrivals` are when the client read each, on the
    same clock (time.monotonic is system-wide on Linux). The stall is the server loop's, while the response ran.
    """

    entrypoint_error: str | None
    status: int | None
    pause: float
    chunks: list[dict[str, Any]]
    arrivals: list[float]
    stall_ms: float | None = None
    noise_ms: float | None = None
    server_exception: str | None = None
    warning: str | None = None
    expected_chunks: int = 3


def delivery(produced: list[float], arrivals: list[float]) -> str:
    """STREAMED when each chunk reached the client before the next was made; BUFFERED when none reached it before the
    last was made; MIXED otherwise. Causal, so no margin: a buffered chunk cannot arrive before the last one is made,
    and a streamed one arrives a whole pause before the next."""
    if all(arrived < made for arrived, made in zip(arrivals, produced[1:])):
        return STREAMED
    if all(arrived >= produced[-1] for arrived in arrivals):
        return BUFFERED
    return MIXED


def sync_stream(obs: SyncStreamObservation) -> Verdict:
    """Where a sync iterator's chunks were made, how they reached the client, and whether the loop stalled.

    The iterator sleeps between chunks, so making them on the loop thread stalls it by the pause; the stall
    threshold is half the pause (never under 50 ms, harness/rules/timing.py::stall_threshold_ms).
    - blocking: the chunks were made on the loop thread and it stalled past the threshold;
    - threaded: the chunks were made on a worker thread and each reached the client as it was made; the loop
      stayed free;
    - buffered: the chunks were made on a worker thread and every one reached the client only after the last was
      made: it works and the loop stays free, but the client gets the body whole. A degraded result, not a broken
      one; the reason says "by design" only when Django's own warning says it must consume the iterator (the 4.2
      notes document that it consumes a sync iterator in a thread under ASGI), and quotes it;
    - broken: the response failed or lost chunks;
    - undecided: the meter could not tell, chunks made on the loop without a stall, a delivery neither
      streamed nor buffered, or a stall while the chunks were made on a worker thread (something else held the
      loop: measured again, as harness/rules/apis.py does for an API whose work ran off the loop).
    Never native: a sync iterator that sleeps cannot run on the loop without stalling it.
    """
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    threshold = stall_threshold_ms(obs.pause)
    facts: dict[str, Any] = {
        "status": obs.status,
        "server_exception": obs.server_exception,
        "warning": obs.warning,
        "chunks": len(obs.chunks),
        "stall_threshold_ms": threshold,
    }
    produced = [chunk.get("produced_at", 0.0) for chunk in obs.chunks]
    measurements: dict[str, Any] = {
        "stall_ms": obs.stall_ms,
        "noise_ms": obs.noise_ms,
        "chunk_threads": [chunk.get("chunk_thread") for chunk in obs.chunks],
        "loop_thread": obs.chunks[0].get("loop_thread") if obs.chunks else None,
        "produced_gaps": _gaps(produced),
        WAITED: round(sum(_gaps(produced)), 3),  # the stream's deliberate pauses, for the benchmark
        "arrival_gaps": _gaps(obs.arrivals),
        "arrived_after_made": [round(arrived - made, 3) for arrived, made in zip(obs.arrivals, produced)],
    }
    if obs.status != 200 or len(obs.chunks) != obs.expected_chunks or len(obs.arrivals) != len(obs.chunks):
        cause = obs.server_exception or "no exception in the server log"
        reason = f"HTTP {obs.status} with {len(obs.chunks)} chunks: {cause}"
        return failure(reason, [obs.server_exception], facts, measurements)
    on_loop = all(chunk.get("chunk_thread") == chunk.get("loop_thread") for chunk in obs.chunks)
    how = delivery(produced, obs.arrivals)
    facts.update(on_loop_thread=on_loop, delivery=how)
    warned = obs.warning or "no warning logged"
    loop = loop_state(obs.stall_ms, obs.noise_ms, threshold)
    if loop in UNTOLD:
        return Verdict(State.UNDECIDED, UNTOLD[loop], facts, measurements, retry=loop == NOISY)
    if loop == STALLED and not on_loop:
        reason = f"the loop stalled longer than {threshold:g} ms while the chunks were made on a worker thread"
        return Verdict(State.UNDECIDED, f"{reason}: not this stream's doing", facts, measurements, retry=True)
    if loop == STALLED:
        return Verdict(
            State.BLOCKING,
            f"the chunks were made on the loop thread and the event loop stalled longer than {threshold:g} ms; {how}",
            facts,
            measurements,
        )
    if on_loop:
        return Verdict(
            State.UNDECIDED, "the chunks were made on the loop thread, yet the loop never stalled", facts, measurements
        )
    if how == BUFFERED:
        whole = "every chunk reached the client only after the last was made, on a worker thread; the loop stayed free"
        if obs.warning:
            reason = f"buffered by design, as Django warned ({obs.warning}): {whole}"
            return Verdict(State.BUFFERED, reason, facts, measurements)
        return Verdict(State.BUFFERED, f"buffered: {whole} (no warning logged)", facts, measurements)
    if how == MIXED:
        mixed = "some chunks reached the client as they were made, others later"
        return Verdict(State.UNDECIDED, mixed, facts, measurements, retry=True)
    return Verdict(
        State.THREADED,
        f"streamed: each chunk reached the client as it was made, on a worker thread; the loop stayed free ({warned})",
        facts,
        measurements,
    )


def _gaps(times: list[float]) -> list[float]:
    return [round(later - earlier, 3) for earlier, later in zip(times, times[1:])]
