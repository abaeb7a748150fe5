"""The async-API rules reach every state they can return, from observations built inline."""

from __future__ import annotations

from harness.rules.apis import ApiCall, ApiObservation, async_apis, sync_deprecations, sync_guard
from harness.states import State

LOOP, WORKER = 1, 2
GUARD_ERROR = "SynchronousOnlyOperation: You cannot call this from an async context - use a thread or sync_to_async."


def observed(*calls: ApiCall) -> ApiObservation:
    return ApiObservation(LOOP, calls)


def test_absent_when_no_api_exists():
    verdict = async_apis(observed(ApiCall("aget", False), ApiCall("aset", False)))
    assert verdict.state is State.ABSENT
    assert verdict.facts["missing"] == ["aget", "aset"]
    assert "aget, aset" in verdict.reason


def test_native_when_every_found_api_worked_on_the_loop():
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("afull_clean", False)))
    assert verdict.state is State.NATIVE
    assert verdict.facts["ran_on_loop"] == ["aget"]
    assert verdict.facts["on_loop_thread"] is True
    assert verdict.facts["missing"] == ["afull_clean"]
    assert verdict.facts["worker_threads"] == 0


def test_threaded_when_any_found_api_hopped():
    verdict = async_apis(
        observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("aset", True, work_threads=(LOOP, WORKER)))
    )
    assert verdict.state is State.THREADED
    assert verdict.facts["ran_off_loop"] == ["aset"]
    assert verdict.facts["on_loop_thread"] is False
    assert verdict.facts["ran_on_loop"] == ["aget"]
    assert verdict.facts["worker_threads"] == 1
    assert verdict.measurements["work_threads"] == {"aget": [LOOP], "aset": [LOOP, WORKER]}


def test_broken_when_a_found_api_raised_even_if_others_hopped():
    verdict = async_apis(
        observed(ApiCall("aget", True, work_threads=(WORKER,)), ApiCall("aset", True, error="TypeError: bad"))
    )
    assert verdict.state is State.BROKEN
    assert verdict.facts["failing"] == {"aset": "TypeError: bad"}
    assert "aset: TypeError: bad" in verdict.reason


def test_undecided_when_no_found_api_did_visible_work():
    verdict = async_apis(observed(ApiCall("aget", True), ApiCall("aset", False)))
    assert verdict.state is State.UNDECIDED
    assert verdict.facts["unobserved"] == ["aget"]
    assert verdict.facts["on_loop_thread"] is None


def test_unobserved_apis_do_not_decide_when_others_did_work():
    verdict = async_apis(observed(ApiCall("aget", True, work_threads=(LOOP,)), ApiCall("aset", True)))
    assert verdict.state is State.NATIVE
    assert verdict.facts["unobserved"] == ["aset"]


def test_context_becomes_facts():
    obs = ApiObservation(LOOP, (ApiCall("asend", True, work_threads=(LOOP,)),), {"sync_receiver_on_loop": False})
    assert async_apis(obs).facts["sync_receiver_on_loop"] is False


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
