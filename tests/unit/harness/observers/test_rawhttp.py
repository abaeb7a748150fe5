"""The raw HTTP/1.1 client against a socket server on 127.0.0.1 that records the bytes it received: headers and bodies
go out exactly as given, and a refusal (an answer without the view's, or a closed connection) is seen, never raised."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from harness.observers.rawhttp import chunked, send

JSON_ANSWER = b'{"delivered": 3}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Served-By: raw\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(JSON_ANSWER), JSON_ANSWER)
)
REFUSAL = b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass
class RawServer:
    """What rawhttp.send reads of a Server (port, headers, ready, log_mark, log_since), answering every request with
    `answer` once it has read the request whole (or at once, when `early`); an empty `answer` closes unanswered."""

    answer: bytes = ANSWER
    early: bool = False
    port: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    ready: dict[str, object] = field(default_factory=lambda: {"entrypoint_error": None})
    log_lines: list[str] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)

    def log_mark(self) -> int:
        return len(self.log_lines)

    def log_since(self, mark: int) -> str:
        return "\n".join(self.log_lines[mark:])


def _read_request(connection: socket.socket, early: bool) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next((int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length:")), 0)
    is_chunked = b"transfer-encoding: chunked" in lines
    while not early and ((is_chunked and not body.endswith(b"0\r\n\r\n")) or (not is_chunked and len(body) < length)):
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        fake: RawServer = self.server.fake  # type: ignore[attr-defined]
        fake.received.append(_read_request(self.request, fake.early))
        fake.log_lines.append("ValueError: logged while answering")
        self.request.sendall(fake.answer)


@contextlib.contextmanager
def serving(**options: object) -> Iterator[RawServer]:
    server = RawServer(**options)  # type: ignore[arg-type]
    with socketserver.TCPServer(("127.0.0.1", 0), _Handler) as tcp:
        tcp.fake = server  # type: ignore[attr-defined]
        server.port = tcp.server_address[1]
        thread = threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            tcp.shutdown()
            thread.join()


def test_chunked_frames_a_body_in_sized_chunks_and_ends_with_the_empty_one():
    assert chunked(b"abc", size=2) == b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
    assert chunked(b"") == b"0\r\n\r\n"


def test_headers_go_out_as_given_repeats_underscores_and_order_kept_after_the_servers_own():
    given = [("X-Repeated", "v"), ("X-Repeated", "v"), ("X_Auth_User", "spoof"), ("X-Probe-Control", "sent")]
    with serving(headers={"x-probe-stack": "default"}) as server:
        seen = send(server, "/security/headers/", headers=given)  # type: ignore[arg-type]
    head = server.received[0].split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert head[0] == "GET /security/headers/ HTTP/1.1"
    assert head[2:] == ["x-probe-stack: default", *(f"{name}: {value}" for name, value in given)]  # after Host
    assert (seen.status, seen.body, seen.headers["x-served-by"]) == (200, json.loads(JSON_ANSWER), "raw")
    assert (seen.server_exception, seen.client_error) == ("ValueError: logged while answering", None)


def test_a_chunked_body_goes_out_whole_beside_a_content_length_that_understates_it():
    body = b"x" * 40000
    headers = [("Transfer-Encoding", "chunked"), ("Content-Length", "9")]
    with serving() as server:
        seen = send(server, "/security/upload/", "POST", headers, chunked(body))  # type: ignore[arg-type]
    head, _, sent = server.received[0].partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked\r\nContent-Length: 9" in head
    assert sent == chunked(body) and seen.status == 200


def test_a_refusal_without_the_views_answer_is_a_status_without_a_body():
    with serving(answer=REFUSAL, early=True) as server:
        seen = send(server, "/security/repeated/", headers=[("X-Repeated", "v")] * 3)  # type: ignore[arg-type]
    assert (seen.status, seen.body, seen.client_error) == (431, None, None)


def test_a_connection_closed_without_an_answer_is_a_client_error_not_a_raise():
    with serving(answer=b"", early=True) as server:
        seen = send(server, "/security/body/", "POST", [("Content-Length", "5")], b"hello")  # type: ignore[arg-type]
    assert seen.status is None and seen.body is None
    assert seen.client_error is not None  # RemoteDisconnected, or a reset while the body was still going out
