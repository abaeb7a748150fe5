"""Start a throw-away Redis or memcached server (Debian's `redis-server` and `memcached`) for the cache probes.

Each listens only on a Unix socket in its own temporary folder (Redis with `--port 0`: no TCP port at all), started
through harness/processes/services.py, so it and its folder go when the env ends, even by SIGKILL. Readiness is polled
(PING / version over the socket), never slept for. Anything that prevents a start raises CacheServerUnavailable
with the reason and the install command. Probes reach the socket through a harness.observers.delays.DelayProxy on 127.0.0.1.

Threading contract: start and stop a server from one thread (pytest's main thread; see harness/processes/services.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from contract.evidence import describe, excerpt
from harness.processes import services

START_TIMEOUT = 15.0


class CacheServerUnavailable(RuntimeError):
    """The server could not be started here; the message says why (missing binary, its log) and how to fix it."""


@dataclass(frozen=True)
class Kind:
    """How to run one kind of cache server: its binary, Debian package, command, and the ping that proves it ready."""

    name: str
    binary: str
    package: str
    user: str | None  # the user to run as when we are root (memcached refuses root)
    ping: bytes
    pong: bytes
    # What stops it at once: memcached acts on SIGTERM only at its next 1 s clock tick, and holds nothing to save.
    stop_signal: int = signal.SIGTERM

    def command(self, binary: str, folder: Path, socket_path: Path) -> list[str]:
        if self.name == "redis":
            return [binary, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"] + [
                *("--save", "", "--appendonly", "no", "--dir", str(folder))
            ]
        return [binary, "-s", str(socket_path), "-a", "700"] + (["-u", self.user] if self.user else [])


REDIS = Kind("redis", "redis-server", "redis-server", None, b"PING\r\n", b"+PONG")
MEMCACHED = Kind("memcached", "memcached", "memcached", "memcache", b"version\r\n", b"VERSION ", signal.SIGKILL)


@dataclass
class CacheServer:
    """A running server: its kind, version, Unix socket, and the service to stop."""

    kind: Kind
    version: str
    socket_path: Path
    service: services.Service

    def stop(self) -> None:
        """Stop the server by its PID (the process group it leads) and remove its folder."""
        self.service.stop()


def start(kind: Kind, timeout: float = START_TIMEOUT) -> CacheServer:
    """Start a `kind` server on a Unix socket in a new private folder; raise CacheServerUnavailable with the reason."""
    started = time.monotonic()
    binary = shutil.which(kind.binary)
    if binary is None:
        raise CacheServerUnavailable(f"no {kind.binary} on PATH. Fix: apt-get install {kind.package}")
    run_as = kind.user if kind.user and os.geteuid() == 0 else None
    folder = services.scratch_dir(f"probe-{kind.name}-", run_as)
    socket_path, log = folder / f"{kind.name}.sock", folder / f"{kind.name}.log"
    try:
        service = services.spawn(
            kind.command(binary, folder, socket_path), log=log, folder=folder, stop_signal=kind.stop_signal
        )
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, (OSError, subprocess.SubprocessError)):
            raise CacheServerUnavailable(f"{kind.binary} could not be started: {describe(exc)}") from exc
        raise
    try:
        version = _wait_until_ready(kind, socket_path, service, log, timeout)
    except BaseException:
        service.stop()
        raise
    services.STARTUPS.append((kind.name, time.monotonic() - started))
    return CacheServer(kind, version, socket_path, service)


def _wait_until_ready(kind: Kind, socket_path: Path, service: services.Service, log: Path, timeout: float) -> str:
    """Poll the socket with the kind's ping until it answers; the server's version (from the answer or --version)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise CacheServerUnavailable(
                f"{kind.binary} exited with code {service.process.returncode} before answering. Log tail:\n{_tail(log)}"
            )
        answer = _ask(socket_path, kind.ping)
        if answer.startswith(kind.pong):
            return _version(kind, answer)
        time.sleep(0.02)
    raise CacheServerUnavailable(f"{kind.binary} did not answer within {timeout:.0f} s. Log tail:\n{_tail(log)}")


def _ask(socket_path: Path, request: bytes) -> bytes:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        sock.connect(str(socket_path))
        sock.sendall(request)
        return sock.recv(256)
    return b""


def _version(kind: Kind, answer: bytes) -> str:
    """memcached says its version when asked ("VERSION 1.6.18"); Redis in `redis-server --version` ("v=7.0.15")."""
    if kind is MEMCACHED:
        return answer.decode("ascii", "replace").split()[1]
    done = subprocess.run([kind.binary, "--version"], capture_output=True, text=True)
    return next((part[2:] for part in done.stdout.split() if part.startswith("v=")), done.stdout.strip())


def _tail(log: Path) -> str:
    """The log's tail (the folder, and so the log, lives until the server is stopped)."""
    return excerpt(log.read_text(encoding="utf-8", errors="replace"), 500)
