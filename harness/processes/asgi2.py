"""The ASGI 2 face of an ASGI 3 application, for the servers of early 2019 that speak only ASGI 2.

daphne before 2.3 and hypercorn before 0.6 (Django 2.2.0's day) call `application(scope)` and
then the instance it returns with (receive, send). harness/processes/servers.py serves `harness.processes.asgi2:application` to them,
naming the real ASGI 3 application in the environment variable TARGET. Runs in the server process, on its loop.
https://asgi.readthedocs.io/en/latest/specs/main.html#legacy-applications
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Awaitable, Callable
from typing import Any

TARGET = "HARNESS_ASGI3_APPLICATION"


def application(scope: dict[str, Any]) -> Callable[[Any, Any], Awaitable[None]]:
    """The double callable: bind `scope` now, run the ASGI 3 application when the server passes receive and send.

    A lifespan scope is refused when bound, the ASGI 2 way: hypercorn before 0.6 then serves without lifespan, where
    an accepted one that fails later leaves it waiting 60 s for a startup that never completes. The servers that need
    this face are those of Django 2.2.0's day, which has no ASGI handler, let alone lifespan.
    """
    if scope.get("type") == "lifespan":
        raise ValueError("the application behind the ASGI 2 face does not speak lifespan")

    async def instance(receive: Any, send: Any) -> None:
        await _target()(scope, receive, send)

    return instance


@functools.lru_cache(maxsize=None)
def _target() -> Any:
    """The ASGI 3 application TARGET names, imported on the first request (the server imports this module)."""
    module, _, name = os.environ[TARGET].partition(":")
    return getattr(importlib.import_module(module), name)
