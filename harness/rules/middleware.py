"""Verdict rules for traced middleware: which thread ran each layer of a request, how often Django hopped, and what one
sync-only layer costs when requests come at once.

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_middleware.py.
"""

from __future__ import annotations

from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, unserved
from harness.rules.timing import ConcurrencyObservation, sync_concurrency
from harness.rules.views import loop_thread

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


def not_used(obs: HttpObservation) -> Verdict:
    """An async view behind one sync-only middleware that raised MiddlewareNotUsed at start-up, which Django must
    skip (ticket #32299, fixed in 3.1.5: the skipped layer left the chain adapted to sync, and the request crashed).

    absent or broken when the request was not served (response.unserved: absent where async views are not offered);
    else native or threaded by the thread the view ran on (views.loop_thread).
    """
    where = loop_thread(obs)
    if where.state in (State.NATIVE, State.THREADED):
        return Verdict(
            where.state, f"the chain skipped the unused middleware; {where.reason}", where.facts, where.measurements
        )
    return where


def mixin_threads(
    baseline: HttpObservation, hooks: HttpObservation, trace: list[list[Any]] | None, builtin: HttpObservation
) -> Verdict:
    """MiddlewareMixin in an async chain (tickets #31905 and #31928, fixed in 3.1.1).

    `hooks`: a sync view behind two MiddlewareMixin tracers, whose process_request and process_response must run on
    the view's own thread (thread-sensitive; with asgiref before 3.3 they ran on other threads of the pool).
    `builtin`: an async view behind SecurityMiddleware and FetchFromCacheMiddleware, each of which must see that the
    layer below it is async (they did not, so SecurityMiddleware called the cache layer as a sync one, got a
    coroutine for a response and crashed). `baseline`: the async view without middleware.
    absent or broken when `baseline` is not served (response.unserved: absent where async views are not offered);
    broken when `builtin` or `hooks` is not served, or a hook ran on another thread than the view; undecided when
    the response did not say which threads ran it; threaded when every hook ran on the view's worker thread, native
    when that thread is the loop's.
    """
    loop, view = hooks.threads()
    elsewhere = [step for step, thread in trace or [] if thread != view and not step.startswith(HOP_PREFIXES)]
    # Both conditions are evidence whichever decides: the hooks' threads are known even when `builtin` crashed.
    facts: dict[str, Any] = {
        "builtin_status": builtin.status,
        "builtin_server_exception": builtin.server_exception,
        "hooks_status": hooks.status,
        "hooks_off_view_thread": elsewhere if trace is not None and view is not None else None,
    }
    measurements = {"loop_thread": loop, "view_thread": view, "trace": trace}
    refused = unserved(baseline, facts) or unserved(builtin, facts) or unserved(hooks, facts)
    if refused:
        return Verdict(refused.state, refused.reason, refused.facts, measurements)
    if trace is None or view is None:
        return Verdict(
            State.UNDECIDED, "the response carried no trace, or did not name the view's thread", facts, measurements
        )
    if elsewhere:
        return Verdict(
            State.BROKEN,
            f"{len(elsewhere)} MiddlewareMixin hooks ran on another thread than the sync view: {', '.join(elsewhere)}",
            facts,
            measurements,
        )
    state, where = (State.NATIVE, "the loop thread") if view == loop else (State.THREADED, "its worker thread")
    return Verdict(
        state,
        f"SecurityMiddleware over FetchFromCacheMiddleware served an async view, and every MiddlewareMixin hook ran"
        f" with the sync view on {where}",
        facts,
        measurements,
    )
