"""Send bursts of simultaneous requests to a view that sleeps, and observe them: wall times, threads, failures, loop stall.

harness/rules/timing.py turns the observation into a verdict. The bursts run in this (the probe's) process; each view
answers when its sleep began and ended (project/probes/views.py, on time.monotonic, which every process on Linux
shares), and the loop stall of each burst is read from the meter inside the server (harness/observers/client.py). So
the sleeps say whether requests waited for each other and the meter says whether the server's event loop itself was
held up; the burst's wall time is kept as a measurement.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from contract.evidence import last_exception
from harness.observers.client import get, loop_noise, stall_mark, stall_since
from harness.processes.servers import Server
from harness.rules.timing import ConcurrencyObservation

SAMPLES = 3


def view_thread(response: httpx.Response) -> list[int]:
    """The thread that ran the view, as its JSON answer says (project/probes/views.py)."""
    return [response.json()["view_thread"]]


def most_at_once(slept: list[tuple[float, float]]) -> int:
    """The most of these (began, ended) intervals in progress at one moment (one that ends as another begins does
    not overlap it)."""
    edges = sorted([(began, 1) for began, _ in slept] + [(ended, -1) for _, ended in slept])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def measure_concurrency(
    server: Server,
    path: str,
    requests: int,
    sleep: float,
    work_threads: Callable[[httpx.Response], list[int]] = view_thread,
) -> ConcurrencyObservation:
    """SAMPLES bursts of `requests` simultaneous GETs to `path?seconds=<sleep>`, with the server's headers.

    `work_threads` names the threads that did a response's work: the view's by default; a probe of middleware
    passes the traced layers' too. A first, single request warms the server up (first-request imports and thread
    start-up are not what is measured); when it fails, that failure is the observation and no burst is sent.
    """
    entrypoint_error = server.ready.get("entrypoint_error")
    first = get(server, f"{path}?seconds=0")
    if first.status != 200:
        cause = first.server_exception or first.client_error or "no exception in the server log"
        return ConcurrencyObservation(entrypoint_error, requests, sleep, [], [], [], [f"HTTP {first.status}: {cause}"])  # type: ignore[arg-type]
    mark = server.log_mark()
    walls, stalls, at_once, responses = [], [], [], []
    noise = loop_noise(server)
    for _ in range(SAMPLES):
        stall_from = stall_mark(server)
        wall, burst = asyncio.run(_burst(server, f"{path}?seconds={sleep}", requests))
        stalls.append(stall_since(server, stall_from))
        walls.append(wall)
        at_once.append(most_at_once([tuple(answer.json()["slept"]) for answer in burst if answer.status_code == 200]))
        responses += burst
    answered = [response for response in responses if response.status_code == 200]
    exception = last_exception(server.log_since(mark)) or "no exception in the server log"
    return ConcurrencyObservation(
        entrypoint_error,  # type: ignore[arg-type]
        requests,
        sleep,
        walls,
        [response.json()["loop_thread"] for response in answered],
        [thread for response in answered for thread in work_threads(response)],
        [f"HTTP {response.status_code}: {exception}" for response in responses if response.status_code != 200],
        stalls_ms=stalls,
        noise_ms=noise,
        at_once=at_once,
    )


async def _burst(server: Server, path: str, requests: int) -> tuple[float, list[httpx.Response]]:
    limits = httpx.Limits(max_connections=requests)
    async with httpx.AsyncClient(timeout=60.0, limits=limits, headers=server.headers) as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.get(server.url(path)) for _ in range(requests)))
        return time.monotonic() - started, list(responses)
