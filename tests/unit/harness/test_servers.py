"""The server harness: a real uvicorn on 127.0.0.1, ready before use, gone after, and clear when it fails."""

from __future__ import annotations

import os
import socket

import pytest

from tests.harness.servers import HOST, ServerStartError, run_server

APP = "tests.unit.harness.asgi_app:app"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port`, read from the kernel's table."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


def test_server_is_ready_then_stopped(tmp_path):
    with run_server("uvicorn", tmp_path, app=APP) as server:
        pid, port = server.process.pid, server.port
        assert server.ready == {"entrypoint_error": None}
        assert server.startup_seconds > 0
        # Bound to loopback only: 0100007F is 127.0.0.1 in the kernel's little-endian hex.
        assert _listening_addresses(port) == {"0100007F"}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with socket.socket() as probe:
        probe.bind((HOST, port))  # the port is free again


def test_server_that_cannot_import_its_app_fails_with_its_log(tmp_path):
    with (
        pytest.raises(ServerStartError) as caught,
        run_server("uvicorn", tmp_path, app="tests.unit.harness.no_such_module:app"),
    ):
        pass
    message = str(caught.value)
    assert "uvicorn exited with code 3 before listening" in message
    assert "no_such_module" in message


def test_server_that_never_answers_times_out(tmp_path):
    # An app that is not ASGI at all: uvicorn starts, but the readiness request never gets a 200.
    with (
        pytest.raises(ServerStartError, match=r"did not answer /__harness__/ready within 2 s"),
        run_server("uvicorn", tmp_path, app="tests.unit.harness.asgi_app:__doc__", timeout=2),
    ):
        pass
