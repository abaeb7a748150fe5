"""Run a real ASGI server (uvicorn, daphne or hypercorn) as a subprocess on 127.0.0.1, and always stop it.

The harness binds a socket on 127.0.0.1 port 0 itself and hands it to the server as an inherited file descriptor
(`--fd`, hypercorn's `fd://`), so it knows the port without reading any log, there is no window in which another
process could take it, and every server version back to 2019 can do it (uvicorn 0.13 crashes on `--port 0`; old
versions log `:0`). Only daphne over TLS binds port 0 itself and logs the port. Readiness is polled, never slept for.
Given a certificate (harness/processes/tls.py) a server speaks TLS, and may negotiate HTTP/2 by ALPN.
https://www.uvicorn.org/settings/ https://github.com/django/daphne#http2-support https://hypercorn.readthedocs.io/
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from contract.evidence import ROOT, excerpt
from harness.observers.versions import installed
from harness.processes import asgi2
from harness.processes.services import die_with_parent, stop

if TYPE_CHECKING:  # tls.py needs `cryptography`, which only the probe envs have
    from harness.processes.tls import Tls

HOST = "127.0.0.1"
READY_PATH = "/__harness__/ready"
START_TIMEOUT = 20.0

# daphne's command line, reaping a finished application at once rather than at its next 1 s check (harness/processes/daphnecheck.py).
DAPHNE = "from harness.processes.daphnecheck import main; main()"
FD = "{fd}"  # replaced by the number of the listening socket the server inherits
COMMANDS = {
    # uvicorn before 0.7 and daphne before 3.0 have no `python -m`: both run their console script's entry point.
    "uvicorn": ["-c", "from uvicorn.main import main; main()", "--fd", FD, "--lifespan", "auto"],
    "daphne": ["-c", DAPHNE, "--fd", FD],
    # --workers 0 serves from the process we start: a spawned worker would outlive a SIGKILLed pytest, since
    # the parent-death signal (harness/processes/services.py) reaches only the direct child.
    "hypercorn": ["-m", "hypercorn", "--bind", f"fd://{FD}", "--workers", "0"],
}
# The first release of each server that speaks ASGI 3; older ones get harness/processes/asgi2.py in front of the app.
ASGI3_SINCE = {"daphne": (2, 3), "hypercorn": (0, 6)}
# uvicorn before 0.7 crashes on --fd (UnboundLocalError in its startup): it gets --host and a port picked just before.
FD_SINCE = {"uvicorn": (0, 7)}
# hypercorn before 0.15 has no `--workers 0`: up to 0.13 `--workers 1` serves in-process, 0.14 spawns one worker.
WORKERS_ZERO_SINCE = {"hypercorn": (0, 15)}
# hypercorn 0.10-0.13 waits its whole graceful timeout (3 s) when stopped, even with no connection open; from 0.10 on
# the timeout can be set, and nothing measures a server's shutdown.
GRACEFUL_TIMEOUT_SINCE = {"hypercorn": (0, 10)}
# daphne over TLS listens through a Twisted endpoint on port 0 and logs the port it got.
DAPHNE_TLS_LISTENING = re.compile(r"Listening on TCP address 127\.0\.0\.1:(\d+)")


# Every server this process started, in order: the recorder reports their start-up times.
STARTED: list[Server] = []


@functools.lru_cache(maxsize=None)  # not functools.cache: the as-shipped envs run Python 3.7
def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class ServerStartError(RuntimeError):
    """The server exited or did not answer in time; the message carries its log tail."""


class ServerDied(RuntimeError):
    """The server exited while a probe used it: what the probe's client saw says nothing about Django."""


@dataclass
class Server:
    name: str
    app: str
    process: subprocess.Popen[bytes]
    log_path: Path
    settings: str = ""
    port: int = 0
    ready: dict[str, object] = field(default_factory=dict)
    startup_seconds: float = 0.0
    tls: Tls | None = None
    # Sent with every request the probes' `get` makes, e.g. the middleware stack it asks project.asgi for.
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str, scheme: str | None = None) -> str:
        scheme = scheme or ("https" if self.tls else "http")
        return f"{scheme}://{HOST}:{self.port}{path}"

    def verify(self) -> ssl.SSLContext:
        """What an httpx client passes as `verify`: over TLS, a context trusting only this server's certificate; over
        plain HTTP the process's one default context (httpx given `True` builds its own for every client, and a
        request sent without a client is a client: 30 ms of CPU each, which competed with the server it measured)."""
        return self.tls.context() if self.tls else _default_context()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_mark(self) -> int:
        """A position in the log; `log_since(mark)` returns what the server wrote after it."""
        return self.log_path.stat().st_size

    def log_since(self, mark: int, settle: float = 0.01) -> str:
        """What the server logged after `mark`; raises ServerDied if it is gone (every probe reads this)."""
        # The server may log an exception just after the client saw the response (uvicorn, daphne and Django log
        # before they answer, so a short settle is enough; WebSocket probes pass more). Waiting on the process
        # rather than sleeping also catches one that is dying: its refused connection must not become a verdict.
        try:
            self.process.wait(timeout=settle)
        except subprocess.TimeoutExpired:
            pass
        else:
            raise ServerDied(f"{self.name} {_exit(self.process)} during the probe. Log tail:\n{excerpt(self.log())}")
        with self.log_path.open("rb") as handle:
            handle.seek(mark)
            return handle.read().decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<Server {self.name} {self.app} listening at {self.url('/')}>"


@contextlib.contextmanager
def run_server(
    name: str,
    log_dir: Path,
    app: str = "project.asgi:application",
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT,
    tls: Tls | None = None,
) -> Iterator[Server]:
    """Start `name` serving `app` (over TLS when given `tls`), wait until it answers, yield it, and stop it."""
    log_path = log_dir / f"{name}{'-tls' if tls else ''}-{app.replace(':', '-')}.log"
    served, env = app, dict(env or {})
    if not _since(name, ASGI3_SINCE):
        served, env[asgi2.TARGET] = "harness.processes.asgi2:application", app
    listener = None if name == "daphne" and tls else _listen()
    port = listener.getsockname()[1] if listener else 0
    fds = (listener.fileno(),) if listener and _since(name, FD_SINCE) else ()
    if listener and not fds:
        listener.close()  # frees the port for the server; the kernel does not hand it out again at once
    command = [sys.executable, *server_arguments(name, tls, port, fds[0] if fds else None), served]
    started = time.monotonic()
    with log_path.open("wb") as log, listener or contextlib.nullcontext():
        process = subprocess.Popen(
            command,
            pass_fds=fds,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,  # its own process group, so teardown reaches its children too
            # A SIGKILLed pytest runs no teardown: the kernel then kills the server (it sits in its own session).
            preexec_fn=die_with_parent(signal.SIGKILL),
        )
    settings = (env or {}).get("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", ""))
    server = Server(name, app, process, log_path, settings, port=port, tls=tls)
    try:
        _wait_until_ready(server, started, timeout)
        server.startup_seconds = time.monotonic() - started
        STARTED.append(server)
        yield server
    finally:
        stop(process)


def server_arguments(name: str, tls: Tls | None, port: int, fd: int | None) -> list[str]:
    """The server's command line after `python`: serving the inherited socket `fd`, or `port` when it cannot."""
    arguments = COMMANDS[name] if tls is None else tls_command(name, tls)
    if fd is not None:
        arguments = [arg.replace(FD, str(fd)) for arg in arguments]
    elif FD in arguments:
        arguments = [*(arg for arg in arguments if arg not in ("--fd", FD)), "--host", HOST, "--port", str(port)]
    if not _since(name, WORKERS_ZERO_SINCE):
        arguments = ["1" if previous == "--workers" else arg for previous, arg in zip(["", *arguments], arguments)]
    if name in GRACEFUL_TIMEOUT_SINCE and _since(name, GRACEFUL_TIMEOUT_SINCE):
        arguments = [*arguments, "--graceful-timeout", "0"]
    return arguments


def _since(name: str, table: dict[str, tuple[int, int]]) -> bool:
    """Whether the installed `name` is at least the version `table` gives for it (True when it names none)."""
    version = installed(name)
    if name not in table or version is None:
        return True
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2]) >= table[name]


def _listen() -> socket.socket:
    """A TCP socket listening on 127.0.0.1 at a port the kernel picks, for the server to inherit.

    The caller closes its own copy once the server has started: the server's copy keeps listening.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, 0))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def tls_command(name: str, tls: Tls) -> list[str]:
    """`COMMANDS[name]` serving TLS with `tls`'s certificate; each server takes it its own way."""
    certificate, key = str(tls.certificate), str(tls.key)
    if name == "daphne":
        # A Twisted endpoint replaces -b/-p (daphne would listen on both); ALPN offers h2 when twisted[http2] is in.
        endpoint = f"ssl:0:interface={HOST}:privateKey={_endpoint_quote(key)}:certKey={_endpoint_quote(certificate)}"
        return ["-c", DAPHNE, "-e", endpoint]
    options = {
        "uvicorn": ["--ssl-certfile", certificate, "--ssl-keyfile", key],
        "hypercorn": ["--certfile", certificate, "--keyfile", key],
    }
    return [*COMMANDS[name], *options[name]]


def _endpoint_quote(value: str) -> str:
    """A value inside a Twisted endpoint string, where ':' and '=' separate arguments unless escaped."""
    return re.sub(r"([\\:=])", r"\\\1", value)


def _wait_until_ready(server: Server, started: float, timeout: float) -> None:
    # Imported here: httpx imports its command line (click, rich, pygments) where they are installed, 80 ms that every
    # process importing this module for its records (the recorder in each probe env) paid without starting a server.
    import httpx

    deadline = started + timeout
    verify = server.verify()
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"{server.name} {_exit(server.process)} before listening. Log tail:\n{excerpt(server.log())}"
            )
        if not server.port:
            match = DAPHNE_TLS_LISTENING.search(server.log())
            server.port = int(match.group(1)) if match else 0
        if server.port:
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(server.url(READY_PATH), timeout=1.0, verify=verify)
                if response.status_code == 200:
                    server.ready = response.json()
                    return
        time.sleep(0.02)
    raise ServerStartError(
        f"{server.name} did not answer {READY_PATH} within {timeout:.0f} s. Log tail:\n{excerpt(server.log())}"
    )


def _exit(process: subprocess.Popen[bytes]) -> str:
    """How a finished server ended: "exited with code 3" or "was killed by SIGKILL"."""
    code = process.returncode
    if code >= 0:
        return f"exited with code {code}"
    known = {member.value: member.name for member in signal.Signals}
    return f"was killed by {known.get(-code, f'signal {-code}')}"
