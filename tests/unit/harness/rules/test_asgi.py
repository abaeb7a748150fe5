"""The ASGI entry point and lifespan rules reach every state they can return, from observations built inline."""

from __future__ import annotations

from harness.rules import asgi as rules
from harness.rules.response import HttpObservation
from harness.states import State
from tests.unit.harness.rules.observations import NO_ASGI, failed, ok


def test_served():
    assert rules.served(ok()).state is State.NATIVE
    assert rules.served(failed()).state is State.BROKEN
    assert rules.served(HttpObservation(NO_ASGI, 500)).state is State.ABSENT
    refused = rules.served(HttpObservation(None, None, client_error="ConnectError: refused"))
    assert refused.state is State.BROKEN
    assert refused.facts["client_error"] == "ConnectError: refused"


def test_lifespan_under_uvicorn_quotes_the_app_error():
    log = "INFO:     Waiting for application startup.\nINFO:     ASGI 'lifespan' protocol appears unsupported.\n"
    verdict = rules.lifespan("uvicorn", log, None, "ValueError: not lifespan.")
    assert verdict.state is State.ABSENT
    assert "ValueError: not lifespan." in verdict.reason
    assert verdict.facts["log_lines"][1] == rules.UVICORN_LIFESPAN_UNSUPPORTED


def test_lifespan_log_lines_leave_out_the_traceback():
    log = (
        "INFO:     ASGI 'lifespan' protocol appears unsupported.\n"
        '  File "/somewhere/uvicorn/lifespan/on.py", line 86, in main\n'
        "INFO:     Application startup complete.\n"
    )
    lines = rules.lifespan("uvicorn", log, None, "ValueError: not lifespan.").facts["log_lines"]
    assert lines == [rules.UVICORN_LIFESPAN_UNSUPPORTED, "Application startup complete."]


def test_lifespan_native_when_startup_completed():
    log = "INFO:     Waiting for application startup.\nINFO:     Application startup complete.\n"
    assert rules.lifespan("uvicorn", log, None, None).state is State.NATIVE


def test_lifespan_under_a_server_without_it_depends_on_the_app():
    assert rules.lifespan("daphne", "Listening on TCP address", None, "ValueError: not lifespan.").state is State.ABSENT
    assert rules.lifespan("daphne", "Listening on TCP address", None, None).state is State.NOT_RUN
