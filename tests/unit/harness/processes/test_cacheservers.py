"""The Redis and memcached harness: a real server on a private Unix socket, gone after, and the install command when
it cannot start."""

from __future__ import annotations

import shutil
import socket

import pytest

from harness.processes import cacheservers
from harness.processes.cacheservers import MEMCACHED, REDIS, CacheServerUnavailable


@pytest.mark.parametrize("kind", [REDIS, MEMCACHED], ids=lambda kind: kind.name)
def test_server_answers_on_its_socket_only_and_is_gone_after(kind):
    if shutil.which(kind.binary) is None:  # .ci/run installs both; a machine without them runs every other test
        pytest.skip(f"no {kind.binary}")
    server = cacheservers.start(kind)
    try:
        assert server.version[0].isdigit()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(server.socket_path))
            client.sendall(kind.ping)
            assert client.recv(100).startswith(kind.pong)
    finally:
        server.stop()
    assert server.service.process.poll() is not None
    assert not server.socket_path.parent.exists()


@pytest.mark.parametrize("kind", [REDIS, MEMCACHED], ids=lambda kind: kind.name)
def test_a_missing_binary_names_the_install_command(kind, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CacheServerUnavailable, match=rf"no {kind.binary} on PATH. Fix: apt-get install {kind.package}"):
        cacheservers.start(kind)


def test_a_server_that_exits_early_reports_its_log(tmp_path, monkeypatch):
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'FATAL: no way' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CacheServerUnavailable, match=r"(?s)exited with code 3 before answering.*FATAL: no way"):
        cacheservers.start(REDIS)
