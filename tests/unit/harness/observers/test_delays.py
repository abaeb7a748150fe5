"""The delay injectors slow only what they target, note the thread and delay of each slowed operation, and the
proxy forwards faithfully and closes cleanly.

No timing is asserted: what the injectors note in the work log is the observation.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from harness.observers.delays import DelayProxy, NotingClient, slow_files
from harness.observers.worklog import WORK

DELAY = 0.001


def test_file_operations_under_the_directory_are_slowed_and_noted(tmp_path):
    inside, outside = tmp_path / "cache", tmp_path / "other"
    inside.mkdir()
    outside.mkdir()
    mark = WORK.mark()
    with slow_files(inside, DELAY):
        (outside / "x").write_text("not slowed")
        with open(inside / "a", "w") as file:  # 1
            file.write("slowed")
        fd, name = tempfile.mkstemp(dir=inside)  # 2: os.open
        os.close(fd)
        os.replace(name, inside / "b")  # 3
        os.remove(inside / "a")  # 4
        os.unlink(str(inside / "b"))  # 5
        assert not os.path.exists(inside / "b")  # 6: os.stat
        with open(fd_holder(outside), "rb"):  # an open descriptor passes untouched
            pass
    assert WORK.since(mark) == (threading.get_ident(),) * 6
    assert WORK.delayed_ms_since(mark) == pytest.approx(6 * DELAY * 1000)


def fd_holder(folder: Path) -> int:
    path = folder / "fd"
    path.write_bytes(b"")
    return os.open(path, os.O_RDONLY)


def test_patches_are_undone(tmp_path):
    before = (open, os.open, os.stat, os.remove, os.unlink, os.rename, os.replace)
    with slow_files(tmp_path, DELAY):
        assert os.open is not before[1]
    assert (open, os.open, os.stat, os.remove, os.unlink, os.rename, os.replace) == before


def echo_server(path: str) -> socket.socket:
    """A Unix socket server that echoes each connection's bytes until it closes."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                chunk = connection.recv(4096)
                while chunk:
                    connection.sendall(chunk)
                    chunk = connection.recv(4096)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_proxy_forwards_both_ways_and_notes_each_delayed_request():
    folder = tempfile.mkdtemp(prefix="probe-proxy-")  # short: a Unix socket path has a length limit
    listener = echo_server(os.path.join(folder, "echo.sock"))
    mark = WORK.mark()
    try:
        with DelayProxy(os.path.join(folder, "echo.sock"), DELAY) as proxy:
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
                for request in (b"ping", b"again"):
                    client.sendall(request)
                    assert client.recv(100) == request
            assert WORK.delayed_ms_since(mark) == pytest.approx(2 * DELAY * 1000)
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", proxy.port), timeout=1):
            pass
    finally:
        listener.close()
        os.unlink(os.path.join(folder, "echo.sock"))
        os.rmdir(folder)


def test_proxy_closes_a_client_whose_upstream_is_gone(tmp_path):
    with (
        DelayProxy(str(tmp_path / "nothing.sock"), DELAY) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client,
    ):
        assert client.recv(10) == b""


def test_noting_client_notes_each_call_and_passes_attributes():
    class Client:
        servers = ("a",)

        def get(self, key):
            return key.upper()

    mark = WORK.mark()
    client = NotingClient(Client())
    assert client.servers == ("a",)
    assert client.get("k") == "K"
    assert WORK.since(mark) == (threading.get_ident(),)
