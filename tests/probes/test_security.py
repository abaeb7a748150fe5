"""The security fixes in Django's ASGI request handling (4.2.28-6.0.5), each observed through every server the probes run under.

A series that was end of life before a fix never received it; a server that refuses or drops the request protects
whatever the release. Each probe sends its CVE's request, and a control that every release handles the same way,
to the views in project/probes/security_views.py (which lower the limit under test for their own request).
https://docs.djangoproject.com/en/stable/releases/6.0.2/ (CVE-2025-14550)
https://docs.djangoproject.com/en/stable/releases/6.0.4/ (CVE-2026-3902, CVE-2026-33034)
https://docs.djangoproject.com/en/stable/releases/6.0.5/ (CVE-2026-5766)
"""

from __future__ import annotations

import pytest

from harness.observers.client import get
from harness.observers.rawhttp import chunked, send
from harness.rules import security as rules

# Django's cost of combining repeated headers is timed at N and 4N copies; 4N copies (about 0.5 MB of headers) then
# go through the server. Measured here, 4N copies take 5.2.0 150-230 ms and 5.2.19 10 ms (harness/rules/security.py).
N = 4000
# The bodies exceed the views' lowered limit (project/probes/security_views.py, 64 KiB) four times over.
BODY = b"a" * (4 * 64 * 1024)
BOUNDARY = "probe-boundary"
UPLOAD = (
    (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="probe.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    + BODY
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)
MULTIPART = ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
CHUNKED = ("Transfer-Encoding", "chunked")
# The Content-Length the understated upload declares beside its chunked body (as in Django's own test of the fix).
UNDERSTATED = 9


@pytest.mark.probe("security.repeated-headers")
def test_repeated_headers(asgi_server, probe):
    scaling = get(asgi_server, f"/security/repeated/scaling/?n={N}", timeout=60)
    through = send(asgi_server, "/security/repeated/", headers=[("X-Repeated", "v" * 16)] * (4 * N), timeout=60)
    probe.record(rules.repeated_headers(asgi_server.name, scaling, through, 4 * N))


@pytest.mark.probe("security.underscore-headers")
def test_underscore_headers(asgi_server, probe):
    headers = [(rules.UNDERSCORE_HEADER, "spoof"), (rules.CONTROL_HEADER, "sent")]
    probe.record(rules.underscore_headers(asgi_server.name, send(asgi_server, "/security/headers/", headers=headers)))


@pytest.mark.probe("security.body-limit")
def test_body_limit(asgi_server, probe):
    control = send(asgi_server, "/security/body/", "POST", [("Content-Length", str(len(BODY)))], BODY)
    without_length = send(asgi_server, "/security/body/", "POST", [CHUNKED], chunked(BODY))
    probe.record(rules.body_limit(asgi_server.name, control, without_length))


@pytest.mark.probe("security.upload-limit")
def test_upload_limit(asgi_server, probe):
    # Without any Content-Length Django parses no multipart body at all (on every release), so the flaw shows only
    # under one that understates the body: a chunked body beside a small Content-Length, when the server passes both.
    control = send(asgi_server, "/security/upload/", "POST", [MULTIPART, ("Content-Length", str(len(UPLOAD)))], UPLOAD)
    understated = send(
        asgi_server,
        "/security/upload/",
        "POST",
        [MULTIPART, CHUNKED, ("Content-Length", str(UNDERSTATED))],
        chunked(UPLOAD),
    )
    probe.record(rules.upload_limit(asgi_server.name, control, understated, UNDERSTATED))
