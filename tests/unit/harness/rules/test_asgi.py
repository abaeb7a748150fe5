"""The ASGI entry point and lifespan rules reach every state they can return, from observations built inline."""

from __future__ import annotations

from contract.states import State
from harness.rules import asgi as rules
from harness.rules.response import HttpObservation
from harness.rules.timing import ConcurrencyObservation
from tests.unit.harness.rules.observations import LOOP, NO_ASGI, failed, ok


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


N, T = 5, 0.2  # one at a time: 1 s a sample; overlapped: about 0.2 s
# Per sample, the most sleeps in progress at one moment: every request's, or one at a time.
OVERLAPPED, ONE_AT_A_TIME = (N, N, N), (1, 1, 1)


def stack(at_once, requests, stalls=3.0, failures=(), noise=2.0):
    loop_threads = [LOOP] * len(requests)
    work = [thread for request in requests for thread in [*request.chain, request.view]]
    walls = [T if count > 1 else N * T for count in at_once]
    obs = ConcurrencyObservation(
        None, N, T, walls, loop_threads, work, list(failures), [stalls] * 3, noise, list(at_once)
    )
    return rules.request_stack(obs, requests)


def each(chain_thread, view_thread):
    """N requests; the arguments map a request's index to its hooks' thread and its view's thread."""
    return [rules.StackRequest([chain_thread(i)] * 4, view_thread(i)) for i in range(N)]


def test_workers_names_how_the_off_loop_work_was_spread():
    loop = {LOOP}
    assert rules.workers(loop, [rules.StackRequest([LOOP], LOOP)]) == rules.NO_WORKER
    assert rules.workers(loop, each(lambda i: 7, lambda i: 7)) == rules.ONE_FOR_ALL
    assert rules.workers(loop, each(lambda i: 10 + i, lambda i: 10 + i)) == rules.ONE_PER_REQUEST
    assert rules.workers(loop, each(lambda i: LOOP, lambda i: 10 + i)) == rules.ONE_PER_REQUEST
    assert rules.workers(loop, each(lambda i: 10 + i, lambda i: 20 + i)) == rules.SEVERAL_PER_REQUEST


def test_request_stack_threaded_with_a_worker_per_request():
    verdict = stack(OVERLAPPED, each(lambda i: 10 + i, lambda i: 10 + i))
    assert verdict.state is State.THREADED
    assert verdict.facts["workers"] == rules.ONE_PER_REQUEST
    assert verdict.facts["chain_on_loop_thread"] is False


def test_request_stack_native_when_the_chain_stays_on_the_loop_and_only_the_sync_view_leaves_it():
    verdict = stack(OVERLAPPED, each(lambda i: LOOP, lambda i: 10 + i))
    assert verdict.state is State.NATIVE
    assert verdict.facts["chain_on_loop_thread"] is True


def test_request_stack_serialized_on_one_worker_for_all_with_a_free_loop():
    verdict = stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7))
    assert verdict.state is State.SERIALIZED
    assert verdict.facts["workers"] == rules.ONE_FOR_ALL
    assert "one worker thread for every request" in verdict.reason


def test_request_stack_blocking_when_the_loop_stalled_in_every_sample():
    assert stack(ONE_AT_A_TIME, each(lambda i: LOOP, lambda i: LOOP), stalls=200.0).state is State.BLOCKING
    assert stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7), stalls=100.001).state is State.BLOCKING
    assert stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7), stalls=100.0).state is State.SERIALIZED


def test_request_stack_broken_absent_and_undecided():
    assert stack((), [], failures=["HTTP 500: TypeError: x"]).state is State.BROKEN
    no_asgi = ConcurrencyObservation(NO_ASGI, N, T, [], [], [], [])
    assert rules.request_stack(no_asgi, []).state is State.ABSENT
    assert stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7), noise=60.0).state is State.UNDECIDED


def test_request_stack_asks_for_another_attempt_only_when_its_meter_was_too_noisy():
    assert stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7), noise=60.0).retry  # over half the 100 ms threshold
    assert not stack(ONE_AT_A_TIME, each(lambda i: 7, lambda i: 7), stalls=100.0).retry  # settled: serialized
    assert not stack((), [], failures=["HTTP 500: TypeError: x"]).retry  # broken is settled
