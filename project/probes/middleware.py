"""Middleware that traces which thread each layer of a request ran on, and each hop between threads.

The tracers are async-only (`async_capable = True`, `sync_capable = False`) or sync-only, so Django
must adapt around them exactly as it would around a project's own middleware. The outermost tracer
of a request starts the trace; every tracer adds a step on the way in and out and writes the whole
trace, as JSON `[[step, thread ident], ...]`, to the TRACE_HEADER response header (the outermost
writes last, so the header holds every step). When Django builds the first tracer, asgiref's two
adapters are wrapped too, so each hop Django makes (sync_to_async, async_to_sync) is a step, named
after what it ran: the hops inside MiddlewareMixin, which no tracer can see, become evidence. Only
a server whose MIDDLEWARE has a tracer is touched; importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from asgiref.sync import AsyncToSync, SyncToAsync
from django.utils.deprecation import MiddlewareMixin

TRACE_HEADER = "X-Probe-Trace"
# One list per request, shared by reference: asgiref copies the context into worker threads,
# so a step appended there lands in the same list.
_TRACE: ContextVar[list[list[Any]] | None] = ContextVar("probe_trace", default=None)


def _step(name: str) -> None:
    trace = _TRACE.get()
    if trace is not None:
        trace.append([name, threading.get_ident()])


@contextlib.contextmanager
def _traced(layer: str) -> Iterator[list[list[Any]]]:
    """Start the request's trace if this layer is the outermost, and add this layer's inbound step."""
    trace = _TRACE.get()
    token = None
    if trace is None:
        trace = []
        token = _TRACE.set(trace)
    _step(f"{layer}:request")
    try:
        yield trace
    finally:
        if token is not None:
            _TRACE.reset(token)


def _finish(layer: str, trace: list[list[Any]], response: Any) -> Any:
    trace.append([f"{layer}:response", threading.get_ident()])
    response[TRACE_HEADER] = json.dumps(trace)
    return response


def async_tracer(layer: str):
    """An async-only middleware factory whose steps are named `layer`."""

    def factory(get_response):
        _trace_hops()

        async def middleware(request):
            with _traced(layer) as trace:
                response = await get_response(request)
            return _finish(layer, trace, response)

        return middleware

    factory.async_capable = True  # type: ignore[attr-defined]
    factory.sync_capable = False  # type: ignore[attr-defined]
    return factory


def sync_tracer(layer: str):
    """A sync-only middleware factory (Django's default capabilities) whose steps are named `layer`."""

    def factory(get_response):
        _trace_hops()

        def middleware(request):
            with _traced(layer) as trace:
                response = get_response(request)
            return _finish(layer, trace, response)

        return middleware

    return factory


def mixin_tracer(layer: str) -> type:
    """A middleware class built like Django's own (MiddlewareMixin hooks), whose steps are named `layer`.

    Django runs these hooks exactly where it runs those of SecurityMiddleware, SessionMiddleware and the rest, so
    their threads are the threads of Django's own request path. The trace lives on the request (the hooks may run
    on different threads); the outermost layer's process_response, which runs last, writes it.
    """

    class Tracer(MiddlewareMixin):
        def process_request(self, request: Any) -> None:
            if not hasattr(request, "probe_trace"):
                request.probe_trace = []
            request.probe_trace.append([f"{layer}:request", threading.get_ident()])

        def process_response(self, request: Any, response: Any) -> Any:
            return _finish(layer, request.probe_trace, response)

    Tracer.__name__ = Tracer.__qualname__ = f"MixinTracer[{layer}]"
    return Tracer


outer_async = async_tracer("outer-async")
inner_async = async_tracer("inner-async")
sync_only = sync_tracer("sync-only")
outer_mixin = mixin_tracer("outer-mixin")
inner_mixin = mixin_tracer("inner-mixin")


def _name(function: Any) -> str:
    return getattr(function, "__qualname__", type(function).__qualname__)


def _trace_hops() -> None:
    """Make every asgiref adapter call a trace step (once); the adapters behave exactly as before."""
    to_thread, to_loop = SyncToAsync.__call__, AsyncToSync.__call__
    if getattr(to_thread, "traces_hops", False):
        return

    @functools.wraps(to_thread)  # type: ignore[arg-type]
    async def traced_to_thread(self, *args, **kwargs):
        _step(f"sync_to_async({_name(self.func)})")
        return await to_thread(self, *args, **kwargs)

    @functools.wraps(to_loop)  # type: ignore[arg-type]
    def traced_to_loop(self, *args, **kwargs):
        _step(f"async_to_sync({_name(self.awaitable)})")
        return to_loop(self, *args, **kwargs)

    traced_to_thread.traces_hops = True  # type: ignore[attr-defined]
    SyncToAsync.__call__ = traced_to_thread  # type: ignore[method-assign]
    AsyncToSync.__call__ = traced_to_loop  # type: ignore[method-assign]
