"""Probe views: each answers with where it ran (thread idents), which the probes compare."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.views import View
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import etag, require_GET, require_safe
from django.views.decorators.vary import vary_on_cookie, vary_on_headers

# What the disconnect view went through, by the token its caller chose. It lives in the server
# process, so a second request (`disconnect_state`) is how a probe reads it.
DISCONNECT_STATES: dict[str, str] = {}


def _where(request) -> dict[str, object]:
    """The loop thread (stored in the scope by project.asgi) and the thread running this view."""
    scope = getattr(request, "scope", {})
    return {"loop_thread": scope.get("probe.loop_thread"), "view_thread": threading.get_ident()}


def _seconds(request) -> float:
    return float(request.GET.get("seconds", "0"))


def sync_view(request):
    return JsonResponse(_where(request))


async def async_view(request):
    return JsonResponse(_where(request))


async def async_sleep_view(request):
    """Sleeps ?seconds= on the loop; answers where it ran and when its sleep began and ended (`slept`, on
    time.monotonic, the clock every process shares), which says whether requests overlapped however busy the CPU."""
    began = time.monotonic()
    await asyncio.sleep(_seconds(request))
    return JsonResponse({**_where(request), "slept": [began, time.monotonic()]})


def sync_sleep_view(request):
    """As async_sleep_view, with time.sleep."""
    began = time.monotonic()
    time.sleep(_seconds(request))
    return JsonResponse({**_where(request), "slept": [began, time.monotonic()]})


class AsyncClassView(View):
    async def get(self, request):
        return JsonResponse(_where(request))


def _protocol(request) -> JsonResponse:
    """Where it ran, and the HTTP version the server put in the ASGI scope ("2" over HTTP/2)."""
    return JsonResponse({**_where(request), "http_version": getattr(request, "scope", {}).get("http_version")})


def sync_protocol_view(request):
    return _protocol(request)


async def async_protocol_view(request):
    return _protocol(request)


async def async_stream_view(request):
    """Three JSON lines, produced by an async generator with a pause between them."""
    loop_thread = _where(request)["loop_thread"]

    async def lines():
        for index in range(3):
            if index:
                await asyncio.sleep(0.05)
            yield _line(loop_thread)

    return StreamingHttpResponse(lines(), content_type="application/x-ndjson")


def _line(loop_thread: object) -> str:
    """One JSON line naming the thread that made it and when (monotonic, the same clock the probe reads)."""
    produced = {"loop_thread": loop_thread, "chunk_thread": threading.get_ident(), "produced_at": time.monotonic()}
    return json.dumps(produced) + "\n"


def sync_stream_view(request):
    """Three JSON lines from a sync generator, which pauses `seconds` (a blocking sleep) before the 2nd and 3rd."""
    loop_thread, pause = _where(request)["loop_thread"], _seconds(request)

    def lines():
        for index in range(3):
            if index:
                time.sleep(pause)
            yield _line(loop_thread)

    return StreamingHttpResponse(lines(), content_type="application/x-ndjson")


class SlowFile:
    """A file FileResponse reads block by block: three JSON lines, a blocking pause before the 2nd and 3rd, then EOF.

    Only `read` and `close`: no name, seek or tell, so every release's FileResponse streams it as it reads it.
    """

    def __init__(self, loop_thread: object, pause: float) -> None:
        self.loop_thread, self.pause, self.blocks = loop_thread, pause, 0

    def read(self, size: int = -1) -> bytes:
        if self.blocks == 3:
            return b""
        if self.blocks:
            time.sleep(self.pause)
        self.blocks += 1
        return _line(self.loop_thread).encode()

    def close(self) -> None:
        pass


def file_response_view(request):
    """A FileResponse over SlowFile."""
    return FileResponse(
        SlowFile(_where(request)["loop_thread"], _seconds(request)), content_type="application/x-ndjson"
    )


async def disconnect_view(request):
    """Sleep; record whether the sleep finished or was cancelled under the caller's token."""
    token = request.GET["token"]
    DISCONNECT_STATES[token] = "started"
    try:
        await asyncio.sleep(_seconds(request))
    except asyncio.CancelledError:
        DISCONNECT_STATES[token] = "cancelled"
        raise
    DISCONNECT_STATES[token] = "finished"
    return JsonResponse(_where(request))


def disconnect_state(request):
    return JsonResponse({"state": DISCONNECT_STATES.get(request.GET["token"])})


# One async view per decorator, each wrapped the way a project would write it. The probe
# (tests/probes/test_views.py) knows what each should do to the response.
DECORATED_VIEWS = {
    "csrf_exempt": csrf_exempt(async_view),
    "never_cache": never_cache(async_view),
    "cache_control": cache_control(max_age=60)(async_view),
    "require_GET": require_GET(async_view),
    "require_safe": require_safe(async_view),
    "vary_on_headers": vary_on_headers("Accept-Language")(async_view),
    "vary_on_cookie": vary_on_cookie(async_view),
    "etag": etag(lambda request: "probe")(async_view),
    "xframe_options_sameorigin": xframe_options_sameorigin(async_view),
    "sensitive_variables": sensitive_variables("secret")(async_view),
    "login_required": login_required(async_view),
    "user_passes_test": user_passes_test(lambda user: True)(async_view),
}
