"""The streaming rule reaches every state it can return, from observations built inline."""

from __future__ import annotations

import functools

from contract.states import State
from harness.rules import streaming as rules
from harness.rules.response import ASYNC_ITERATORS, ASYNC_VIEWS
from harness.rules.streaming import StreamObservation
from tests.unit.harness.rules.observations import (
    ASYNC_ITERATOR_UNOFFERED,
    ASYNC_VIEW_UNOFFERED,
    LOOP,
    NO_ASGI,
    WORKER,
)


def chunks(thread):
    return [{"loop_thread": LOOP, "chunk_thread": thread}] * 3


WARNING = "StreamingHttpResponse must consume synchronous iterators in order to serve them asynchronously."
streamed = functools.partial(StreamObservation, None, 200, arrival_gaps=[0.05, 0.05])


def test_streaming():
    assert rules.streaming(streamed(chunks(LOOP))).state is State.NATIVE
    threaded = rules.streaming(streamed(chunks(WORKER), warning=WARNING))
    assert threaded.state is State.THREADED
    assert WARNING in threaded.reason
    on_loop = rules.streaming(streamed(chunks(LOOP), warning=WARNING))  # no stall measured: never blocking
    assert on_loop.state is State.UNDECIDED
    assert WARNING in on_loop.reason
    broken = rules.streaming(StreamObservation(None, 500, [], [], "RuntimeError: the iterator failed"))
    assert broken.state is State.BROKEN
    assert broken.reason == "HTTP 500 with 0 chunks: RuntimeError: the iterator failed"
    assert rules.streaming(StreamObservation(NO_ASGI, None, [], [])).state is State.ABSENT


def test_an_async_iterator_the_response_does_not_know_is_absent_not_broken():
    # Django 3.1-4.1 (no async iterators) and 3.0 (no async views), as served in the committed run.
    for exception, why in ((ASYNC_ITERATOR_UNOFFERED, ASYNC_ITERATORS), (ASYNC_VIEW_UNOFFERED, ASYNC_VIEWS)):
        verdict = rules.streaming(StreamObservation(None, 500, [], [], exception))
        assert verdict.state is State.ABSENT
        assert verdict.reason == f"{why} ({exception})"
        assert verdict.facts["server_exception"] == exception


def test_an_async_stream_that_arrives_whole_at_the_end_is_never_native():
    made_on_loop = made(LOOP, 10.0, 10.05, 10.1)
    assert rules.streaming(streamed(made_on_loop, arrivals=[10.01, 10.06, 10.11])).state is State.NATIVE
    buffered = rules.streaming(streamed(made_on_loop, arrivals=[10.1, 10.1, 10.1]))
    assert buffered.state is State.BROKEN
    assert buffered.facts["delivery"] == rules.BUFFERED
    assert buffered.retry is True  # a starved client reads a stream late: measured again, the last attempt stands
    assert rules.streaming(streamed(made_on_loop, arrivals=[10.01, 10.1, 10.1])).state is State.UNDECIDED


def test_streaming_warning_pattern_takes_the_first_sentence():
    log = f"<site-packages>/django/http/response.py:534: Warning: {WARNING} Use an asynchronous iterator instead.\n"
    assert rules.STREAMING_WARNING.search(log).group(0) == WARNING


PAUSE = 0.3  # the threshold is then 150 ms
QUIET, STALLED = 3.0, 600.0


def made(thread, *at):
    return [{"loop_thread": LOOP, "chunk_thread": thread, "produced_at": when} for when in at]


def sync_streamed(chunk_list, arrivals, stall_ms=QUIET, noise_ms=QUIET, **kwargs):
    return rules.sync_stream(
        rules.SyncStreamObservation(None, 200, PAUSE, chunk_list, arrivals, stall_ms, noise_ms, **kwargs)
    )


AS_MADE = [10.01, 10.31, 10.61]  # each chunk arrives 10 ms after it was made at 10.0, 10.3, 10.6
AT_THE_END = [10.61, 10.611, 10.612]


def test_delivery_is_decided_by_cause_and_effect_on_one_clock():
    produced = [10.0, 10.3, 10.6]
    assert rules.delivery(produced, AS_MADE) == rules.STREAMED
    assert rules.delivery(produced, AT_THE_END) == rules.BUFFERED
    # The margins: a chunk that arrives just before the next is made still streamed; one at the last's making is late.
    assert rules.delivery(produced, [10.299, 10.599, 10.6]) == rules.STREAMED
    assert rules.delivery(produced, [10.6, 10.6, 10.6]) == rules.BUFFERED
    assert rules.delivery(produced, [10.01, 10.61, 10.62]) == rules.MIXED


def test_sync_stream_made_off_the_loop_and_streamed_is_threaded():
    verdict = sync_streamed(made(WORKER, 10.0, 10.3, 10.6), AS_MADE)
    assert verdict.state is State.THREADED
    assert verdict.facts["delivery"] == rules.STREAMED
    assert verdict.measurements["arrived_after_made"] == [0.01, 0.01, 0.01]


def test_sync_stream_buffered_on_a_worker_is_buffered_and_by_design_only_when_django_says_so():
    # Django 4.2+ in the committed run: the loop stayed free, the body arrived whole, and Django warned.
    verdict = sync_streamed(made(WORKER, 10.0, 10.3, 10.6), AT_THE_END, warning=WARNING)
    assert verdict.state is State.BUFFERED
    assert verdict.reason == (
        f"buffered by design, as Django warned ({WARNING}): every chunk reached the client only after the last was"
        " made, on a worker thread; the loop stayed free"
    )
    assert verdict.facts["delivery"] == rules.BUFFERED
    unexplained = sync_streamed(made(WORKER, 10.0, 10.3, 10.6), AT_THE_END)
    assert unexplained.state is State.BUFFERED
    assert "design" not in unexplained.reason
    assert unexplained.reason.endswith("on a worker thread; the loop stayed free (no warning logged)")


def test_sync_stream_made_on_the_loop_that_stalled_is_blocking_streamed_or_not():
    streamed_on_loop = sync_streamed(made(LOOP, 10.0, 10.3, 10.6), AS_MADE, stall_ms=STALLED)
    assert streamed_on_loop.state is State.BLOCKING
    assert streamed_on_loop.facts["delivery"] == rules.STREAMED
    buffered_on_loop = sync_streamed(made(LOOP, 10.0, 10.3, 10.6), AT_THE_END, stall_ms=STALLED)
    assert buffered_on_loop.state is State.BLOCKING
    assert buffered_on_loop.facts["delivery"] == rules.BUFFERED


def test_sync_stream_stall_threshold_is_half_the_pause():
    on_loop = made(LOOP, 10.0, 10.3, 10.6)
    assert sync_streamed(on_loop, AS_MADE, stall_ms=150.0).state is State.UNDECIDED  # on the loop, yet free
    assert sync_streamed(on_loop, AS_MADE, stall_ms=150.001).state is State.BLOCKING
    off_loop = made(WORKER, 10.0, 10.3, 10.6)
    assert sync_streamed(off_loop, AS_MADE, stall_ms=150.0).state is State.THREADED
    assert sync_streamed(off_loop, AS_MADE, stall_ms=150.001).state is State.UNDECIDED


def test_a_stall_while_the_chunks_were_made_off_the_loop_is_measured_again_not_blocking():
    # Once at -p 8 (a benchmark run): a 4.2 stream made on a worker thread and buffered read blocking under daphne.
    # Its own code did not hold the loop; whatever did is not this probe's to name, so it is measured again.
    verdict = sync_streamed(made(WORKER, 10.0, 10.3, 10.6), AT_THE_END, warning=WARNING, stall_ms=STALLED)
    assert verdict.state is State.UNDECIDED and verdict.retry
    assert verdict.reason == (
        "the loop stalled longer than 150 ms while the chunks were made on a worker thread: not this stream's doing"
    )
    assert verdict.facts["on_loop_thread"] is False and verdict.facts["delivery"] == rules.BUFFERED


def test_sync_stream_undecided_when_it_cannot_tell():
    chunk_list = made(WORKER, 10.0, 10.3, 10.6)
    assert sync_streamed(chunk_list, AS_MADE, stall_ms=None).state is State.UNDECIDED
    assert sync_streamed(chunk_list, AS_MADE, noise_ms=75.0).state is State.THREADED
    assert sync_streamed(chunk_list, AS_MADE, noise_ms=75.001).state is State.UNDECIDED
    assert sync_streamed(chunk_list, [10.01, 10.61, 10.62]).state is State.UNDECIDED
    # Made on the loop, yet the loop never stalled: the observation contradicts itself.
    assert sync_streamed(made(LOOP, 10.0, 10.3, 10.6), AS_MADE).state is State.UNDECIDED


def test_sync_stream_broken_or_absent_when_it_does_not_answer():
    lost = rules.sync_stream(rules.SyncStreamObservation(None, 200, PAUSE, made(WORKER, 10.0), [10.01]))
    assert lost.state is State.BROKEN
    failed = rules.sync_stream(rules.SyncStreamObservation(None, 500, PAUSE, [], [], server_exception="TypeError: x"))
    assert failed.state is State.BROKEN
    assert "TypeError: x" in failed.reason
    assert rules.sync_stream(rules.SyncStreamObservation(NO_ASGI, None, PAUSE, [], [])).state is State.ABSENT


def test_only_a_stream_that_noise_or_a_late_client_may_have_unsettled_asks_for_another_attempt():
    chunk_list = made(WORKER, 10.0, 10.3, 10.6)
    assert sync_streamed(chunk_list, AS_MADE, noise_ms=75.001).retry  # the meter too noisy to tell
    assert sync_streamed(chunk_list, [10.01, 10.61, 10.62]).retry  # some chunks late: a slow moment
    assert not sync_streamed(chunk_list, AS_MADE, stall_ms=None).retry  # no meter: another try has none either
    assert not sync_streamed(made(LOOP, 10.0, 10.3, 10.6), AS_MADE).retry  # on the loop yet free: not noise
    assert not sync_streamed(chunk_list, AS_MADE).retry  # settled
    made_on_loop = made(LOOP, 10.0, 10.05, 10.1)
    assert rules.streaming(streamed(made_on_loop, arrivals=[10.01, 10.1, 10.1])).retry
    assert rules.streaming(streamed(made_on_loop, arrivals=[10.1, 10.1, 10.1])).retry  # read late looks buffered
    assert not rules.streaming(streamed(made_on_loop, arrivals=[10.01, 10.06, 10.11])).retry  # streamed: settled
