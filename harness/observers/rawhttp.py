"""A raw HTTP/1.1 client for the requests httpx refuses to send: repeated and underscore-named headers as given, a
chunked body, and a chunked body under a Content-Length that understates it (the security probes' requests).

Built on the standard library's http.client, which writes headers exactly as given; the answer is an
HttpObservation like harness/observers/client.py's, with the server's exception from its log. A server that refuses
the request may answer and close, or close before sending anything; both end as what the client saw, never a raise.
https://docs.python.org/3/library/http.client.html
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Sequence

from harness.observers.client import observation
from harness.processes.servers import HOST, Server
from harness.rules.response import HttpObservation

# The size of each chunk of a chunked body.
CHUNK = 16 * 1024


def chunked(body: bytes, size: int = CHUNK) -> bytes:
    """`body` in the chunked transfer coding (RFC 9112 section 7.1): sized chunks, then the empty last chunk."""
    parts = [b"%x\r\n%s\r\n" % (len(body[at : at + size]), body[at : at + size]) for at in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def send(
    server: Server,
    path: str,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    timeout: float = 30.0,
) -> HttpObservation:
    """Send one request with exactly `headers` (in order, repeats kept) and `body` as given, and collect what the
    client and the server's log saw. The caller frames the body: a Content-Length header, or chunked() with a
    Transfer-Encoding header. The server's own headers (server.headers) go first."""
    mark = server.log_mark()
    connection = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    status, answer, response_headers, client_error = None, None, {}, None
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in [*server.headers.items(), *headers]:
            connection.putheader(name, value)
        sent_error = _send(connection, body)
        try:
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            client_error = sent_error or f"{type(exc).__name__}: {exc}"
        else:
            status = response.status
            response_headers = {name.lower(): value for name, value in response.getheaders()}
            if response_headers.get("content-type", "").startswith("application/json"):
                answer = json.loads(content)
    except (OSError, http.client.HTTPException) as exc:
        client_error = f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return observation(server, mark, status, answer, client_error, response_headers)


def _send(connection: http.client.HTTPConnection, body: bytes | None) -> str | None:
    """Send the header block, then `body`. A server that stops reading (it refused the request) may have answered
    all the same: the error is returned, not raised, and the caller reads the answer first."""
    try:
        connection.endheaders()
        if body is not None:
            connection.send(body)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
