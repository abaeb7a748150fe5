"""Async signal dispatch (Django 5.0): Signal.asend/asend_robust with async receivers, and what send() does with them.

https://docs.djangoproject.com/en/stable/topics/signals/#sending-signals
"""

from __future__ import annotations

import dataclasses
import threading
import warnings

import pytest
from django.dispatch import Signal

from harness.observers.asyncapis import Api, observe
from harness.observers.worklog import WORK
from harness.rules import apis as rules


@pytest.mark.probe("signals.async")
def test_async_signals(probe):
    signal = Signal()
    async_runs: list[int] = []  # threads the async receiver's body ran on, from send() or asend()
    sync_runs: list[int] = []  # threads the sync receiver ran on, from asend()

    async def async_receiver(sender: object, **kwargs: object) -> None:
        WORK.note()
        async_runs.append(threading.get_ident())

    def sync_receiver(sender: object, **kwargs: object) -> None:
        sync_runs.append(threading.get_ident())

    signal.connect(async_receiver, weak=False)
    with warnings.catch_warnings():
        # Where send() just calls the async receiver, the coroutine is never awaited; that is the observation.
        warnings.simplefilter("ignore", RuntimeWarning)
        signal.send(sender=None)
    send_runs = list(async_runs)
    signal.connect(sync_receiver, weak=False)

    apis = [
        Api("asend", signal, lambda asend: asend(sender=None)),
        Api("asend_robust", signal, lambda asend_robust: asend_robust(sender=None)),
    ]
    obs = observe(apis)
    context = {
        "send_runs_async_receiver": bool(send_runs),
        "send_runs_async_receiver_on_caller_thread": (send_runs == [threading.get_ident()]) if send_runs else None,
        "sync_receiver_on_loop": (obs.loop_thread in sync_runs) if sync_runs else None,
    }
    probe.record(rules.async_apis(dataclasses.replace(obs, context=context)))
