"""The PostgreSQL harness: a real server on a private Unix socket, gone after, and a clear reason when it cannot start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from contract.evidence import ROOT
from harness.processes import postgres
from tests.unit.harness.processes.test_services import alive as _alive


@pytest.fixture(scope="module")
def bin_dir():
    try:
        return postgres.find_bin_dir()
    except postgres.PostgresUnavailable as exc:
        # .ci/run installs PostgreSQL; a developer machine without it still gets every other self-test.
        pytest.skip(str(exc))


def test_missing_binaries_name_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        postgres.PostgresUnavailable, match=r"no PostgreSQL binaries .* Fix: apt-get install postgresql"
    ):
        postgres.find_bin_dir(str(tmp_path / "*" / "bin"))


def test_server_starts_on_a_socket_answers_and_is_gone_after(bin_dir):
    server = postgres.start(bin_dir)
    try:
        assert server.version[0].isdigit()
        assert (server.socket_dir / f".s.PGSQL.{postgres.PORT}").exists()
        query = [str(bin_dir / "psql"), "-h", str(server.socket_dir), "-U", postgres.SUPERUSER, "-d", "postgres"]
        done = subprocess.run([*query, "-Atc", "SHOW listen_addresses"], capture_output=True, text=True, timeout=10)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == ""  # no TCP listener at all
    finally:
        postgres.shutdown(server)
    assert server.process.poll() is not None
    assert not server.socket_dir.exists()


def _answers(bin_dir, server):
    query = [str(bin_dir / "psql"), "-h", str(server.socket_dir), "-U", postgres.SUPERUSER, "-d", "postgres"]
    done = subprocess.run([*query, "-Atc", "CREATE TABLE t (x int)"], capture_output=True, text=True, timeout=10)
    return done.returncode == 0


def test_each_server_runs_on_its_own_copy_of_one_cached_cluster(bin_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = postgres.start(bin_dir)
    try:
        second = postgres.start(bin_dir)
        try:
            # Both write to their own copy at once: the same table name in each is no clash.
            assert _answers(bin_dir, first) and _answers(bin_dir, second)
        finally:
            postgres.shutdown(second)
    finally:
        postgres.shutdown(first)
    [cached] = (tmp_path / "django-async-measured").iterdir()
    assert cached.name.startswith(f"postgres-{first.version}-")
    assert (cached / "PG_VERSION").is_file() and not (cached / "base" / "postmaster.pid").exists()


def test_without_a_writable_cache_each_server_gets_its_own_initdb(bin_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    server = postgres.start(bin_dir)
    try:
        assert _answers(bin_dir, server)
    finally:
        postgres.shutdown(server)


def test_a_server_that_exits_early_reports_its_log(bin_dir):
    # A fake postgres that dies at once stands in for a misconfigured server. It lives under /tmp, not pytest's
    # private tmp_path, because as root the server runs as `postgres`, which must be able to reach it.
    fake = Path(tempfile.mkdtemp(prefix="probe-fake-pg-"))
    try:
        fake.chmod(0o755)
        for name in ("initdb", "pg_isready"):
            (fake / name).symlink_to(bin_dir / name)
        (fake / "postgres").write_text("#!/bin/sh\necho 'FATAL: no way' >&2\nexit 1\n")
        (fake / "postgres").chmod(0o755)
        with pytest.raises(postgres.PostgresUnavailable, match=r"(?s)postgres exited with code 1.*FATAL: no way"):
            postgres.start(fake, timeout=10)
    finally:
        shutil.rmtree(fake)


KILLED_OWNER = """
import sys, time
from pathlib import Path
from harness.processes import postgres
server = postgres.start(Path(sys.argv[1]))
print(server.process.pid, server.socket_dir, flush=True)
time.sleep(120)
"""


def test_a_killed_owner_leaves_no_server_and_no_folder(bin_dir):
    # SIGKILL runs no teardown (the OOM killer, `kill -9`, tox escalating): the kernel and a watchdog must do it.
    command = [sys.executable, "-c", KILLED_OWNER, str(bin_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as owner:
        try:
            pid, folder = owner.stdout.readline().split()
        finally:
            owner.kill()
    deadline = time.monotonic() + 15
    while (_alive(int(pid)) or Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(int(pid)), "postgres outlived the process that started it"
    assert not Path(folder).exists(), f"{folder} outlived the process that started it"
