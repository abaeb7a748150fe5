"""HTTP behaviour around async views: what happens when the client goes away (Django 5.0).

https://docs.djangoproject.com/en/stable/releases/5.0/#asynchronous-views
"""

from __future__ import annotations

import time
import uuid

import pytest

from contract.evidence import last_exception
from harness.observers.client import get
from harness.rules import http as rules

# The view sleeps VIEW_SLEEP seconds; the client gives up after CLIENT_TIMEOUT, well before.
VIEW_SLEEP, CLIENT_TIMEOUT = 1.0, 0.3
# How long after the view's sleep should have ended we still wait for it to say how it ended.
GRACE = 2.0
FINAL_STATES = ("cancelled", "finished")


@pytest.mark.probe("http.client-disconnect")
def test_client_disconnect(asgi_server, probe):
    entrypoint_error = asgi_server.ready.get("entrypoint_error")
    token = uuid.uuid4().hex
    mark = asgi_server.log_mark()
    first = get(asgi_server, f"/disconnect/?token={token}&seconds={VIEW_SLEEP}", timeout=CLIENT_TIMEOUT)
    early = first if first.status is not None else None
    # The view's state lives in the server process; ask it until the view says how it ended.
    deadline = time.monotonic() + VIEW_SLEEP + GRACE
    state = None
    while early is None and not entrypoint_error and time.monotonic() < deadline:
        state = (get(asgi_server, f"/disconnect/state/?token={token}").body or {}).get("state")
        if state in FINAL_STATES:
            break
        time.sleep(0.05)
    server_exception = last_exception(asgi_server.log_since(mark))
    probe.record(rules.client_disconnect(entrypoint_error, state, early, server_exception))
