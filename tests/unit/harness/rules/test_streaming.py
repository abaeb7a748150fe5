"""The streaming rule reaches every state it can return, from observations built inline."""

from __future__ import annotations

import functools

from harness.rules import streaming as rules
from harness.rules.streaming import StreamObservation
from harness.states import State
from tests.unit.harness.rules.observations import LOOP, NO_ASGI, WORKER


def chunks(thread):
    return [{"loop_thread": LOOP, "chunk_thread": thread}] * 3


WARNING = "StreamingHttpResponse must consume synchronous iterators in order to serve them asynchronously."
streamed = functools.partial(StreamObservation, None, 200, arrival_gaps=[0.05, 0.05])


def test_streaming():
    assert rules.streaming(streamed(chunks(LOOP))).state is State.NATIVE
    threaded = rules.streaming(streamed(chunks(WORKER), warning=WARNING))
    assert threaded.state is State.THREADED
    assert WARNING in threaded.reason
    assert rules.streaming(streamed(chunks(LOOP), warning=WARNING)).state is State.BLOCKING
    broken = rules.streaming(
        StreamObservation(None, 500, [], [], "TypeError: 'async_generator' object is not iterable")
    )
    assert broken.state is State.BROKEN
    assert rules.streaming(StreamObservation(NO_ASGI, None, [], [])).state is State.ABSENT


def test_streaming_warning_pattern_takes_the_first_sentence():
    log = f"<site-packages>/django/http/response.py:534: Warning: {WARNING} Use an asynchronous iterator instead.\n"
    assert rules.STREAMING_WARNING.search(log).group(0) == WARNING
