"""daphne under the harness answers an application that raised at once, where its own checker waits up to 1 s."""

from __future__ import annotations

import httpx

from harness.processes.servers import run_server

APP = "tests.unit.harness.asgi_app:app"


def test_a_raising_application_gets_its_500_and_its_logged_exception_without_the_checker_wait(tmp_path):
    with run_server("daphne", tmp_path, app=APP) as server:
        mark = server.log_mark()
        # daphne's own checker runs once a second: one request right after another would each wait for its next pass,
        # well past this timeout. Reaped as soon as it fails, each gets its 500 at once.
        for _ in range(3):
            assert httpx.get(server.url("/raise/"), timeout=0.5).status_code == 500
        log = server.log_since(mark, settle=0.2)
    assert log.count("Exception inside application: the app raised on purpose") == 3
