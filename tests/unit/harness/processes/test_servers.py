"""The server harness: real uvicorn, daphne and hypercorn on 127.0.0.1, ready before use, gone after, and clear when
it fails; over TLS too (the tools env pins every server the probes use)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from harness.processes import asgi2, servers
from harness.processes.servers import DAPHNE, HOST, ServerStartError, run_server, tls_command
from harness.processes.tls import self_signed

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
        pytest.raises(ServerStartError, match=r"did not answer /__harness__/ready within 1 s"),
        run_server("uvicorn", tmp_path, app="tests.unit.harness.asgi_app:__doc__", timeout=1),
    ):
        pass


def test_hypercorn_reports_the_port_it_bound_and_listens_on_loopback_only(tmp_path):
    with run_server("hypercorn", tmp_path, app=APP) as server:
        pid, port = server.process.pid, server.port
        assert server.ready == {"entrypoint_error": None}
        # It serves the socket the harness bound (fd://), and logs the same port.
        assert f"Running on http://{HOST}:{port} " in server.log()
        assert _listening_addresses(port) == {"0100007F"}
        # --workers 0: the process we started is the one listening, not a spawned worker that could outlive it.
        assert _listening_pids(port) == {pid}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("name", ["uvicorn", "daphne"])
def test_server_serves_the_socket_the_harness_bound(tmp_path, name):
    with run_server(name, tmp_path, app=APP) as server:
        # The harness knows the port before the server logs anything: the server listens on the inherited socket,
        # which the harness's own copy no longer holds.
        assert _listening_pids(server.port) == {server.process.pid}
        assert "--fd" in server.process.args


def test_asgi2_face_runs_the_asgi3_app_named_in_the_environment(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, APP)
    asgi2._target.cache_clear()
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    instance = asgi2.application({"type": "http", "path": "/"})  # ASGI 2: the scope first, nothing runs yet
    assert sent == []
    asyncio.run(instance(receive, send))
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    asgi2._target.cache_clear()


@pytest.mark.parametrize(
    ("version", "expected"), [("2.2.5", False), ("2.3.0", True), ("2.10.1", True), ("4.2.3", True), (None, True)]
)
def test_asgi3_since_compares_release_numbers(monkeypatch, version, expected):
    monkeypatch.setattr(servers, "installed", lambda name: version)
    assert servers._since("daphne", servers.ASGI3_SINCE) is expected
    assert servers._since("uvicorn", servers.ASGI3_SINCE)  # every uvicorn the envs have speaks ASGI 3


NO_GRACE = ["--graceful-timeout", "0"]


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("uvicorn", "0.54.0", [*servers.COMMANDS["uvicorn"][:2], "--fd", "7", "--lifespan", "auto"]),
        # uvicorn 0.6 crashes on --fd: it binds the port the harness just freed
        (
            "uvicorn",
            "0.6.1",
            [*servers.COMMANDS["uvicorn"][:2], "--lifespan", "auto", "--host", HOST, "--port", "8000"],
        ),
        ("hypercorn", "0.18.0", ["-m", "hypercorn", "--bind", "fd://7", "--workers", "0", *NO_GRACE]),
        # before 0.15 there is no --workers 0; one worker is the in-process server (0.14: one spawned worker)
        ("hypercorn", "0.13.2", ["-m", "hypercorn", "--bind", "fd://7", "--workers", "1", *NO_GRACE]),
        # before 0.10 there is no --graceful-timeout (nor a 3 s wait at shutdown)
        ("hypercorn", "0.9.0", ["-m", "hypercorn", "--bind", "fd://7", "--workers", "1"]),
    ],
)
def test_server_arguments_fit_the_installed_release(monkeypatch, name, version, expected):
    monkeypatch.setattr(servers, "installed", lambda package: version)
    fd = None if version == "0.6.1" else 7
    assert servers.server_arguments(name, None, 8000, fd) == expected


def test_tls_command_gives_daphne_an_escaped_endpoint_in_place_of_its_bind_options():
    tls = SimpleNamespace(certificate=Path("/tmp/a:b/cert=1.pem"), key=Path("/tmp/key.pem"))
    command = tls_command("daphne", tls)  # type: ignore[arg-type]
    assert command == [
        "-c",
        DAPHNE,
        "-e",
        rf"ssl:0:interface={HOST}:privateKey=/tmp/key.pem:certKey=/tmp/a\:b/cert\=1.pem",
    ]
    assert tls_command("hypercorn", tls)[-4:] == ["--certfile", "/tmp/a:b/cert=1.pem", "--keyfile", "/tmp/key.pem"]  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["uvicorn", "daphne", "hypercorn"])
def test_server_over_tls_is_ready_on_https_and_trusted_only_through_its_certificate(tmp_path, name):
    with run_server(name, tmp_path, app=APP, tls=self_signed(tmp_path)) as server:
        assert server.url("/").startswith(f"https://{HOST}:")
        assert server.ready == {"entrypoint_error": None}
        assert _listening_addresses(server.port) == {"0100007F"}
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(server.url("/"), timeout=5)


def _listening_pids(port: int) -> set[int]:
    """The processes holding a LISTEN socket on `port`: the socket's inode, found among each process's fds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                    inodes.add(fields[9])
    pids = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:  # the process or fd went away, or is not ours to read
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            pids.add(int(fd.parts[2]))
    return pids
