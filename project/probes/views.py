"""Probe views: each answers with where it ran (thread idents), which the probes compare."""

from __future__ import annotations

import threading

from django.http import JsonResponse


def _where(request) -> dict[str, object]:
    """The loop thread (stored in the scope by project.asgi) and the thread running this view."""
    scope = getattr(request, "scope", {})
    return {"loop_thread": scope.get("probe.loop_thread"), "view_thread": threading.get_ident()}


def sync_view(request):
    return JsonResponse(_where(request))


async def async_view(request):
    return JsonResponse(_where(request))
