"""A threaded HTTP server on 127.0.0.1 standing in for a probe server, for harness/observers/client.py and concurrency.py.

It has what those modules read of harness/servers.Server (url, headers, ready, verify, log_mark, log_since) and
answers like project/ does: /view/?seconds=T sleeps T and names its thread, /fail/ logs an exception and answers
500, /text/ answers plain text, and the loop-stall meter's path answers a mark or (?since=) `stall_ms(since)`.
Each request runs on its own thread, so requests overlap unless `serialize` makes them take turns.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.observers.client import STALL_PATH
from harness.processes.tls import self_signed

LOOP_THREAD = 4242  # what the views report as their event loop's thread
FAILURE = "ValueError: the view failed on purpose"


@dataclass
class FakeServer:
    port: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # sent by harness/observers/client.py's `get`
    ready: dict[str, object] = field(default_factory=lambda: {"entrypoint_error": None})
    serialize: bool = False  # views take turns, as on a single worker thread
    fail_every: int = 0  # every n-th view request answers 500 (0: none)
    meter: bool = True  # False: the loop-stall meter's path is not found (404)
    stall_ms: Callable[[float], float] = lambda since: since * 1000.0
    requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    marks: int = 0  # stall marks handed out
    views: int = 0  # view requests answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def verify(self) -> bool:
        return True

    def log_mark(self) -> int:
        return len(self.log_lines)

    def log_since(self, mark: int, settle: float = 0.01) -> str:
        return "\n".join(self.log_lines[mark:])

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: object) -> None:  # no access log on stderr
        pass

    def _answer(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        fake.requests.append((self.command, url.path, query, {k.lower(): v for k, v in self.headers.items()}))
        if url.path == STALL_PATH and fake.meter:
            if "since" in query:
                self._send(200, {"stall_ms": fake.stall_ms(float(query["since"]))})
            else:
                with fake.lock:
                    fake.marks += 1
                    mark = fake.marks + 0.125
                self._send(200, {"mark": mark})
        elif url.path == "/view/":
            self._view(fake, float(query.get("seconds", 0)))
        elif url.path == "/fail/":
            fake.log_lines += ["Traceback (most recent call last):", FAILURE]
            self._send(500, b"Internal Server Error")
        elif url.path == "/text/":
            self._send(200, b"plain")
        else:
            self._send(404, b"Not Found")

    def _view(self, fake: FakeServer, seconds: float) -> None:
        with fake.lock:
            fake.views += 1
            views = fake.views
        if fake.fail_every and views % fake.fail_every == 0:
            fake.log_lines += [FAILURE]
            self._send(500, b"Internal Server Error")
            return
        with fake.lock if fake.serialize else contextlib.nullcontext():
            began = time.monotonic()
            time.sleep(seconds)
            slept = [began, time.monotonic()]
        thread = threading.get_ident()
        self._send(
            200, {"loop_thread": LOOP_THREAD, "view_thread": thread, "middleware_thread": -thread, "slept": slept}
        )

    def _send(self, status: int, body: bytes | dict[str, object]) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.send_response(status)
        self.send_header("content-type", "application/json" if isinstance(body, dict) else "text/plain")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-served-by", "http_app")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every request's thread: nothing outlives the test
    fake: FakeServer

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a timeout test) is no error of the server's; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def quick_clients(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Point httpx's trust store (SSL_CERT_FILE) at one throw-away certificate, for these plain-HTTP servers: each
    client the harness makes then starts in about 1 ms rather than the 25 ms of loading certifi's CA bundle."""
    monkeypatch.setenv("SSL_CERT_FILE", str(self_signed(directory).certificate))


@contextlib.contextmanager
def serving(**options: object) -> Iterator[FakeServer]:
    """A FakeServer(**options) listening on 127.0.0.1 at a port the kernel picks; stopped and closed after."""
    with _HttpServer(("127.0.0.1", 0), _Handler) as server:
        server.fake = FakeServer(port=server.server_address[1], **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
        thread.start()
        try:
            yield server.fake
        finally:
            server.shutdown()
            thread.join()
