"""The ASGI app the servers load: Django's own application, wrapped only to observe it and to route to it.

The wrapper stores the event loop's thread ident in the scope (views and consumers compare it with their own
thread) and answers the harness's readiness check itself, so a server can be waited for even when Django's entry
point is missing (2.2) or broken. It also lets one server process serve every probe: a request names the
middleware stack it wants in a header (settings.PROBE_MIDDLEWARE_STACKS, one Django handler each), and a
WebSocket under /ws/channels/ goes to Channels (project/channels_routing.py). Everything else is plain Django.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

READY_PATH = "/__harness__/ready"
CHANNELS_PREFIX = "/ws/channels/"

try:
    from django.core.asgi import get_asgi_application

    django_application = get_asgi_application()
    entrypoint_error: BaseException | None = None
except Exception as exc:  # ImportError on 2.2; anything else is recorded as broken
    django_application = None
    entrypoint_error = exc

from django.conf import settings  # noqa: E402 (the settings module is chosen above)

from project import channels_routing  # noqa: E402 (Channels needs Django set up first)


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


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == READY_PATH:
        await send_ready(send)
        return
    if django_application is None:
        raise entrypoint_error
    scope = {**scope, "probe.loop_thread": threading.get_ident()}
    if scope["type"] == "websocket" and scope["path"].startswith(CHANNELS_PREFIX) and channels_routing.application:
        await channels_routing.application(scope, receive, send)
        return
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
    body = json.dumps(
        {
            "entrypoint_error": _text(entrypoint_error),
            "loop_thread": threading.get_ident(),
            "channels_error": _text(channels_routing.error),
            "channels_version": channels_routing.version(),
        }
    ).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _text(exc: BaseException | None) -> str | None:
    return None if exc is None else f"{type(exc).__name__}: {exc}"
