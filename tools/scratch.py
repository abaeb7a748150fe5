"""Scratch folders and child processes that go away however the tool that made them ends.

    with scratch_folder("bisect-") as folder:
        run(["uv", "venv", str(folder / "venv")], check=True)

`scratch_folder(prefix)` yields a new private folder `<temp dir>/<prefix>XXXXXXXX` and removes it:

- when the block ends, normally or by an exception;
- on SIGINT, SIGTERM or SIGHUP: while the block runs, each raises KeyboardInterrupt in the main thread, so the
  clean-up runs (a signal the caller ignores stays ignored; in another thread no handler is installed). The old
  handlers are back after the block;
- without being cut short: a signal that arrives during the removal is held, and raised as KeyboardInterrupt once
  the folder is gone (tox sends SIGTERM 0.3 s after its SIGINT unless the env raises `interrupt_timeout`);
- on SIGKILL or any other death that runs no `finally`: a watchdog (its own session, so a Ctrl-C to the group
  passes it by) holds the read end of a pipe only this process writes to, sees it close, and removes the folder.

`run(command, ...)` is `subprocess.run` whose child the kernel sends `death_signal` (SIGKILL unless told) when
this process dies (harness/services.die_with_parent), so a killed tool leaves no uv or pytest running; on
KeyboardInterrupt `subprocess.run` itself kills the child before the exception goes on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from harness.processes.services import die_with_parent

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# Run by the watchdog's own interpreter: argv = the folder. Retried a while: a child killed with its parent may
# still be closing files in it.
_WATCHDOG = """
import os, shutil, sys, time
sys.stdin.buffer.read()  # returns when the owner closes the pipe or dies
for _ in range(50):
    shutil.rmtree(sys.argv[1], ignore_errors=True)
    if not os.path.lexists(sys.argv[1]):
        break
    time.sleep(0.1)
"""


class _Interrupts:
    """While entered, SIGNALS raise KeyboardInterrupt; while `holding` they are only noted, and `resume` raises."""

    def __init__(self) -> None:
        self.holding = False
        self._held: list[str] = []
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                old = signal.getsignal(number)
                if old not in (signal.SIG_IGN, None):
                    self._old[number] = old
                    signal.signal(number, self._on_signal)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for number, old in self._old.items():
            signal.signal(number, old)

    def resume(self) -> None:
        """Stop holding; raise KeyboardInterrupt if a signal came while held."""
        self.holding = False
        if self._held:
            name, self._held = self._held[0], []
            raise KeyboardInterrupt(name)

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        if not self.holding:
            raise KeyboardInterrupt(name)
        self._held.append(name)


@contextlib.contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A new folder under the system temp dir, removed however the block or the process ends (see above)."""
    with _Interrupts() as interrupts:
        folder, watchdog, lifeline = None, None, -1
        try:
            interrupts.holding = True  # neither the set-up nor the clean-up is cut short
            folder = Path(tempfile.mkdtemp(prefix=prefix))
            watchdog, lifeline = _watch(folder)
            interrupts.resume()
            yield folder
        finally:
            interrupts.holding = True
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if watchdog is not None:
                os.close(lifeline)
                watchdog.wait()
        interrupts.resume()


def _watch(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start the watchdog of `folder`; returns it and the write end of its pipe (close it to let the watchdog go)."""
    lifeline_read, lifeline = os.pipe()
    try:
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-c", _WATCHDOG, str(folder)],
            stdin=lifeline_read,
            stdout=subprocess.DEVNULL,  # not tox's pipe: tox would wait for the watchdog to let go of it
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        os.close(lifeline)
        raise
    finally:
        os.close(lifeline_read)
    return watchdog, lifeline


def run(
    command: Sequence[str], *, death_signal: int = signal.SIGKILL, **options: Any
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run(command, **options)`; the child gets `death_signal` when this process dies first."""
    return subprocess.run(command, preexec_fn=die_with_parent(death_signal), **options)
