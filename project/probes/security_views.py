"""Views for the security probes (tests/probes/test_security.py): each answers with what Django made of a request.

Each lowers the limit it is probed for, for the length of its own request only (override_settings; the probes send
one request at a time), so the probes' bodies stay a few hundred KB. Sync views: the request handling under test
is Django's ASGIRequest, which every ASGI release (3.0+) builds on the loop whatever the view; a sync view runs on
3.0 too, and reports the worker thread it ran on.
https://docs.djangoproject.com/en/stable/releases/security/
"""

from __future__ import annotations

import functools
import io
import math
import time
import timeit

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.test.utils import override_settings

from project.probes.views import _where

# The limit (bytes) each probe's request exceeds: DATA_UPLOAD_MAX_MEMORY_SIZE or FILE_UPLOAD_MAX_MEMORY_SIZE.
LIMIT = 64 * 1024
# The header the repeated-headers probe repeats, and the value each copy carries.
REPEATED = b"x-repeated"
REPEATED_VALUE = b"v" * 16
# How many samples of each size are timed (the fastest counts), and how long each sample at least lasts.
SAMPLES, SAMPLE_SECONDS = 5, 0.025


def headers_view(request):
    """The x- headers as the server handed them to Django (the ASGI scope) and as request.META holds them, and
    (`django_alone`) whether this release's ASGIRequest keeps an underscore-named header when handed one directly."""
    from django.core.handlers.asgi import ASGIRequest  # Django 3.0+; 2.2 has no ASGI and never routes here

    scope_names = [name.decode("latin-1") for name, _ in request.scope["headers"]]
    meta = {key: value for key, value in request.META.items() if key.startswith("HTTP_X_")}
    alone = ASGIRequest({**request.scope, "headers": [(b"x_auth_user", b"spoof")]}, io.BytesIO())
    return JsonResponse(
        {
            **_where(request),
            "scope": [name for name in scope_names if name[:2] in ("x-", "x_")],
            "meta": meta,
            "django_alone": "HTTP_X_AUTH_USER" in alone.META,
        }
    )


def repeated_view(request):
    """How many copies of the repeated header reached Django, and how long the value META combined them into is."""
    copies = sum(1 for name, _ in request.scope["headers"] if name == REPEATED)
    combined = request.META.get("HTTP_X_REPEATED", "")
    return JsonResponse({**_where(request), "delivered": copies, "combined_length": len(combined)})


def repeated_scaling_view(request):
    """Milliseconds this release's ASGIRequest takes to build a request carrying n, then 4n copies of one header.

    `?n=` sets n. Django's own class, called as its handler calls it, in the server's process: quadratic growth
    (x16) is the flaw, linear growth (x4) the fix. The clock is the worker thread's CPU time, which other processes'
    load on the machine does not inflate (wall time did, fivefold, at a load average of 10 on 2 cores); timeit
    switches the garbage collector off while it times; each sample repeats a build until it lasts SAMPLE_SECONDS;
    the sizes take turns, and each size's fastest sample counts.
    """
    from django.core.handlers.asgi import ASGIRequest  # Django 3.0+; 2.2 has no ASGI and never routes here

    n = int(request.GET["n"])
    timers, builds = {}, {}
    for copies in (n, 4 * n):
        scope = {**request.scope, "headers": [(REPEATED, REPEATED_VALUE)] * copies}
        timers[copies] = timeit.Timer(functools.partial(ASGIRequest, scope, io.BytesIO()), timer=time.thread_time)
        first = timers[copies].timeit(number=1)  # also warms up: the first build in a process is the slowest
        builds[copies] = max(1, math.ceil(SAMPLE_SECONDS / max(first, 1e-6)))
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(SAMPLES):
        for copies, timer in timers.items():
            best[copies] = min(best[copies], timer.timeit(number=builds[copies]) / builds[copies])
    return JsonResponse({**_where(request), "n": n, "ms": {str(c): round(s * 1000, 3) for c, s in best.items()}})


def _received(request) -> int | None:
    """How many body bytes the server handed Django (the size of ASGIRequest's body file), before anything reads it;
    None when the file cannot tell."""
    stream = request._stream
    try:
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        return None
    return int(size)


def body_view(request):
    """Read request.body under DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT: refused (RequestDataTooBig), or read whole."""
    answer = {**_where(request), "content_length": request.META.get("CONTENT_LENGTH"), "limit": LIMIT}
    answer["received"] = _received(request)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT):
        try:
            answer.update(outcome="read", bytes=len(request.body))
        except RequestDataTooBig as exc:
            answer.update(outcome="refused", exception=f"RequestDataTooBig: {exc}")
    return JsonResponse(answer)


def upload_view(request):
    """Parse a multipart upload under FILE_UPLOAD_MAX_MEMORY_SIZE = LIMIT: which class holds the file, and its size."""
    answer = {**_where(request), "content_length": request.META.get("CONTENT_LENGTH"), "limit": LIMIT}
    answer["received"] = _received(request)
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=LIMIT):
        upload = request.FILES.get("file")
    answer.update(file_class=type(upload).__name__ if upload else None, size=upload.size if upload else None)
    return JsonResponse(answer)
