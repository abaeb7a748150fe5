"""Verdict rules for traced middleware: which thread ran each layer of a request, how often Django hopped, and what one
sync-only layer costs when requests come at once.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_middleware.py.
"""

from __future__ import annotations

from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, unserved
from harness.rules.timing import ConcurrencyObservation, sync_concurrency

# Trace steps that project/probes/middleware.py writes for each thread hop Django makes.
HOP_PREFIXES = ("sync_to_async(", "async_to_sync(")


def middleware_trace(obs: HttpObservation, trace: list[list[Any]] | None, sync_layers: tuple[str, ...] = ()) -> Verdict:
    """Where a request through traced middleware ran (project/probes/middleware.py writes the trace).

    native: every step and the view ran on the loop thread and Django made no hop.
    threaded: Django hopped (sync_to_async / async_to_sync) or a step ran off the loop thread; the
    facts count the hops and say whether the view itself still ran on the loop.
    undecided: a sync-only layer (named in `sync_layers`) ran on the loop thread: Django did not adapt it, but this
    probe measures no loop stall, so it does not call that blocking (middleware.sync-concurrency measures it).
    absent or broken: the request was not served (response.unserved: absent when the handler does not know async
    views).
    """
    facts: dict[str, Any] = {"status": obs.status, "server_exception": obs.server_exception}
    refused = unserved(obs, facts)
    if refused:
        return refused
    loop, view = obs.threads()
    measurements = {"loop_thread": loop, "view_thread": view, "trace": trace}
    if trace is None or loop is None:
        return Verdict(
            State.UNDECIDED,
            "the response carried no trace, or did not say which thread ran the loop",
            facts,
            measurements,
        )
    hops = [step for step, _ in trace if step.startswith(HOP_PREFIXES)]
    off_loop = [step for step, thread in trace if thread != loop and not step.startswith(HOP_PREFIXES)]
    sync_on_loop = [step for step, thread in trace if thread == loop and step.split(":")[0] in sync_layers]
    facts.update(hops=len(hops), hop_steps=hops, off_loop_steps=off_loop, view_on_loop=view == loop)
    if sync_on_loop:
        return Verdict(
            State.UNDECIDED,
            "sync-only middleware ran on the loop thread, unadapted (no loop stall measured): "
            + ", ".join(sync_on_loop),
            facts,
            measurements,
        )
    if not hops and not off_loop and view == loop:
        return Verdict(
            State.NATIVE, "every middleware step and the view ran on the loop thread, with no hop", facts, measurements
        )
    where = "on the loop thread" if view == loop else "off the loop thread"
    return Verdict(
        State.THREADED,
        f"{len(hops)} thread hops, {len(off_loop)} steps off the loop thread; the view ran {where}",
        facts,
        measurements,
    )


def sync_layer_concurrency(obs: ConcurrencyObservation) -> Verdict:
    """Concurrent requests to an async view that awaits a sleep, behind ONE sync-only middleware.

    The observation's work threads are the sync layer's. threaded: they overlapped, the layer running in a worker
    thread per request. serialized: they ran one at a time in a worker thread, the loop free (every request's sync
    layer waits for the one thread it shares, although the view behind it is async). blocking: the loop stalled
    past the threshold. broken, absent, undecided: as for timing.sync_concurrency, whose decision this is: sync
    work under ASGI, whether a view or a middleware does it.
    """
    return sync_concurrency(obs)
