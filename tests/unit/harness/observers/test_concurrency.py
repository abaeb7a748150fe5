"""Bursts of simultaneous requests against a real threaded HTTP server on 127.0.0.1 (tests/unit/harness/http_app.py):
wall times, the threads the answers name, failures and the loop stall of each burst.

Only lower bounds of wall times are asserted (a burst cannot take less than its slowest request, nor requests that
take turns less than their sum): how much faster overlapping requests are depends on the machine.
"""

from __future__ import annotations

import pytest

from harness.observers import client, concurrency
from harness.observers.client import STALL_PATH
from harness.observers.concurrency import SAMPLES, measure_concurrency, most_at_once
from tests.unit.harness.http_app import FAILURE, LOOP_THREAD, quick_clients, serving

REQUESTS = 4
SLEEP = 0.02
HEADERS = {"x-harness-middleware": "async"}


def _quick(monkeypatch, directory):
    quick_clients(monkeypatch, directory)
    # The meter's noise over 10 ms of idle loop rather than the probes' 200 ms: the fake meter does not wait.
    monkeypatch.setattr(concurrency, "loop_noise", lambda server: client.loop_noise(server, idle=0.01))


@pytest.fixture(autouse=True)
def quick(monkeypatch, tmp_path):
    _quick(monkeypatch, tmp_path)


def view_and_middleware(response):
    """The threads a traced middleware stack reports: the view's and (in http_app) the middleware's."""
    answer = response.json()
    return [answer["view_thread"], answer["middleware_thread"]]


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """One measurement of overlapping requests whose meter answers the mark it is asked about (to trace it)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _quick(monkeypatch, tmp_path_factory.mktemp("tls"))
        with serving(headers=HEADERS, stall_ms=lambda since: since) as server:
            seen = measure_concurrency(server, "/view/", REQUESTS, SLEEP, work_threads=view_and_middleware)
    return seen, server


def test_every_burst_gives_a_wall_no_shorter_than_its_requests(traced):
    seen, _ = traced
    assert (seen.requests, seen.sleep, seen.failures, seen.entrypoint_error) == (REQUESTS, SLEEP, [], None)
    assert len(seen.walls) == SAMPLES
    assert all(wall >= SLEEP for wall in seen.walls)


def test_every_burst_of_threads_that_sleep_at_once_counts_every_sleep_in_progress_together(traced):
    seen, _ = traced
    assert len(seen.at_once) == SAMPLES
    assert all(count >= 2 for count in seen.at_once)  # one thread per request: at least two sleep at once


def test_every_answer_names_its_loop_thread_and_its_work_threads(traced):
    seen, _ = traced
    assert seen.loop_threads == [LOOP_THREAD] * SAMPLES * REQUESTS
    views, middleware = seen.view_threads[::2], seen.view_threads[1::2]
    assert len(views) == SAMPLES * REQUESTS
    assert middleware == [-thread for thread in views]  # each answer's threads, in the order work_threads gave
    assert len(set(views)) > 1  # one thread per request here, several alive at once


def test_a_warm_up_request_then_the_bursts_each_between_two_meter_readings(traced):
    _, server = traced
    paths = [(path, query) for _, path, query, _ in server.requests]
    assert paths[0] == ("/view/", {"seconds": "0"})  # the warm-up asks for no sleep
    views = [query for path, query in paths[1:] if path == "/view/"]
    assert views == [{"seconds": str(SLEEP)}] * SAMPLES * REQUESTS
    meter = [path for path, _ in paths if path == STALL_PATH]
    assert len(meter) == 2 + 2 * SAMPLES  # the noise's mark and reading, then each burst's


def test_each_bursts_stall_is_read_since_the_mark_taken_just_before_it(traced):
    seen, _ = traced
    assert seen.noise_ms == 1.125  # the stall since the first mark: the idle loop's
    assert seen.stalls_ms == [2.125, 3.125, 4.125]  # one fresh mark per burst, in order


def test_the_servers_headers_go_with_every_view_request(traced):
    _, server = traced
    views = [headers for _, path, _, headers in server.requests if path == "/view/"]
    assert len(views) == 1 + SAMPLES * REQUESTS
    assert all(headers["x-harness-middleware"] == "async" for headers in views)


def test_requests_that_take_turns_take_at_least_their_sum():
    with serving(serialize=True) as server:
        seen = measure_concurrency(server, "/view/", REQUESTS, SLEEP)
    assert all(wall >= REQUESTS * SLEEP for wall in seen.walls)
    assert seen.at_once == [1] * SAMPLES  # never two sleeps at once, however the machine is loaded
    # The default work threads are the views' alone (http_app's middleware threads are negative).
    assert len(seen.view_threads) == SAMPLES * REQUESTS
    assert all(thread > 0 for thread in seen.view_threads)


@pytest.mark.parametrize(
    ("slept", "most"),
    [
        ([], 0),
        ([(0.0, 1.0)], 1),
        ([(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)], 1),  # each begins as the one before ends: one at a time
        ([(0.0, 1.0), (0.999, 2.0)], 2),
        ([(0.0, 10.0), (1.0, 2.0), (3.0, 4.0), (3.5, 5.0)], 3),
        ([(2.0, 3.0), (0.0, 2.5), (1.0, 2.1)], 3),  # in any order
    ],
)
def test_most_at_once_counts_the_intervals_in_progress_together(slept, most):
    assert most_at_once(slept) == most


def test_a_failed_warm_up_is_the_observation_and_sends_no_burst():
    with serving() as server:
        seen = measure_concurrency(server, "/fail/", REQUESTS, SLEEP)
    assert seen.failures == [f"HTTP 500: {FAILURE}"]
    assert (seen.walls, seen.loop_threads, seen.view_threads, seen.stalls_ms) == ([], [], [], [])
    assert server.paths() == ["/fail/"]


def test_failed_requests_in_a_burst_are_listed_with_the_servers_exception():
    with serving(fail_every=3) as server:  # the warm-up is the first request: it answers
        seen = measure_concurrency(server, "/view/", REQUESTS, SLEEP)
    failed = (1 + SAMPLES * REQUESTS) // 3
    assert seen.failures == [f"HTTP 500: {FAILURE}"] * failed
    assert len(seen.loop_threads) == len(seen.view_threads) == SAMPLES * REQUESTS - failed  # answers name threads
    assert len(seen.walls) == SAMPLES
