"""Server-side pieces of the patch-fix probes (tests/probes/test_patchfixes.py): each provokes an async bug one of
Django's patch releases fixed, in the server process where it lives.

- a count of request_finished signals (and the threads their receiver ran on), and of the requests `slow_view`
  started, read through `finished_view`;
- a sync-only middleware that raises MiddlewareNotUsed (settings.PROBE_MIDDLEWARE_STACKS["not-used"]);
- the middleware stacks of middleware.mixin-threads name Django's own SecurityMiddleware and the MiddlewareMixin
  tracers of project/probes/middleware.py, nothing from here.

Importing this module (project/urls.py does) connects the receiver; nothing else changes.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import request_finished
from django.http import JsonResponse

# Every request_finished this process sent, as the thread its receiver ran on, and every request slow_view started
# (list.append is atomic).
FINISHED: list[int] = []
STARTED: list[int] = []


def _count_finished(sender: Any, **kwargs: Any) -> None:
    FINISHED.append(threading.get_ident())


request_finished.connect(_count_finished, weak=False, dispatch_uid="probe-count-request-finished")


def finished_view(request: Any) -> JsonResponse:
    """How many request_finished signals this process has sent so far, and the threads their receiver ran on since
    the `since`-th one (the whole count, when not given)."""
    scope = getattr(request, "scope", {})
    since = int(request.GET.get("since", "0"))
    return JsonResponse(
        {
            "started": len(STARTED),
            "finished": len(FINISHED),
            "threads": sorted(set(FINISHED[since:])),
            "loop_thread": scope.get("probe.loop_thread"),
        }
    )


async def slow_view(request: Any) -> JsonResponse:
    """Count the request as started, then sleep `seconds` (a client that gives up first leaves before the response)."""
    STARTED.append(threading.get_ident())
    await asyncio.sleep(float(request.GET.get("seconds", "0")))
    return JsonResponse({"slept": True})


class NotUsedMiddleware:
    """A sync-only middleware that opts out at start-up, as Django documents (raise MiddlewareNotUsed)."""

    def __init__(self, get_response: Any) -> None:
        raise MiddlewareNotUsed("probe: this middleware opts out")
