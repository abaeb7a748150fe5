"""Run daphne's command line with one change: an application instance is reaped as soon as it finishes.

daphne notices a finished (or crashed) application only in `Server.application_checker`, which runs once a second,
so every request whose application raises waits up to 1 s for its 500, and the probes wait with it. Here each
instance's future also schedules one pass of that same checker when it finishes: the same code decides and logs
the same thing (the exception, the 500), only without the wait. The 1 s loop still runs as before.
https://github.com/django/daphne/blob/main/daphne/server.py (application_checker)

Threading contract: everything runs on the reactor's thread (daphne's asyncio loop), as daphne's own checker does.
"""

from __future__ import annotations

from typing import Any

# daphne.server installs Twisted's asyncio reactor when imported: it must come before any other Twisted import.
from daphne.server import Server  # isort: skip
from daphne.cli import CommandLineInterface
from twisted.internet import reactor as _reactor

reactor: Any = _reactor  # Twisted's interface stubs do not describe the reactor as it is used here


class EagerServer(Server):  # type: ignore[misc]
    """daphne's Server, which also checks its application instances the moment one of them finishes."""

    def create_application(self, protocol: Any, scope: Any) -> Any:
        queue = super().create_application(protocol, scope)
        instance = self.connections.get(protocol, {}).get("application_instance")
        if instance is not None:
            instance.add_done_callback(lambda _: reactor.callLater(0, self.check_once))
        return queue

    def check_once(self) -> None:
        """One pass of daphne's application_checker, without the next pass it schedules (its own loop goes on)."""
        call_later = reactor.callLater

        def later(delay: float, function: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(function, "__self__", None) is self and function.__func__ is Server.application_checker:
                return None
            return call_later(delay, function, *args, **kwargs)

        reactor.callLater = later
        try:
            self.application_checker()
        finally:
            del reactor.callLater  # the reactor's own method again


def main() -> None:
    CommandLineInterface.server_class = EagerServer
    CommandLineInterface.entrypoint()
