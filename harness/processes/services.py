"""Start the processes a probe env needs (a database, a cache) so that they end with the env, however it ends.

`spawn` starts a service in its own session (so teardown reaches every process it forks) with two guarantees that
need no teardown at all, because a SIGKILLed pytest (tox escalating, the OOM killer) runs none:

- the kernel sends the service `stop_signal` when the process that started it dies (PR_SET_PDEATHSIG, armed
  after any switch to another user, which would clear it);
- a small watchdog, holding the read end of a pipe only the starter writes to, sees the pipe close when the
  starter ends or dies, then kills what is left of the service's process group and removes its folder as soon as
  no member runs (zombies waiting for init to reap them do not count).

`Service.stop()` is the ordinary teardown. Every call is made from one thread (pytest's main thread): the
parent-death signal fires when the thread that started the service ends.

    folder = services.scratch_dir("probe-redis-")
    service = services.spawn(["redis-server", "--dir", str(folder)], log=folder / "redis.log", folder=folder)
    try:
        ...
    finally:
        service.stop()
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT = 5.0
# A RAM file system, where the machine has one with room: a PostgreSQL server's copy of its cluster is 970 files,
# which this machine's disk took 1 s of CPU to create and /dev/shm 0.09 s. Below MEMORY_ROOM free (a container's
# 64 MB default) the system temp dir serves.
MEMORY = Path("/dev/shm")
MEMORY_ROOM = 1 << 30
# Every service this process started and the seconds it took to answer, in order (harness/recorder.py reports them).
STARTUPS: list[tuple[str, float]] = []
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>: the signal a child gets when its parent dies

# Run by the watchdog's own interpreter: argv = service pid, stop signal, grace seconds, folder ("" for none).
_WATCHDOG = """
import os, shutil, signal, sys, time
pid, stop, grace, folder = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.stdin.buffer.read()  # returns when the starter closes the pipe or dies

def group_alive():
    # A member that has exited but waits for its reaper runs no more: with the starter gone, the service's zombies
    # are init's to reap, when it gets to them (seconds, in some containers).
    for entry in os.scandir("/proc"):
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                state, _parent, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pid and state not in "ZX":
            return True
    return False

deadline = time.monotonic() + grace
if group_alive():
    try:
        os.killpg(pid, stop)
    except OSError:
        pass
while group_alive() and time.monotonic() < deadline:
    time.sleep(0.05)
if group_alive():
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
if folder:
    shutil.rmtree(folder, ignore_errors=True)
"""


@dataclass
class Service:
    """A started service: its process (leader of its own process group), its folder, and its watchdog."""

    process: subprocess.Popen[bytes]
    stop_signal: int
    folder: Path | None
    _watchdog: subprocess.Popen[bytes]
    _lifeline: int

    def stop(self) -> None:
        """Stop the process group (`stop_signal`, SIGKILL if it lingers), remove the folder, end the watchdog."""
        stop(self.process, self.stop_signal)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.close(self._lifeline)
        self._watchdog.wait()


def scratch_dir(prefix: str, user: str | None = None) -> Path:
    """A new private folder (short, so a Unix socket path in it fits) owned by `user`: under $TMPDIR when it is set,
    else in MEMORY when that has MEMORY_ROOM free, else under the system temp dir."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=_scratch_parent()))
    if user:
        shutil.chown(folder, user, user)
    return folder


def _scratch_parent() -> str | None:
    """MEMORY when it has room and $TMPDIR does not say otherwise; None for tempfile's own choice."""
    if os.environ.get("TMPDIR"):
        return None
    try:
        free = os.statvfs(MEMORY)
    except OSError:
        return None
    return str(MEMORY) if free.f_bavail * free.f_frsize >= MEMORY_ROOM and os.access(MEMORY, os.W_OK) else None


def spawn(
    command: list[str],
    log: Path,
    *,
    stop_signal: int = signal.SIGTERM,
    user: str | None = None,
    folder: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    """Start `command` (as `user` if given), output to `log`; it dies with us and `folder` is removed after it.

    `stop_signal` is what the service takes as "shut down now" (PostgreSQL: SIGINT); it is also the parent-death
    signal, and the watchdog sends SIGKILL to whatever still runs STOP_TIMEOUT seconds later.
    """
    lifeline_read, lifeline = os.pipe()
    try:
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=die_with_parent(stop_signal, user),
            )
        arguments = [str(process.pid), str(int(stop_signal)), str(STOP_TIMEOUT), str(folder or "")]
        watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, *arguments], stdin=lifeline_read, start_new_session=True
        )
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(lifeline_read)
    return Service(process, stop_signal, folder, watchdog, lifeline)


def die_with_parent(signal_number: int = signal.SIGKILL, user: str | None = None) -> Callable[[], None] | None:
    """What a child runs before exec: switch to `user` if given, then ask for `signal_number` when we die.

    The user switch happens here, before prctl, because the kernel clears the parent-death signal on a change
    of credentials. Linux only (prctl); elsewhere the child just switches user (or nothing is run).
    """
    ids = pwd.getpwnam(user) if user else None
    parent = os.getpid()
    # Looked up now: between fork and exec the child must not import or allocate.
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
    if ids is None and prctl is None:
        return None

    def arm() -> None:
        if ids is not None:
            os.setgroups([])
            os.setgid(ids.pw_gid)
            os.setuid(ids.pw_uid)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal_number)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

    return arm


def stop(process: subprocess.Popen[bytes], signal_number: int = signal.SIGTERM) -> None:
    """Signal the process group `process` leads (SIGTERM unless told), then SIGKILL it if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
