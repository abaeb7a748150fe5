"""The probes' HTTP client against a real HTTP server on 127.0.0.1 (tests/unit/harness/http_app.py): what the client
and the server's log saw of one request, and the loop-stall meter read around a block of requests."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from harness.observers.client import STALL_PATH, LoopStall, get, loop_noise, loop_stall, stall_mark, stall_since
from tests.unit.harness.http_app import FAILURE, LOOP_THREAD, FakeServer, quick_clients, serving


@pytest.fixture(autouse=True)
def quick(monkeypatch, tmp_path):
    quick_clients(monkeypatch, tmp_path)


def test_a_json_answer_gives_status_body_and_lower_case_headers():
    with serving() as server:
        seen = get(server, "/view/?seconds=0")
    assert seen.status == 200
    assert seen.body is not None and seen.body["loop_thread"] == LOOP_THREAD
    assert seen.threads() == (LOOP_THREAD, seen.body["view_thread"])
    assert seen.headers["x-served-by"] == "http_app"
    assert seen.headers["content-type"] == "application/json"
    assert (seen.server_exception, seen.client_error, seen.entrypoint_error) == (None, None, None)


def test_the_request_carries_the_servers_headers_and_the_method_asked_for():
    with serving(headers={"x-harness-middleware": "sync,async"}) as server:
        posted = get(server, "/text/", method="POST")
        get(server, "/text/")
    (post_method, _, _, post_headers), (get_method, *_) = server.requests
    assert (post_method, get_method) == ("POST", "GET")
    assert post_headers["x-harness-middleware"] == "sync,async"
    assert (posted.status, posted.body) == (200, None)  # a body that is not JSON is not read


def test_a_failure_carries_the_exception_the_server_logged_for_it():
    with serving() as server:
        server.log_lines.append("KeyError: an older failure")  # before the request: not its exception
        failed = get(server, "/fail/")
        after = get(server, "/text/")
    assert (failed.status, failed.body, failed.server_exception) == (500, None, FAILURE)
    assert after.server_exception is None  # the failure before this request's mark is not its


def test_the_entry_points_error_comes_from_the_servers_readiness_answer():
    with serving(ready={"entrypoint_error": "ImportError: cannot import name 'get_asgi_application'"}) as server:
        seen = get(server, "/text/")
    assert seen.entrypoint_error == "ImportError: cannot import name 'get_asgi_application'"


def test_a_refused_connection_is_a_client_error_not_a_raise():
    with socket.socket() as bound:  # bound but not listening: the kernel refuses connections to its port
        bound.bind(("127.0.0.1", 0))
        seen = get(FakeServer(port=bound.getsockname()[1]), "/view/")
    assert (seen.status, seen.body, seen.headers) == (None, None, {})
    assert seen.client_error is not None and seen.client_error.startswith("ConnectError: ")


def test_a_timeout_is_a_client_error():
    with serving() as server:
        seen = get(server, "/view/?seconds=0.1", timeout=0.02)
    assert seen.status is None
    assert seen.client_error is not None and seen.client_error.startswith("ReadTimeout: ")


def test_stall_since_asks_for_the_stall_since_the_exact_mark():
    with serving() as server:
        first, second = stall_mark(server), stall_mark(server)
        mark = 0.1 + 0.2  # 0.30000000000000004: a float that a rounded text would not give back
        stall = stall_since(server, mark)
    assert (first, second) == (1.125, 2.125)
    assert stall == mark * 1000.0
    assert server.requests[-1][2] == {"since": repr(mark)}


def test_loop_noise_reads_the_stall_over_an_idle_window_since_a_fresh_mark():
    with serving() as server:
        started = time.monotonic()
        noise = loop_noise(server, idle=0.05)
        idled = time.monotonic() - started
    assert noise == 1125.0  # the stall since the one mark it took
    assert idled >= 0.05
    assert [query for _, _, query, _ in server.requests] == [{}, {"since": "1.125"}]


def test_loop_stall_measures_noise_first_then_the_block_since_its_own_mark():
    with serving() as server:
        with loop_stall(server, idle=0.01) as reading:
            assert reading == LoopStall(noise_ms=1125.0)  # the block's stall is not known yet
            get(server, "/text/")
        assert reading == LoopStall(noise_ms=1125.0, stall_ms=2125.0)
    assert server.paths() == [STALL_PATH, STALL_PATH, STALL_PATH, "/text/", STALL_PATH]
    assert server.requests[-1][2] == {"since": "2.125"}  # the mark taken after the noise, before the block


def test_a_server_without_the_meter_raises_rather_than_reading_a_stall():
    with serving(meter=False) as server, pytest.raises(httpx.HTTPStatusError, match="404"):
        stall_mark(server)
