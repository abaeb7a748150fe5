"""A urlconf of one async view for the test-client probes: the view answers with the thread it ran on."""

from __future__ import annotations

import threading

from django.http import HttpRequest, JsonResponse
from django.urls import path


async def thread_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"thread": threading.get_ident()})


urlpatterns = [path("thread/", thread_view)]
