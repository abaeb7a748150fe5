"""The ASGI app the servers load: Django's own application, wrapped only to observe it.

The wrapper stores the event loop's thread ident in the scope (views compare it with their
own thread) and answers the harness's readiness check itself, so a server can be waited for
even when Django's entry point is missing (2.2) or broken.
"""

from __future__ import annotations

import json
import os
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

READY_PATH = "/__harness__/ready"

try:
    from django.core.asgi import get_asgi_application

    django_application = get_asgi_application()
    entrypoint_error: BaseException | None = None
except Exception as exc:  # ImportError on 2.2; anything else is recorded as broken
    django_application = None
    entrypoint_error = exc


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == READY_PATH:
        await send_ready(send)
        return
    if django_application is None:
        raise entrypoint_error
    scope = dict(scope)
    scope["probe.loop_thread"] = threading.get_ident()
    await django_application(scope, receive, send)


async def send_ready(send, **extra: object) -> None:
    """Answer the readiness check; `extra` adds what a wrapping app (project/asgi_channels.py) knows."""
    error = None if entrypoint_error is None else f"{type(entrypoint_error).__name__}: {entrypoint_error}"
    body = json.dumps({"entrypoint_error": error, "loop_thread": threading.get_ident(), **extra}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
