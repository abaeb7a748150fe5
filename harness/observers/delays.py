"""Slow a probe's I/O down on purpose, so that I/O done on the event loop shows up as a loop stall.

Local I/O is too fast to see: a session file opens in microseconds here, and would take seconds on a slow disk. An
API that does its I/O on the loop thread stalls the loop by (most of) the injected delay; one that hands it to a
worker thread does not (harness/observers/stall.py measures, harness/rules/apis.py decides). Every delayed operation notes its
thread and its delay in harness/observers/worklog.py's WORK log. Three injectors:

- `sql_work(delay)` in harness/observers/work.py: every SQL statement sleeps first, on the thread that runs it;
- `slow_files(directory, delay)`: opening, creating, checking (stat, so os.path.exists), renaming or removing a file
  under `directory` sleeps first, on the thread that does it (open, os.open, os.stat, os.remove/unlink,
  os.rename/replace are patched while the block runs);
- `DelayProxy(upstream, delay)`: a TCP proxy on 127.0.0.1 (port 0: the kernel picks) in front of a Unix socket or
  TCP address; each request chunk it forwards waits `delay` first, in the proxy's thread, so the client's thread
  waits for the answer (its thread is noted by the client wrapper, `NotingClient`).

Threading contract: `slow_files` patches module attributes for the whole process while its block runs, so use it
from the thread that runs the probe, around code on any thread. A DelayProxy runs its own threads (one accepting, two
per connection); start and close it from one thread.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

from harness.observers.worklog import WORK

DELAY = 0.1  # seconds each delayed operation waits: twice the blocking threshold, far above the meter's noise
_CHUNK = 65536


def _slowed(original: Callable[..., Any], prefixes: tuple[str, ...], delay: float) -> Callable[..., Any]:
    def slowed(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(os.fspath(path)).startswith(prefixes):
            WORK.note()
            time.sleep(delay)
            WORK.delayed(delay)
        return original(path, *args, **kwargs)

    return slowed


@contextlib.contextmanager
def slow_files(directory: str | os.PathLike[str], delay: float = DELAY) -> Iterator[None]:
    """While the block runs, every open/create/stat/rename/remove of a file under `directory` waits `delay` seconds
    first and notes its thread; other paths and already-open file descriptors pass untouched."""
    path = os.fspath(directory)
    prefixes = tuple({os.path.join(os.path.abspath(path), ""), os.path.join(os.path.realpath(path), "")})
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(builtins, "open", _slowed(builtins.open, prefixes, delay)))
        for name in ("open", "stat", "remove", "unlink", "rename", "replace"):
            stack.enter_context(mock.patch.object(os, name, _slowed(getattr(os, name), prefixes, delay)))
        yield


class NotingClient:
    """Wraps a cache client object (Django's RedisCacheClient, pymemcache's client): every method call notes the
    thread that makes it before it runs, so the probe sees which thread talked to the server."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if not callable(found):
            return found

        def noting(*args: Any, **kwargs: Any) -> Any:
            WORK.note()
            return found(*args, **kwargs)

        return noting


class DelayProxy:
    """A TCP proxy on 127.0.0.1 that forwards to `upstream`, delaying every chunk the client sends by `delay`.

    `port` is where clients connect. `close()` stops accepting and closes every connection; use it as a context
    manager, or call close() in a finally.
    """

    def __init__(self, upstream: str | tuple[str, int], delay: float = DELAY) -> None:
        """`upstream`: a Unix socket path, or (host, port)."""
        self.upstream = upstream
        self.delay = delay
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._start(self._accept)

    def __enter__(self) -> DelayProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, close every connection both ways, and wait for the proxy's threads to end."""
        self._closed = True
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name="delay-proxy", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            family = socket.AF_UNIX if isinstance(self.upstream, str) else socket.AF_INET
            server = socket.socket(family, socket.SOCK_STREAM)
            try:
                server.connect(self.upstream)
            except OSError:
                client.close()
                server.close()
                continue
            self._sockets += [client, server]
            self._start(self._pump, client, server, self.delay)
            self._start(self._pump, server, client, 0.0)

    def _pump(self, source: socket.socket, target: socket.socket, delay: float) -> None:
        while True:
            try:
                chunk = source.recv(_CHUNK)
                if not chunk:
                    break
                if delay:
                    time.sleep(delay)
                    WORK.delayed(delay)
                target.sendall(chunk)
            except OSError:
                break
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
