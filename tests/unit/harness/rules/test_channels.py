"""The Channels rules reach every state they can return, from observations built inline."""

from __future__ import annotations

import functools

from contract.states import State
from harness.rules import channels as rules
from harness.rules.channels import ConsumerObservation

LOOP, WORKER = 1, 2
conversation = functools.partial(ConsumerObservation, None, "ping")


def replied(thread=LOOP, echo="ping", close_code=1000):
    reply = {"echo": echo, "loop_thread": LOOP, "consumer_thread": thread}
    return conversation(True, 101, reply, close_code, channels_version="4.3.2")


def refused(status=500, server_exception=None):
    return conversation(False, status, server_exception=server_exception)


def test_channels_missing_is_not_run_without_channels_and_absent_or_broken_when_it_fails():
    assert rules.channels_missing(None) is None
    not_installed = rules.channels_missing(rules.NOT_INSTALLED)
    assert not_installed.state is State.NOT_RUN
    assert not_installed.reason == rules.NOT_INSTALLED_REASON
    assert not_installed.facts["channels_error"] == rules.NOT_INSTALLED
    lacking = "ImportError: cannot import name 'sync_to_async' from 'asgiref.sync'"
    assert rules.channels_missing(lacking).state is State.ABSENT
    assert rules.channels_missing("ImproperlyConfigured: settings are broken").state is State.BROKEN


def test_async_consumer_native_on_the_loop_thread():
    verdict = rules.async_consumer(replied(LOOP))
    assert verdict.state is State.NATIVE
    assert verdict.facts["accepted"] is True
    assert verdict.facts["echoed"] is True
    assert verdict.facts["on_loop_thread"] is True
    assert verdict.facts["channels_version"] == "4.3.2"
    assert verdict.measurements == {"loop_thread": LOOP, "consumer_thread": LOOP}


def test_async_consumer_threaded_off_the_loop_thread():
    verdict = rules.async_consumer(replied(WORKER))
    assert verdict.state is State.THREADED
    assert verdict.facts["on_loop_thread"] is False


def test_sync_consumer_threaded_on_a_worker_and_undecided_on_the_loop_without_a_measured_stall():
    assert rules.sync_consumer(replied(WORKER)).state is State.THREADED
    assert rules.sync_consumer(replied(LOOP)).state is State.UNDECIDED


def test_thread_idents_are_measurements_never_facts():
    verdict = rules.sync_consumer(replied(WORKER))
    assert set(verdict.measurements) == {"loop_thread", "consumer_thread"}
    assert "loop_thread" not in verdict.facts and "consumer_thread" not in verdict.facts


def test_without_channels_both_rules_record_not_run_with_the_reason():
    obs = ConsumerObservation(rules.NOT_INSTALLED, "ping", False, 500, server_exception="ImportError: no asgi")
    for rule in (rules.async_consumer, rules.sync_consumer):
        verdict = rule(obs)
        assert verdict.state is State.NOT_RUN
        assert verdict.reason == "no Channels release installed for this Django; see matrix.yaml pins"


def test_broken_when_accepted_without_an_echo_or_without_a_clean_close():
    wrong = rules.async_consumer(replied(echo="pong"))
    assert wrong.state is State.BROKEN
    assert wrong.facts["echoed"] is False
    crashed = conversation(True, 101, server_exception="TypeError: receive() got an unexpected keyword argument")
    verdict = rules.sync_consumer(crashed)
    assert verdict.state is State.BROKEN
    assert "TypeError: receive()" in verdict.reason
    assert verdict.facts["server_exception"].startswith("TypeError")
    unclosed = rules.async_consumer(replied(close_code=1011))
    assert unclosed.state is State.BROKEN
    assert unclosed.facts["close_code"] == 1011


def test_refused_handshake_is_absent_for_a_missing_route_or_protocol_and_broken_for_an_exception():
    no_route = refused(500, "ValueError: No route found for path 'ws/channels/async/'.")
    assert rules.async_consumer(no_route).state is State.ABSENT
    assert rules.async_consumer(refused(403)).state is State.ABSENT
    assert rules.sync_consumer(refused(500, "AttributeError: 'NoneType' object has no attribute 'x'")).state is (
        State.ABSENT
    )
    failing = rules.sync_consumer(refused(500, "RuntimeError: the consumer crashed"))
    assert failing.state is State.BROKEN
    assert failing.facts["accepted"] is False
    assert failing.facts["handshake_status"] == 500


def test_undecided_without_a_handshake_status_or_thread_idents():
    timed_out = conversation(False, None, client_error="TimeoutError: timed out during opening handshake")
    assert rules.async_consumer(timed_out).state is State.UNDECIDED
    anonymous = conversation(True, 101, {"echo": "ping"}, 1000)
    verdict = rules.async_consumer(anonymous)
    assert verdict.state is State.UNDECIDED
    assert verdict.facts["echoed"] is True
