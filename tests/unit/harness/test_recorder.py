"""The recorder plugin: every probe leaves exactly one row; a crash is not-run, never absent."""

from __future__ import annotations

import copy
import json
import subprocess
import time
from pathlib import Path

import pytest

from contract.schemas import errors
from harness.recorder import ATTEMPTS, write_atomically
from tests.unit.harness import recorded

PROBES = """
import sysconfig
import pytest
from contract.states import State, Verdict

@pytest.fixture(params=["uvicorn", "daphne"])
def asgi_server(request):
    return request.param

@pytest.fixture
def broken_server():
    raise RuntimeError("uvicorn exited with code 1 before listening")

@pytest.mark.probe("views.recorded")
def test_recorded(asgi_server, probe):
    # A rule that forgot to scrub: the recorder still keeps machine paths and PIDs out of the file.
    site_packages = sysconfig.get_paths()["purelib"]
    facts = {"hops": 2, "lines": [f"File {site_packages}/django/x.py", "pid 4242"]}
    probe.record(Verdict(State.THREADED, f"hopped in {site_packages}", facts, {"loop_thread": 1}))

@pytest.mark.probe("views.crashes")
def test_crashes(probe):
    raise KeyError("no such view")

@pytest.mark.probe("views.silent")
def test_silent(probe):
    pass

@pytest.mark.probe("views.setup-fails")
def test_setup_fails(broken_server, probe):
    probe.record(Verdict(State.NATIVE, "unreachable"))

def test_not_a_probe():
    pass
"""


def _run_probes(folder: Path, *args: str, source: str = PROBES) -> tuple[pytest.RunResult, dict]:
    """Run `source` (PROBES unless told) in a pytest process of its own, as tox runs an env, with the recorder into
    `folder`/results/dj99.json beside what is there (a conftest, an earlier file); pytest's outcome and the data."""
    results = folder / "results" / "dj99.json"
    (folder / "test_probes.py").write_text(source.lstrip(), encoding="utf-8")
    env = recorded.environment(results, PROBE_ENV="dj99")
    command = recorded.command(f"--basetemp={folder / 'basetemp'}", *args)
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=folder, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )
    lines = done.stdout.splitlines(), done.stderr.splitlines()
    return pytest.RunResult(done.returncode, *lines, time.monotonic() - started), json.loads(results.read_text())


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> tuple[Path, pytest.RunResult, dict]:
    """PROBES run once for the module (a pytest process costs about a CPU second): its folder, outcome and data."""
    folder = tmp_path_factory.mktemp("probes")
    return folder, *_run_probes(folder, "--strict-markers")


@pytest.fixture
def run(full_run):
    """The module's run of PROBES, which its tests only read: pytest's outcome, the data and its rows by cell."""
    _, outcome, data = full_run
    return outcome, data, {(row["id"], row["server"]): row for row in data["probes"]}


def _after_full_run(full_run, folder: Path) -> dict:
    """`folder` as the module's full run of PROBES left its own: the same results file, whose data this returns."""
    results = folder / "results" / "dj99.json"
    results.parent.mkdir(exist_ok=True)
    results.write_bytes((full_run[0] / "results" / "dj99.json").read_bytes())
    return dict(json.loads(results.read_text()))


def test_a_session_that_breaks_down_is_incomplete(pytester, monkeypatch):
    results = pytester.path / "results" / "dj99.json"
    for name, value in recorded.environment(results).items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_probes=PROBES)
    # A hook that fails after the first report stands in for pytest losing its output when tox is killed.
    pytester.makeconftest("def pytest_runtest_logfinish(nodeid, location):\n    raise OSError('broken pipe')\n")
    outcome = pytester.runpytest_subprocess(
        "-p", "harness.recorder", "-p", "no:cacheprovider", "-o", "markers=probe(id)"
    )
    assert outcome.ret == pytest.ExitCode.INTERNAL_ERROR
    data = json.loads(results.read_text())
    assert data["complete"] is False
    assert len(data["probes"]) < len([line for line in PROBES.splitlines() if line.startswith("def test_")])


def test_file_describes_the_env(run):
    _, data, _ = run
    assert data["schema"] == 1
    assert data["env"] == "dj99"
    assert data["complete"] is True
    assert set(data["versions"]) >= {"python", "django", "asgiref", "uvicorn", "daphne", "websockets", "pytest"}
    timings = data["timings"]
    assert timings["servers"] == []  # this suite starts none
    assert timings["session_startup"] >= 0
    assert timings["call"] >= 0 and timings["setup"] >= 0


TIMED_PROBE = """
import pytest
from harness.processes import cacheservers
from harness.observers.delays import slow_files
from contract.states import State, Verdict

@pytest.mark.probe("cache.timed")
def test_timed(probe, tmp_path):
    with slow_files(tmp_path, 0.05):
        for name in ("one", "two"):
            with open(tmp_path / name, "w") as handle:
                handle.write("x")
    cacheservers.start(cacheservers.REDIS).stop()
    probe.record(Verdict(State.NATIVE, "timed"))
"""


def test_timings_count_the_injected_delay_and_each_service_start(pytester):
    outcome, data = _run_probes(pytester.path, source=TIMED_PROBE)
    assert outcome.ret == pytest.ExitCode.OK
    timings = data["timings"]
    assert timings["injected_delay"] == 0.1  # two slowed file opens of 0.05 s
    [redis] = timings["services"]
    assert redis["service"] == "redis" and redis["startup"] > 0


def test_recorded_verdict_is_kept_per_server(run):
    _, _, rows = run
    for server in ("uvicorn", "daphne"):
        row = rows[("views.recorded", server)]
        assert (row["state"], row["reason"], row["facts"], row["measurements"]) == (
            "threaded",
            "hopped in <site-packages>",
            {"hops": 2, "lines": ["File <site-packages>/django/x.py", "pid <pid>"]},
            {"loop_thread": 1},
        )
        assert row["reproduce"] == f'tox -e dj99 -- -k "test_recorded and {server}"'
        assert len(row["source_hash"]) == 12


def test_crash_is_not_run_with_reason(run):
    outcome, _, rows = run
    row = rows[("views.crashes", None)]
    assert row["state"] == "not-run"
    assert row["reason"] == "the probe crashed in call: KeyError: 'no such view'"
    line = PROBES.lstrip().splitlines().index('    raise KeyError("no such view")') + 1
    assert row["facts"]["where"].endswith(f"test_probes.py:{line}")


def test_probe_without_verdict_fails_and_is_not_run(run):
    outcome, _, rows = run
    assert rows[("views.silent", None)]["state"] == "not-run"
    outcome.assert_outcomes(passed=3, failed=2, errors=1)


def test_setup_failure_is_not_run(run):
    _, _, rows = run
    row = rows[("views.setup-fails", None)]
    assert row["state"] == "not-run"
    assert "RuntimeError: uvicorn exited with code 1 before listening" in row["reason"]


def test_non_probe_tests_leave_no_row(run):
    _, data, _ = run
    assert len(data["probes"]) == 5


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "dj99.json"
    write_atomically(path, {"ok": 1})
    with pytest.raises(TypeError):
        write_atomically(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["dj99.json"]


def test_a_second_interrupt_while_pytest_handles_the_first_is_not_complete(pytester):
    # Ctrl-C reaches pytest twice (the terminal's SIGINT to the group, then tox's): the second lands while pytest
    # reports the first, so pytest never sets its exit status and calls sessionfinish with "OK".
    pytester.makeconftest(
        "import pytest\n"
        "def pytest_runtest_call(item):\n"
        "    if 'crashes' in item.name:\n"
        "        raise KeyboardInterrupt\n"
        "def pytest_keyboard_interrupt(excinfo):\n"
        "    raise KeyboardInterrupt\n"
    )
    _, data = _run_probes(pytester.path)
    assert [row["id"] for row in data["probes"]] == ["views.recorded", "views.recorded"]
    assert data["complete"] is False


def test_a_partial_rerun_updates_its_cells_and_keeps_the_others(pytester, full_run):
    full = _after_full_run(full_run, pytester.path)
    assert full["complete"] is True
    before = {(row["id"], row["server"]): row for row in full["probes"]}
    outcome, rerun = _run_probes(pytester.path, "-k", "test_recorded and daphne")
    assert outcome.ret == 0
    after = {(row["id"], row["server"]): row for row in rerun["probes"]}
    assert set(after) == set(before)  # nothing erased
    assert after[("views.recorded", "daphne")].get("earlier") is None  # ran now
    kept = after[("views.recorded", "uvicorn")]
    assert kept["earlier"] == {"started": full["started"], "versions": full["versions"]}
    assert {key: value for key, value in kept.items() if key != "earlier"} == before[("views.recorded", "uvicorn")]
    assert rerun["complete"] is True  # every cell has a row: the earlier full run's or this one's
    assert rerun["partial"] is True


def test_a_partial_run_without_an_earlier_file_is_incomplete(pytester):
    _, data = _run_probes(pytester.path, "-k", "test_recorded")
    assert [row["id"] for row in data["probes"]] == ["views.recorded", "views.recorded"]
    assert data["complete"] is False
    assert data["partial"] is True


def test_a_partial_run_keeps_nothing_from_another_envs_file(pytester):
    results = pytester.path / "results" / "dj99.json"
    results.parent.mkdir()
    results.write_text(json.dumps({"schema": 1, "env": "dj42", "complete": True, "probes": [{"id": "x.y"}]}))
    _, data = _run_probes(pytester.path, "-k", "test_recorded")
    assert {row["id"] for row in data["probes"]} == {"views.recorded"}
    assert data["complete"] is False


def test_a_partial_run_that_matches_nothing_changes_nothing(pytester, full_run):
    full = _after_full_run(full_run, pytester.path)
    outcome, again = _run_probes(pytester.path, "-k", "no_such_probe")
    assert outcome.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert again["complete"] is True
    assert [{k: v for k, v in row.items() if k != "earlier"} for row in again["probes"]] == full["probes"]


# A read-only results/ folder, as the recorder meets it (as root, as here, no permission bit stops a write).
UNWRITABLE = """
import harness.recorder

def refuse(path, text):
    raise PermissionError(13, "Permission denied", str(path.parent))

harness.recorder.write_text_atomically = refuse
"""


def test_an_unwritable_results_folder_is_one_line_and_keeps_the_old_file(pytester, full_run):
    _after_full_run(full_run, pytester.path)
    results = pytester.path / "results" / "dj99.json"
    before = results.read_bytes()
    pytester.makeconftest(UNWRITABLE)
    outcome, _ = _run_probes(pytester.path)
    assert results.read_bytes() == before
    assert outcome.ret == pytest.ExitCode.INTERRUPTED  # stopped after the first probe, as Ctrl-C would
    output = outcome.stdout.str() + outcome.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output
    [line] = [line for line in output.splitlines() if "cannot write" in line]
    assert f"{results}: cannot write: Permission denied; make {results.parent}/ writable" in line


def test_an_unwritable_results_folder_found_at_the_end_is_one_line_too(pytester, monkeypatch):
    # No probe ran, so the file is first written when the session ends: no test is left to stop before.
    pytester.makeconftest(UNWRITABLE)
    results = pytester.path / "results" / "dj99.json"
    results.parent.mkdir()
    results.write_text("{}")
    for name, value in recorded.environment(results).items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile(test_probes="def test_not_a_probe():\n    pass\n")
    outcome = pytester.runpytest_subprocess("-p", "harness.recorder", "-p", "no:cacheprovider")
    assert outcome.ret == pytest.ExitCode.INTERRUPTED
    assert outcome.stderr.lines == [
        f"recorder: {results}: cannot write: Permission denied; make {results.parent}/ writable "
        "(the file there, if any, is left as it was)"
    ]
    assert results.read_text() == "{}"


# Probes whose verdict noise may leave undecided (Verdict.retry), each counting its attempts in this process. The
# session fixture stands in for a server: the log shows it is set up again for every round of attempts.
RETRIED = """
import pytest
from contract.states import State, Verdict

LOG = []
COUNTS = {}
WAITED = {"waited_seconds": 0.5}  # a burst's sleeps: what the benchmark counts as waiting on purpose

def log(event):
    LOG.append(event)
    with open("events.log", "a") as handle:
        handle.write(event + "\\n")

@pytest.fixture(scope="session")
def server():
    log("server up")
    yield
    log("server down")

def attempt(name):
    COUNTS[name] = COUNTS.get(name, 0) + 1
    log(f"{name} {COUNTS[name]}")
    return COUNTS[name]

def gray(n):
    return Verdict(State.UNDECIDED, "the samples do not settle it", {"samples": ["gray"]}, {**WAITED, "noise_ms": 1.0 + n}, True)

@pytest.mark.probe("views.settles")
def test_settles(server, probe):
    n = attempt("settles")
    overlapped = Verdict(State.THREADED, "overlapped", {"samples": ["overlapped"]}, {"noise_ms": 2.5})
    probe.record(gray(n) if n == 1 else overlapped)

@pytest.mark.probe("views.never")
def test_never(server, probe):
    probe.record(gray(attempt("never")))

@pytest.mark.probe("views.unmeasured")
def test_unmeasured(server, probe):
    attempt("unmeasured")
    probe.record(Verdict(State.UNDECIDED, "the server's loop-stall meter did not answer", {}, {"noise_ms": None}))

@pytest.mark.probe("views.settled")
def test_settled(server, probe):
    attempt("settled")
    probe.record(Verdict(State.NATIVE, "overlapped on the loop", {}, {"noise_ms": 0.5}))
"""


@pytest.fixture(scope="module")
def retried(tmp_path_factory):
    """RETRIED run once for the module; its tests only read the result."""
    folder = tmp_path_factory.mktemp("retried")
    outcome, data = _run_probes(folder, source=RETRIED)
    assert outcome.ret == pytest.ExitCode.OK
    events = (folder / "events.log").read_text().splitlines()
    return data, {row["id"]: row for row in data["probes"]}, events


def test_undecided_probes_are_measured_again_after_the_others_in_rounds(retried):
    assert ATTEMPTS == 3
    _, _, events = retried
    assert events == [
        *("server up", "settles 1", "never 1", "unmeasured 1", "settled 1", "server down"),
        *("server up", "settles 2", "never 2", "server down"),  # each round sets the session fixtures up again
        *("server up", "never 3", "server down"),
    ]


def test_a_probe_that_settles_on_attempt_two_keeps_both_attempts(retried):
    _, rows, _ = retried
    row = rows["views.settles"]
    assert (row["state"], row["reason"], row["facts"]) == ("threaded", "overlapped", {"samples": ["overlapped"]})
    measurements = row["measurements"]
    assert measurements["retried"] == "settled on attempt 2 of 3"
    assert measurements["noise_ms"] == 2.5  # the settling attempt's own measurements stay where they were
    first, second = measurements["attempts"]
    assert first["state"] == "undecided" and first["reason"] == "the samples do not settle it"
    assert (first["facts"], first["measurements"]) == ({"samples": ["gray"]}, {"waited_seconds": 0.5, "noise_ms": 2.0})
    assert (second["state"], second["facts"]) == ("threaded", {"samples": ["overlapped"]})
    assert row["duration"] == pytest.approx(first["duration"] + second["duration"], abs=0.002)


def test_a_probe_that_never_settles_stays_undecided_with_every_attempt(retried):
    _, rows, _ = retried
    row = rows["views.never"]
    assert row["state"] == "undecided"
    assert row["facts"] == {"samples": ["gray"]}  # facts stay what one attempt saw: stable run to run
    assert row["measurements"]["retried"] == "undecided on attempt 3 of 3"
    assert [attempt["measurements"]["noise_ms"] for attempt in row["measurements"]["attempts"]] == [2.0, 3.0, 4.0]


def test_neither_a_settled_probe_nor_one_undecided_for_a_lasting_reason_is_measured_again(retried):
    _, rows, events = retried
    for probe in ("views.settled", "views.unmeasured"):
        assert "attempts" not in rows[probe]["measurements"]
        assert "retried" not in rows[probe]["measurements"]
    assert events.count("settled 1") == events.count("unmeasured 1") == 1
    assert not [event for event in events if event.startswith(("settled 2", "unmeasured 2"))]


def test_the_env_records_its_worst_idle_noise_and_its_waits_over_every_attempt(retried):
    data, _, _ = retried
    assert data["timings"]["noise_ms"] == 4.0  # views.never's third attempt
    assert data["timings"]["waited"] == 2.0  # four undecided attempts waited 0.5 s each
    assert data["complete"] is True


def test_an_env_without_a_noise_measurement_records_none_and_no_waits(run):
    _, data, _ = run
    assert data["timings"]["noise_ms"] is None
    assert data["timings"]["waited"] == 0.0


def test_a_file_with_retried_probes_matches_the_results_schema(retried):
    data = copy.deepcopy(retried[0])  # the module's tests share the run: change a copy
    assert errors(data, "results.schema.json") == []
    data["timings"]["noise_ms"] = "loud"
    assert [error.message for error in errors(data, "results.schema.json")] == [
        "'loud' is not of type 'number', 'null'"
    ]
