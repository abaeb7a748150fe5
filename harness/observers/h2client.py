"""The probes' HTTP/2 client. It runs in its own pinned venv (requirements/observer-h2.txt, made by observerenv.py), not
in the probe env, whose httpx and h2 are the stack's of the release day (httpx 0.18 of 2020 cannot speak h2c).

    python -m harness.observers.h2client READY_URL VIEW_URL [--cafile PEM] [--timeout S]

asks the readiness path, then Django's view, on one connection, and prints what it saw as one JSON object (Exchange).
Over https it offers h2 and http/1.1 and the server chooses by ALPN; over http it speaks HTTP/2 from its first byte
(prior knowledge, h2c), which a server without h2c refuses. https://www.python-httpx.org/http2/
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from contract.evidence import ROOT, describe
from harness.observers.observerenv import run_json
from harness.observers.versions import installed

LOCK = ROOT / "requirements" / "observer-h2.txt"
MODULE = "harness.observers.h2client"
TIMEOUT = 10.0  # s, per request
STARTUP = 15.0  # s, for the client's interpreter to start and import httpx, on a busy machine


@dataclass(frozen=True)
class Exchange:
    """What the client saw: the protocol of the readiness answer (no Django in it), then Django's answer."""

    client: str  # the client's own versions: "httpx 0.28.1, h2 4.4.1, Python 3.11"
    negotiated: str | None  # httpx's http_version of the readiness answer, None when there was none
    alpn: str | None  # the protocol TLS chose by ALPN; None in cleartext
    refused: str | None  # the client's error when the readiness request got no answer
    ready_error: str | None  # the client's error when the readiness answer began (negotiated) but did not end
    status: int | None  # the view's status, None when its request failed or was not made
    body: dict[str, Any] | None  # the view's JSON answer, None when it sent no JSON
    client_error: str | None  # the client's error on the view's request


def exchange(ready: str, view: str, cafile: Path | None, timeout: float = TIMEOUT) -> Exchange:
    """Ask `ready`, then `view`, from the observer venv (trusting only `cafile` over TLS).

    Raises observerenv.ObserverEnvError when the venv cannot be made or the client gave no answer.
    """
    trust = ["--cafile", str(cafile)] if cafile else []
    arguments = ["-m", MODULE, ready, view, "--timeout", str(timeout), *trust]
    return Exchange(**run_json(LOCK, arguments, timeout=2 * timeout + STARTUP))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=MODULE, description="Ask two URLs over HTTP/2 on one connection.")
    parser.add_argument("ready", help="the readiness URL: its answer says which protocol the connection speaks")
    parser.add_argument("view", help="Django's view, asked after it on the same connection")
    parser.add_argument("--cafile", help="over TLS, the only certificate to trust (default: the system's)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per request")
    args = parser.parse_args(argv)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=args.cafile) if args.cafile else True
    # Over TLS both protocols are offered and ALPN chooses; in cleartext nothing negotiates: HTTP/2 from the start.
    http1 = args.ready.startswith("https:")
    negotiated, alpn, refused, ready_error = None, None, None, None
    response, client_error = None, None
    with httpx.Client(http1=http1, http2=True, verify=verify, timeout=args.timeout) as client:
        try:
            with client.stream("GET", args.ready) as ready:
                negotiated = ready.http_version  # the headers came: the connection speaks this, whatever follows
                alpn = _alpn(ready)  # read while the connection is open: a closed one has no TLS object left
                ready.read()
        except httpx.HTTPError as exc:
            refused, ready_error = (describe(exc), None) if negotiated is None else (None, describe(exc))
        if negotiated is not None and ready_error is None:
            response, client_error = _send(client, args.view)
    is_json = response is not None and response.headers.get("content-type", "").startswith("application/json")
    seen = Exchange(
        client=f"httpx {installed('httpx')}, h2 {installed('h2')}, Python {sys.version_info[0]}.{sys.version_info[1]}",
        negotiated=negotiated,
        alpn=alpn,
        refused=refused,
        ready_error=ready_error,
        status=response.status_code if response is not None else None,
        body=response.json() if response is not None and is_json else None,
        client_error=client_error,
    )
    print(json.dumps(asdict(seen)))
    return 0


def _send(client: httpx.Client, url: str) -> tuple[httpx.Response | None, str | None]:
    try:
        return client.get(url), None
    except httpx.HTTPError as exc:
        return None, describe(exc)


def _alpn(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    return ssl_object.selected_alpn_protocol() if ssl_object is not None else None


if __name__ == "__main__":
    raise SystemExit(main())
