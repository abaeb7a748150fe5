"""Start a throw-away PostgreSQL server (Debian's `postgresql` package) for the ORM probes, and always stop it.

Each server gets a fresh cluster in a temporary directory: a copy of one that initdb made once per machine and
PostgreSQL version (in the user's cache dir, built atomically), which is faster than running initdb per env. The server listens only on a Unix socket in that directory
(no TCP port at all), so it cannot collide with anything on the machine. PostgreSQL refuses to run as root, so as
root both initdb and the server run as the `postgres` user the package creates. Readiness is polled with
pg_isready, never slept for. Anything that prevents a start raises PostgresUnavailable with the reason.
The server is a harness.processes.services service: it and its directory go when the env ends, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.evidence import describe, excerpt
from harness.processes import services

# Debian installs each major version's binaries here, off PATH.
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
SERVICE_USER = "postgres"
SUPERUSER = "probe"
# Only names the socket file (.s.PGSQL.5432) in our own directory: nothing listens on a TCP port.
PORT = 5432
START_TIMEOUT = 30.0
# 1 MB WAL segments, not 16: the first segment was a third of a new cluster's bytes, which each server copies (into
# memory where it can, harness/processes/services.py).
INITDB_OPTIONS = ("-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync", "--wal-segsize=1")
# The Django database alias the PostgreSQL probes route every query to (tests/probes/test_postgresql.py).
ALIAS = "postgresql"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started here; the message says why (missing binaries, a failed initdb, its log)."""


@dataclass
class Postgres:
    """A running server: where its socket is, its version, and the service to stop."""

    socket_dir: Path
    version: str
    service: services.Service
    log_path: Path

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.service.process

    def database(self, name: str) -> dict[str, Any]:
        """A Django DATABASES entry for database `name` on this server."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": SUPERUSER,
            "HOST": str(self.socket_dir),
            "PORT": str(PORT),
        }


def find_bin_dir(pattern: str = DEBIAN_BIN_DIRS) -> Path:
    """The newest directory holding both initdb and postgres: Debian's, else whatever PATH has."""
    candidates = sorted((Path(p) for p in glob.glob(pattern)), key=_major, reverse=True)
    on_path = shutil.which("initdb")
    candidates += [Path(on_path).parent] if on_path else []
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise PostgresUnavailable(
        f"no PostgreSQL binaries (initdb, postgres) in {pattern} or on PATH. Fix: apt-get install postgresql"
    )


def start(bin_dir: Path | None = None, timeout: float = START_TIMEOUT) -> Postgres:
    """initdb a temporary cluster and start a server on it; raise PostgresUnavailable with the reason."""
    started = time.monotonic()
    bin_dir = bin_dir or find_bin_dir()
    run_as = _run_as()
    base = services.scratch_dir("probe-pg-", run_as)
    data, log_path = base / "data", base / "postgres.log"
    try:
        _cluster(bin_dir, data, run_as)
        service = services.spawn(
            [str(bin_dir / "postgres"), "-D", str(data), "-k", str(base), "-p", str(PORT)]
            + ["-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off"],
            log=log_path,
            # PostgreSQL's fast shutdown: it ends open sessions, where SIGTERM would wait for them to disconnect.
            stop_signal=signal.SIGINT,
            user=run_as,
            folder=base,
        )
    except BaseException as exc:
        shutil.rmtree(base, ignore_errors=True)
        if isinstance(exc, (OSError, subprocess.SubprocessError)):
            raise PostgresUnavailable(f"PostgreSQL could not be set up: {describe(exc)}") from exc
        raise
    server = Postgres(base, _version(bin_dir), service, log_path)
    try:
        _wait_until_ready(server, bin_dir, timeout)
    except BaseException:
        shutdown(server)
        raise
    services.STARTUPS.append(("postgresql", time.monotonic() - started))
    return server


def shutdown(server: Postgres) -> None:
    """Stop the server by its PID (the process group it leads) and remove its directory."""
    server.service.stop()


def _major(directory: Path) -> int:
    match = re.search(r"/(\d+)/bin$", str(directory))
    return int(match.group(1)) if match else 0


def _run_as() -> str | None:
    """The user to run PostgreSQL as: `postgres` when we are root (the server refuses root), else ourselves."""
    return SERVICE_USER if os.geteuid() == 0 else None


def cache_dir() -> Path:
    """Where this machine keeps the initialized clusters: the user's cache dir (XDG_CACHE_HOME, else ~/.cache)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "django-async-measured"


def _cluster(bin_dir: Path, data: Path, run_as: str | None) -> None:
    """A fresh cluster at `data`, owned by `run_as`: a copy of the cached one, or initdb's own when none can be cached."""
    try:
        template = _cached_cluster(bin_dir, run_as)
    except OSError:  # no writable cache dir: initdb this env's cluster, as before the cache
        _initdb(bin_dir, data, run_as)
        return
    shutil.copytree(str(template), str(data), symlinks=True)
    if run_as:
        ids = pwd.getpwnam(run_as)
        for folder, _dirs, files in os.walk(data):
            os.chown(folder, ids.pw_uid, ids.pw_gid)
            for name in files:
                os.lchown(os.path.join(folder, name), ids.pw_uid, ids.pw_gid)


def _cached_cluster(bin_dir: Path, run_as: str | None) -> Path:
    """The machine's initialized cluster for this PostgreSQL version and INITDB_OPTIONS, made by initdb if missing.

    Built in a scratch folder and renamed into place, so a concurrent env sees either none or a complete one (when two
    build it at once, the first rename wins and the other's copy is dropped).
    """
    key = hashlib.sha256(" ".join(INITDB_OPTIONS).encode()).hexdigest()[:8]
    cached = cache_dir() / f"postgres-{_version(bin_dir, 'initdb')}-{key}"
    if (cached / "PG_VERSION").is_file():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    scratch = services.scratch_dir("probe-pg-initdb-", run_as)
    building = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=str(cached.parent)))
    try:
        _initdb(bin_dir, scratch / "data", run_as)
        shutil.move(str(scratch / "data"), str(building / "data"))  # a rename where both are on one file system
        try:
            os.rename(building / "data", cached)
        except OSError:
            if not (cached / "PG_VERSION").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(building, ignore_errors=True)
    return cached


def _initdb(bin_dir: Path, data: Path, run_as: str | None) -> None:
    done = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), *INITDB_OPTIONS],
        capture_output=True,
        preexec_fn=services.die_with_parent(signal.SIGKILL, run_as),
        env={**os.environ, "LC_ALL": "C"},
        timeout=START_TIMEOUT,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
        raise PostgresUnavailable(f"initdb exited with code {done.returncode}: {excerpt(output, 500)}")


def _version(bin_dir: Path, program: str = "postgres") -> str:
    """`postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` -> "15.14"."""
    done = subprocess.run([str(bin_dir / program), "--version"], capture_output=True, text=True)
    match = re.search(r"\) (\d+(?:\.\d+)?)", done.stdout)
    return match.group(1) if match else done.stdout.strip()


def _wait_until_ready(server: Postgres, bin_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    command = [str(bin_dir / "pg_isready"), "-q", "-h", str(server.socket_dir), "-p", str(PORT), "-U", SUPERUSER]
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise PostgresUnavailable(
                f"postgres exited with code {server.process.returncode} before accepting connections. "
                f"Log tail:\n{excerpt(_read(server.log_path), 500)}"
            )
        with contextlib.suppress(subprocess.TimeoutExpired):
            if subprocess.run(command, timeout=5).returncode == 0:
                return
        time.sleep(0.05)
    raise PostgresUnavailable(
        f"postgres did not accept connections within {timeout:.0f} s. Log tail:\n{excerpt(_read(server.log_path), 500)}"
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
