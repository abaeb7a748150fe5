"""The ASGI app the servers load: Django's own application, wrapped only to observe it and to route to it.

The wrapper stores the event loop's thread ident in the scope (views and consumers compare it with their own
thread) and answers the harness's readiness check itself, so a server can be waited for even when Django's entry
point is missing (2.2) or broken. A loop-stall meter (harness/observers/stall.py) beats on the server's own event loop from
the first request on; the harness reads the longest stall since a mark it took through STALL_PATH, so a probe can
tell a stalled loop (`blocking`) from requests queued on one worker thread (`serialized`). It also lets one server
process serve every probe: a request names the middleware stack it wants in a header
(settings.PROBE_MIDDLEWARE_STACKS, one Django handler each), and a WebSocket under /ws/channels/ goes to Channels
(project/channels_routing.py). Everything else is plain Django.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import warnings
from typing import Any
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

CHANNELS_PREFIX = "/ws/channels/"

# Django 4.2+ warns each time it must buffer a streaming response's iterator in the other mode; Python would print a
# warning only once per code location, so only the first streaming probe in a server would see it in the log.
warnings.filterwarnings("always", message="StreamingHttpResponse must consume")

try:
    from django.core.asgi import get_asgi_application

    django_application = get_asgi_application()
    entrypoint_error: BaseException | None = None
except Exception as exc:  # ImportError on 2.2; anything else is recorded as broken
    django_application = None
    entrypoint_error = exc
    import django

    # What get_asgi_application() does on 3.0+: Channels, which brings its own handler to 2.2, needs the app registry.
    django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402 (the settings module is chosen above)

from harness.observers.client import STALL_PATH  # noqa: E402
from harness.observers.stall import StallMeter  # noqa: E402
from harness.processes.servers import READY_PATH  # noqa: E402
from project import channels_routing  # noqa: E402 (Channels needs Django set up first)

# One meter per server process, started on the server's loop by the first request (daphne sends no lifespan).
stall_meter = StallMeter()
meter_running = threading.Event()


def _stack_handlers() -> dict[str, Any]:
    """One Django handler per middleware stack, each built as Django builds its own at start-up.

    A stack that fails to load keeps its exception: a request for it raises that, as Django would have.
    """
    if django_application is None:
        return {}
    from django.core.handlers.asgi import ASGIHandler
    from django.test.utils import override_settings

    handlers: dict[str, Any] = {}
    for name, middleware in settings.PROBE_MIDDLEWARE_STACKS.items():
        try:
            with override_settings(MIDDLEWARE=middleware):  # a handler reads MIDDLEWARE once, when it is made
                handlers[name] = ASGIHandler()
        except Exception as exc:
            handlers[name] = exc
    return handlers


stack_handlers = _stack_handlers()


def _observe_server() -> None:
    """Once, on the server's loop at its first request: start the stall meter and send warnings to stderr.

    By then the server has set up its logging: daphne's Twisted log takes over warnings.showwarning and never prints
    them, so a warning Django emits (the streaming probes quote one) would not reach the log the harness reads.
    """
    meter_running.set()
    stall_meter.start()
    warnings.showwarning = _show_on_stderr


def _show_on_stderr(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


async def application(scope, receive, send):
    if not meter_running.is_set():
        _observe_server()
    if scope["type"] == "http" and scope["path"] == READY_PATH:
        await send_ready(send)
        return
    if scope["type"] == "http" and scope["path"] == STALL_PATH:
        await send_json(send, stall_answer(scope))
        return
    scope = {**scope, "probe.loop_thread": threading.get_ident()}
    if scope["type"] == "websocket" and scope["path"].startswith(CHANNELS_PREFIX) and channels_routing.application:
        await channels_routing.application(scope, receive, send)
        return
    if django_application is None:
        raise entrypoint_error
    await _handler_for(scope)(scope, receive, send)


def _handler_for(scope: dict[str, Any]) -> Any:
    """Django's handler for the stack the request's header names, or the bare one (no middleware)."""
    header = settings.PROBE_STACK_HEADER.encode("latin-1")
    name = dict(scope.get("headers", [])).get(header)
    if name is None:
        return django_application
    handler = stack_handlers.get(name.decode("latin-1"))
    if handler is None:
        raise LookupError(
            f"no middleware stack {name!r} in settings.PROBE_MIDDLEWARE_STACKS ({sorted(stack_handlers)})"
        )
    if isinstance(handler, Exception):
        raise handler
    return handler


async def send_ready(send) -> None:
    """Answer the readiness check with what this process knows about its Django and Channels."""
    await send_json(
        send,
        {
            "entrypoint_error": _text(entrypoint_error),
            "loop_thread": threading.get_ident(),
            "channels_error": _text(channels_routing.error),
            "channels_version": channels_routing.version(),
        },
    )


def stall_answer(scope: dict[str, Any]) -> dict[str, float]:
    """STALL_PATH: {"mark": loop time now}, or with `?since=<mark>` {"stall_ms": the longest loop stall since it}."""
    since = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("since")
    if since is None:
        return {"mark": stall_meter.mark()}
    return {"stall_ms": stall_meter.since(float(since[0]))}


async def send_json(send, answer: dict[str, Any]) -> None:
    body = json.dumps(answer).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _text(exc: BaseException | None) -> str | None:
    return None if exc is None else f"{type(exc).__name__}: {exc}"
