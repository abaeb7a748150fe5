"""The async-API rules reach every state they can return, from observations built inline."""

from __future__ import annotations

import pytest

from contract.states import State
from harness.rules.apis import (
    NOISE_FACTOR,
    STALL_FLOOR_MS,
    ApiCall,
    ApiObservation,
    api_state,
    async_apis,
    sync_deprecations,
    sync_guard,
    threshold_ms,
)

LOOP, WORKER = 1, 2
GUARD_ERROR = "SynchronousOnlyOperation: You cannot call this from an async context - use a thread or sync_to_async."


def observed(*calls: ApiCall, noise_ms: float = 3.0, delay_ms: float = 0.0) -> ApiObservation:
    return ApiObservation(LOOP, calls, noise_ms=noise_ms, delay_ms=delay_ms)


def api_states(verdict) -> dict[str, str]:
    return {name: api["state"] for name, api in verdict.facts["apis"].items()}


def test_absent_when_no_api_exists():
    verdict = async_apis(observed(ApiCall("aget", False), ApiCall("aset", False)))
    assert verdict.state is State.ABSENT
    assert verdict.facts["missing"] == ["aget", "aset"]
    assert "aget, aset" in verdict.reason


def test_native_when_every_found_api_worked_on_the_loop():
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("afull_clean", False)))
    assert verdict.state is State.NATIVE
    assert verdict.facts["apis"] == {"aget": {"state": "native", "thread": "loop"}}
    assert verdict.facts["missing"] == ["afull_clean"]
    assert verdict.facts["worker_threads"] == 0


def test_threaded_when_any_found_api_hopped():
    verdict = async_apis(
        observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("aset", True, work_threads=(LOOP, WORKER)))
    )
    assert verdict.state is State.THREADED
    assert api_states(verdict) == {"aget": "native", "aset": "threaded"}
    assert verdict.facts["apis"]["aset"]["thread"] == "loop+worker"
    assert verdict.facts["worker_threads"] == 1
    assert verdict.measurements["work_threads"] == {"aget": [LOOP], "aset": [LOOP, WORKER]}


def test_broken_when_a_found_api_raised_even_if_others_hopped_or_blocked():
    verdict = async_apis(
        observed(
            ApiCall("aget", True, work_threads=(WORKER,)),
            ApiCall("aset", True, error="TypeError: bad"),
            ApiCall("aload", True, work_threads=(LOOP,), stall_ms=400.0),
        )
    )
    assert verdict.state is State.BROKEN
    assert verdict.facts["failing"] == {"aset": "TypeError: bad"}
    assert api_states(verdict) == {"aget": "threaded", "aset": "broken", "aload": "blocking"}
    assert "aset: TypeError: bad" in verdict.reason


def test_undecided_when_no_found_api_did_visible_work():
    verdict = async_apis(observed(ApiCall("aget", True), ApiCall("aset", False)))
    assert verdict.state is State.UNDECIDED
    assert verdict.facts["apis"] == {"aget": {"state": "unobserved", "thread": "unseen"}}


def test_unobserved_apis_do_not_decide_when_others_did_work():
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("aset", True)))
    assert verdict.state is State.NATIVE
    assert api_states(verdict)["aset"] == "unobserved"


def test_context_becomes_facts():
    obs = ApiObservation(LOOP, (ApiCall("asend", True, work_threads=(LOOP,)),), {"sync_receiver_on_loop": False})
    assert async_apis(obs).facts["sync_receiver_on_loop"] is False


# The stall threshold: max(50 ms, three quarters of the injected delay); samples just below, at and just above it.


def test_threshold_is_the_floor_without_delay_and_most_of_a_delay():
    assert threshold_ms(0.0) == STALL_FLOOR_MS == 50.0
    assert threshold_ms(60.0) == 50.0
    assert threshold_ms(100.0) == 75.0
    assert threshold_ms(300.0) == 225.0


@pytest.mark.parametrize(
    ("stall_ms", "state"),
    [(49.9, State.NATIVE), (50.0, State.NATIVE), (50.1, State.BLOCKING), (400.0, State.BLOCKING)],
)
def test_work_on_the_loop_is_blocking_only_past_the_floor(stall_ms, state):
    verdict = async_apis(observed(ApiCall("acheck_password", True, work_threads=(LOOP,), stall_ms=stall_ms)))
    assert verdict.state is state
    assert verdict.facts["stall_threshold_ms"] == 50.0
    assert verdict.measurements["stall_ms"] == {"acheck_password": stall_ms}


@pytest.mark.parametrize(
    ("stall_ms", "state"),
    [(149.9, State.NATIVE), (150.0, State.NATIVE), (150.1, State.BLOCKING), (200.0, State.BLOCKING)],
)
def test_with_injected_delay_the_threshold_is_most_of_the_delay(stall_ms, state):
    call = ApiCall("aload", True, work_threads=(LOOP,), stall_ms=stall_ms, delayed_ms=200.0)
    verdict = async_apis(observed(call, delay_ms=200.0))
    assert verdict.state is state
    assert verdict.facts["stall_threshold_ms"] == 150.0
    assert verdict.facts["delay_ms"] == 200.0
    assert verdict.facts["apis"]["aload"]["delayed_ms"] == 200.0


def test_blocking_reason_names_the_stall_next_to_the_injected_delay():
    call = ApiCall("aload", True, work_threads=(LOOP,), stall_ms=101.5, delayed_ms=100.0)
    verdict = async_apis(observed(call, delay_ms=100.0))
    assert verdict.state is State.BLOCKING
    assert "aload 101.5 ms of 100 ms injected" in verdict.reason


def test_a_stalling_api_never_lets_the_probe_be_threaded():
    verdict = async_apis(
        observed(
            ApiCall("aget", True, work_threads=(WORKER,), stall_ms=1.0),
            ApiCall("aset", True, work_threads=(LOOP, WORKER), stall_ms=120.0),
        )
    )
    assert verdict.state is State.BLOCKING
    assert api_states(verdict) == {"aget": "threaded", "aset": "blocking"}
    assert verdict.facts["apis"]["aset"]["thread"] == "loop+worker"


@pytest.mark.parametrize(
    ("stall_ms", "state"), [(49.9, State.THREADED), (50.0, State.THREADED), (50.1, State.UNDECIDED)]
)
def test_a_stall_with_all_work_off_the_loop_is_undecided_not_threaded(stall_ms, state):
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(WORKER,), stall_ms=stall_ms)))
    assert verdict.state is state


def test_a_stall_without_visible_work_is_undecided_even_beside_a_threaded_api():
    verdict = async_apis(
        observed(ApiCall("aget", True, work_threads=(WORKER,)), ApiCall("aexists", True, stall_ms=90.0))
    )
    assert verdict.state is State.UNDECIDED
    assert api_states(verdict) == {"aget": "threaded", "aexists": "undecided"}


def test_blocking_outranks_undecided():
    verdict = async_apis(
        observed(
            ApiCall("aget", True, work_threads=(WORKER,), stall_ms=90.0), ApiCall("aset", True, None, (LOOP,), 90.0)
        )
    )
    assert verdict.state is State.BLOCKING


# The meter's own noise: a stall past the threshold must also be more than NOISE_FACTOR times it to be blocking.


@pytest.mark.parametrize(
    ("noise_ms", "state"), [(29.9, State.BLOCKING), (30.0, State.UNDECIDED), (30.1, State.UNDECIDED)]
)
def test_a_stall_within_twice_the_noise_is_undecided(noise_ms, state):
    assert NOISE_FACTOR == 2.0
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,), stall_ms=60.0), noise_ms=noise_ms))
    assert verdict.state is state
    assert verdict.measurements["noise_ms"] == noise_ms


def test_noise_never_hides_a_stall_and_never_doubts_a_quiet_call():
    loud = 40.0
    for stall_ms, threads, state in [
        (300.0, (LOOP,), State.BLOCKING),
        (5.0, (LOOP,), State.NATIVE),
        (5.0, (WORKER,), State.THREADED),
    ]:
        verdict = async_apis(observed(ApiCall("a", True, work_threads=threads, stall_ms=stall_ms), noise_ms=loud))
        assert verdict.state is state


def test_api_state_per_call():
    assert api_state(ApiCall("a", False), LOOP, 50.0, 1.0) == "absent"
    assert api_state(ApiCall("a", True, "ValueError: x", (LOOP,), 900.0), LOOP, 50.0, 1.0) == "broken"
    assert api_state(ApiCall("a", True, None, (), 1.0), LOOP, 50.0, 1.0) == "unobserved"


def test_sync_guard_native_when_it_raises():
    assert sync_guard(True, GUARD_ERROR).state is State.NATIVE


def test_sync_guard_absent_without_the_exception_class():
    verdict = sync_guard(False, None)
    assert verdict.state is State.ABSENT
    assert verdict.facts == {"guard_defined": False, "raised": None}


def test_sync_guard_broken_when_defined_but_silent():
    assert sync_guard(True, None).state is State.BROKEN


def test_sync_guard_broken_on_another_error():
    assert sync_guard(False, "OperationalError: database is locked").state is State.BROKEN


def test_sync_deprecations_native_when_django_warns():
    verdict = sync_deprecations(["RemovedInDjango70Warning: use aget()"], ["cache.get"])
    assert verdict.state is State.NATIVE
    assert verdict.facts["warnings"] == ["RemovedInDjango70Warning: use aget()"]


def test_sync_deprecations_absent_without_warnings():
    verdict = sync_deprecations([], ["cache.get", "QuerySet.count"])
    assert verdict.state is State.ABSENT
    assert "2 sync APIs" in verdict.reason


def test_only_a_stall_that_noise_may_have_caused_asks_for_another_attempt():
    stalled_off_loop = async_apis(observed(ApiCall("aget", True, work_threads=(WORKER,), stall_ms=90.0)))
    within_noise = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,), stall_ms=60.0), noise_ms=30.0))
    assert [(v.state, v.retry) for v in (stalled_off_loop, within_noise)] == [(State.UNDECIDED, True)] * 2
    unobserved = async_apis(observed(ApiCall("aget", True)))  # no work seen: another attempt sees none either
    assert (unobserved.state, unobserved.retry) == (State.UNDECIDED, False)
    threaded = async_apis(observed(ApiCall("aget", True, work_threads=(WORKER,), stall_ms=5.0)))
    assert threaded.retry is False
