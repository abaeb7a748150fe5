"""pytest plugin: every probe test leaves one result row, and each env one JSON results file.

Load it with `-p harness.recorder` (tox.ini does). A probe test takes the `probe` fixture
and calls `probe.record(verdict)`. A test that fails before recording becomes `not-run` with the
reason, never `absent`. The file is rewritten atomically after every probe, so an env killed
half-way still leaves the rows it completed (with `"complete": false`). The file is complete only when every
probe pytest collected recorded its row.

A partial run (`-k`, `-m` or `--deselect`: tox always names the whole suite) updates only the cells it ran: the other
rows of the env's earlier file stay, each with `"earlier": {"started", "versions"}` of the run that recorded
it, so nothing is erased and the report can tell an old verdict from a new one.

A probe whose verdict noise may have left undecided (`Verdict.retry`: a gray burst, a noisy meter) is measured again
after every other probe, in rounds, until it settles or has had ATTEMPTS attempts. Its row is its last attempt's
verdict; every attempt (state, reason, facts, measurements, duration) is kept in its `measurements`, which are
volatile, with a sentence such as "settled on attempt 2 of 3". A settled verdict is never measured again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contract.atomic import write_text_atomically
from contract.evidence import describe, scrub
from contract.rows import NOISE, SCHEMA_VERSION, WAITED, Row
from contract.states import State, Verdict
from harness.observers.versions import installed
from harness.observers.worklog import WORK
from harness.processes.servers import STARTED
from harness.processes.services import STARTUPS

# The packages whose exact versions decide a result; each is recorded with every results file.
PACKAGES = (
    *("django", "asgiref", "uvicorn", "websockets", "daphne", "twisted", "httpx", "pytest", "pytest-django"),
    # what the Channels, PostgreSQL and HTTP/2 probes run on (None where a release has no pin for it)
    *("channels", "psycopg", "psycopg2-binary", "hypercorn", "h2"),
    # the protocol libraries under the servers and the cache backends' clients (the as-shipped axis varies them)
    *("h11", "autobahn", "redis", "pymemcache"),
)
# How many times, in all, a probe whose verdict noise may have left undecided is measured (Verdict.retry).
ATTEMPTS = 3


@dataclass
class ProbeRun:
    """What a probe test holds: its id, its server (if any), and the verdict it reaches."""

    id: str
    server: str | None
    verdict: Verdict | None = None

    def record(self, verdict: Verdict) -> None:
        self.verdict = verdict


@dataclass(frozen=True)
class Attempt:
    """One run of a probe test: the verdict it reached and the call's duration (s)."""

    verdict: Verdict
    duration: float


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        found[name] = installed(name)
    return found


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temp file beside `path`, then rename: readers never see half a file."""
    write_text_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


class Recorder:
    def __init__(self, path: Path, env: str) -> None:
        self.path = path
        self.env = env
        self.started = dt.datetime.now(dt.timezone.utc)
        self.clock = time.monotonic()
        self.versions = versions()
        # This run's rows by node id, in the order first recorded: a probe measured again replaces its row.
        self.rows: dict[str, Row] = {}
        # The probe tests collected to run (node ids), and those that recorded a row.
        self.expected: set[str] | None = None
        self.recorded: set[str] = set()
        self.partial = False
        self.deselected = False
        # Rows of an earlier run kept by a partial run, and whether that run's file was complete.
        self.kept: list[dict[str, Any]] = []
        self.earlier_complete = False
        self.phases = {"setup": 0.0, "call": 0.0, "teardown": 0.0}
        self.first_probe: float | None = None
        # Over every attempt: the worst idle noise (ms) of a stall meter any probe measured, the time probes waited.
        self.noise: float | None = None
        self.waited = 0.0
        # Why the results file cannot be written (the session stops at the next test, saying so), or None.
        self.unwritable: str | None = None

    def add(self, nodeid: str, row: Row, verdict: Verdict) -> None:
        self.rows[nodeid] = row
        self.recorded.add(nodeid)
        noise, waited = (_number(verdict.measurements.get(key)) for key in (NOISE, WAITED))
        if noise is not None:
            self.noise = max(noise, self.noise or 0.0)
        self.waited += waited or 0.0
        self.write(complete=False)

    def collected(self, items: list[pytest.Item]) -> None:
        """Note which probes this session runs; a partial session keeps the earlier file's other rows."""
        probes = [item for item in items if probe_id(item) is not None]
        self.expected = {item.nodeid for item in probes}
        # Partial: -k, -m or --deselect left probes out (tox's command always names the whole suite).
        self.partial = self.deselected
        if self.partial:
            ran = {(probe_id(item), server_of(item)) for item in probes}
            self.kept, self.earlier_complete = _earlier_rows(self.path, self.env, ran)
            self.write(complete=False)

    def finished(self, exitstatus: int) -> bool:
        """Whether the session ran all it collected, each probe recorded its row, and (if partial) nothing is missing.

        pytest's exit status alone is not enough: a second Ctrl-C while pytest reports the first leaves it "OK".
        """
        ran_all = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or (
            # a -k that matches nothing changed nothing: the earlier file stays as complete as it was
            self.partial and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED
        )
        recorded_all = self.expected is not None and self.expected <= self.recorded
        return ran_all and recorded_all and (self.earlier_complete or not self.partial)

    def write(self, complete: bool) -> None:
        """Rewrite the results file; if it cannot be written, say why in `unwritable` and write no more."""
        if self.unwritable:
            return
        try:
            self._write(complete)
        except OSError as exc:
            self.unwritable = (
                f"{self.path}: cannot write: {exc.strerror or exc}; make {self.path.parent}/ writable "
                "(the file there, if any, is left as it was)"
            )

    def _write(self, complete: bool) -> None:
        django = self.versions.get("django") or ""
        partial = {"partial": True} if self.partial else {}
        write_atomically(
            self.path,
            {
                "schema": SCHEMA_VERSION,
                "env": self.env,
                "release": ".".join(django.split(".")[:2]),
                "versions": self.versions,
                "started": self.started.isoformat(timespec="seconds"),
                "duration": round(time.monotonic() - self.clock, 3),
                "complete": complete,
                **partial,
                "probes": [*self.rows.values(), *self.kept],
                "timings": self.timings(),
            },
        )

    def timings(self) -> dict[str, Any]:
        """Where the env's time went: start-up before the first probe, each server's and service's start, each test
        phase, what the probes waited on purpose (contract/rows.py WAITED) and the delay they injected into I/O
        (harness/observers/delays.py), and the worst idle noise of a stall meter (ms, None when no probe measured one): how
        busy the machine was while this env ran."""
        startup = None if self.first_probe is None else round(self.first_probe - self.clock, 3)
        services = [{"service": name, "startup": round(seconds, 3)} for name, seconds in STARTUPS]
        servers = [
            {
                "server": server.name,
                "app": server.app,
                "settings": server.settings,
                "startup": round(server.startup_seconds, 3),
            }
            for server in STARTED
        ]
        return {
            "session_startup": startup,
            "servers": servers,
            "services": services,
            "waited": round(self.waited, 3),
            "injected_delay": round(sum(WORK.delays), 3),
            "noise_ms": self.noise,
            **{k: round(v, 3) for k, v in self.phases.items()},
        }


def _earlier_rows(path: Path, env: str, ran: set[tuple[str | None, str | None]]) -> tuple[list[dict[str, Any]], bool]:
    """The rows of the env's earlier file that this run does not replace, and whether that file was complete.

    Each kept row says which run recorded it (`earlier`); a file of another env or schema, or one that does not
    parse, gives nothing to keep (the report then shows those cells as not-run).
    """
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], False
    if not isinstance(earlier, dict) or earlier.get("schema") != SCHEMA_VERSION or earlier.get("env") != env:
        return [], False
    rows = earlier.get("probes")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        return [], False
    run = {"started": earlier.get("started"), "versions": earlier.get("versions")}
    kept = [
        {**row, "earlier": row.get("earlier", run)} for row in rows if (row.get("id"), row.get("server")) not in ran
    ]
    return kept, earlier.get("complete") is True


_RECORDER = pytest.StashKey[Recorder]()
_RUN = pytest.StashKey[ProbeRun]()
_ATTEMPTS = pytest.StashKey["list[Attempt]"]()


def probe_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("probe")
    return str(marker.args[0]) if marker else None


def server_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("asgi_server") if callspec else None


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> ProbeRun:
    """The run of the probe this test decides (from its `@pytest.mark.probe(id)` marker)."""
    item = request.node
    identifier = probe_id(item)
    if identifier is None:
        raise pytest.UsageError(f"{item.nodeid} uses the `probe` fixture but has no @pytest.mark.probe(id) marker")
    run = ProbeRun(identifier, server_of(item))
    item.stash[_RUN] = run
    return run


def pytest_configure(config: pytest.Config) -> None:
    # tox ends an interrupted env with SIGTERM; Python would die at once and leave the servers (in their own
    # process groups) running. As KeyboardInterrupt it unwinds like Ctrl-C: fixtures stop servers, rows are kept.
    signal.signal(signal.SIGTERM, _interrupt)
    path = os.environ.get("PROBE_RESULTS")
    if path:
        config.stash[_RECORDER] = Recorder(Path(path), os.environ.get("PROBE_ENV", "local"))


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        recorder = items[0].config.stash.get(_RECORDER, None)
        if recorder is not None:
            recorder.deselected = True


def pytest_collection_finish(session: pytest.Session) -> None:
    recorder = session.config.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.collected(session.items)
        _stop_if_unwritable(session, recorder)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    recorder = item.config.stash.get(_RECORDER, None)
    if recorder is not None:
        recorder.phases[report.when] += report.duration
        if recorder.first_probe is None:
            recorder.first_probe = time.monotonic() - report.duration
    identifier = probe_id(item)
    if identifier is None or not (report.when == "call" or (report.when == "setup" and report.failed)):
        return
    run = item.stash.get(_RUN, None)
    if run is not None and run.verdict is not None and not report.failed:
        verdict = run.verdict
    elif report.failed:
        reason = describe(call.excinfo.value) if call.excinfo else "the probe failed"
        verdict = Verdict(State.NOT_RUN, f"the probe crashed in {report.when}: {reason}", {"where": _crash_site(call)})
    else:
        verdict = Verdict(State.NOT_RUN, "the probe ended without recording a verdict")
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid}: probe {identifier!r} ended without calling probe.record(...)"
    attempts = item.stash.setdefault(_ATTEMPTS, [])
    attempts.append(Attempt(verdict, report.duration))
    if recorder is not None:
        recorder.add(item.nodeid, _row(item, identifier, attempts, recorder.env), verdict)
        _stop_if_unwritable(item.session, recorder)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """After pytest's own loop ran every test, measure again each probe whose verdict asks for it (module docstring)."""
    ran = yield
    for attempt in range(2, ATTEMPTS + 1):
        again = [item for item in session.items if _measure_again(item)]
        if not again:
            break
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")  # ends the line of progress dots
            reporter.write_sep("-", f"measuring {len(again)} undecided probe(s) again: attempt {attempt} of {ATTEMPTS}")
        # As pytest's own loop does: the last item tears the session fixtures (servers) down, the next round sets
        # them up again.
        for item, nextitem in zip(again, [*again[1:], None]):
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
    return ran


def _measure_again(item: pytest.Item) -> bool:
    """Whether a probe's last verdict asks for another attempt, and it has one left."""
    attempts = item.stash.get(_ATTEMPTS, [])
    return bool(attempts) and attempts[-1].verdict.retry and len(attempts) < ATTEMPTS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recorder = session.config.stash.get(_RECORDER, None)
    if recorder is not None:
        # Only a session that ran all it collected is complete. An interrupt, or an internal error (as when tox
        # is killed and pytest's output pipe breaks under it), leaves the probes it did not reach to be not-run.
        recorder.write(complete=recorder.finished(exitstatus))
        if recorder.unwritable:
            if session.shouldstop != recorder.unwritable:  # found only now: pytest has not said it
                print(f"recorder: {recorder.unwritable}", file=sys.stderr)
            session.exitstatus = pytest.ExitCode.INTERRUPTED


def _stop_if_unwritable(session: pytest.Session, recorder: Recorder) -> None:
    """Stop after this test when the results file cannot be written: pytest ends with the reason, exit status 2,
    tearing everything down as for Ctrl-C (a probe run whose rows cannot be kept is of no use)."""
    if recorder.unwritable:
        session.shouldstop = recorder.unwritable


def _number(value: object) -> float | None:
    """`value` if it is a number (a rule's measurement may be None, or missing), else None."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _row(item: pytest.Item, identifier: str, attempts: list[Attempt], env: str) -> Row:
    """The row of a probe's last attempt; with more than one, every attempt is in its measurements."""
    server = server_of(item)
    function = getattr(item, "function", None)
    source = inspect.getsource(function) if function else item.nodeid
    selector = item.name.split("[")[0] + (f" and {server}" if server else "")
    verdict = attempts[-1].verdict
    return {
        "id": identifier,
        "server": server,
        "state": verdict.state.value,
        "reason": scrub(verdict.reason),
        "facts": _scrubbed(verdict.facts),
        "measurements": _scrubbed({**verdict.measurements, **_attempts(attempts)}),
        "duration": round(sum(attempt.duration for attempt in attempts), 3),
        "source_hash": hashlib.sha256(source.encode()).hexdigest()[:12],
        "reproduce": f'tox -e {env} -- -k "{selector}"',
    }


def _attempts(attempts: list[Attempt]) -> dict[str, Any]:
    """Every attempt of a probe measured more than once, and how it ended ("settled on attempt 2 of 3"); {} for one."""
    if len(attempts) == 1:
        return {}
    state = attempts[-1].verdict.state
    ended = state.value if state in (State.UNDECIDED, State.NOT_RUN) else "settled"
    each = [
        {
            "state": attempt.verdict.state.value,
            "reason": attempt.verdict.reason,
            "facts": attempt.verdict.facts,
            "measurements": attempt.verdict.measurements,
            "duration": round(attempt.duration, 3),
        }
        for attempt in attempts
    ]
    return {"attempts": each, "retried": f"{ended} on attempt {len(attempts)} of {ATTEMPTS}"}


def _scrubbed(value: Any) -> Any:
    """`value` with every string in it scrubbed: whatever a rule forgot, no machine path or PID is recorded."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item) for item in value]
    return value


def _crash_site(call: pytest.CallInfo[None]) -> str | None:
    if not call.excinfo or not call.excinfo.traceback:
        return None
    entry = call.excinfo.traceback[-1]
    return scrub(f"{entry.path}:{entry.lineno + 1}")
