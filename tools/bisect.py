"""Find the patch (or the dependency release) where a cell's state changed between a release as shipped and today.

    python -m tools.bisect views.async-function 3.0 --server uvicorn   one cell
    python -m tools.bisect --all                                       every cell that differs in results/
    (or `tox -e bisect -- ...`; run it under the probe lock like any probe env)

`--all` writes report/out/bisections.json (atomically): the causes it found, and every earlier cause it has no
new answer for. A release whose two envs both ran to the end in the given results gets exactly this run's causes
(a cell that no longer differs loses its old one); any other earlier cause is kept. Results that hold no release
on both axes are refused (exit 2), so an empty folder cannot wipe the file.

Exit status: 0; 2 for a bad argument or input (unknown release or probe, no results, a cell that does not
differ), a failed uv call (uv's message shortened into the line) or an unreachable index; 130 when interrupted.
Each bisection runs in a scratch folder (tools/scratch.py) that is gone however the command ends, and so are the
uv and pytest processes it started.

For a cell whose state differs between X.Y.0 on its release day's stack (djXY-shipped) and the latest patch on
today's (djXY), one scratch env is made from the shipped lock file. First Django alone moves: X.Y.0 to the latest
patch with the shipped stack held fixed (`uv pip install --no-deps`); if the state follows, bisection finds the first
patch that changed it. Otherwise each differing stack package moves to its latest version in turn (asgiref first),
and bisection over that package's releases finds the one that changed it. The probe runs alone each time
(`pytest NODE -k SERVER`); only its recorded state counts. Single-threaded; each step waits for its subprocess.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import json
import os
import shlex
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from contract.atomic import write_text_atomically
from contract.matrix import LATEST, ROOT, SHIPPED, Matrix, MatrixError, Release, display_path, load_matrix
from report.axes import AxisDifference, differences
from report.inputs import IncompatibleResults
from report.results import RESULTS_DIR, Merged, load_results
from report.twoaxis import BISECTIONS_PATH, CausesError, load_causes
from tools import pypi
from tools.scratch import run, scratch_folder

RELEASE_NOTES = "https://docs.djangoproject.com/en/stable/releases/{version}/"
# Moved first when no Django patch explains a change: asgiref decides Django's threading.
FIRST_SUSPECTS = ("asgiref",)


class BisectError(Exception):
    """The bisection cannot start: a bad argument, or a cell that does not differ."""


@dataclass(frozen=True)
class Cause:
    """What changed a cell: the first version (of Django or a package) showing the latest state."""

    release: str
    subject: str
    shipped: str  # the state as shipped
    latest: str  # the state today
    kind: str  # "django", "dependency" or "unexplained"
    package: str | None = None
    last_before: str | None = None  # the last version that still showed the shipped state
    first_after: str | None = None  # the first version that showed the latest state
    note: str = ""

    @property
    def link(self) -> str | None:
        return RELEASE_NOTES.format(version=self.first_after) if self.kind == "django" and self.first_after else None

    def sentence(self) -> str:
        """`broken in 3.0.0-3.0.2, native from 3.0.3`, `changed with asgiref 3.3.0 (...)`, or why none was found.

        The patch's release notes are `link`, which each renderer shows as a link of its own."""
        if self.kind == "django":
            first = f"{self.release}.0"
            span = first if self.last_before == first else f"{first}-{self.last_before}"
            return f"{self.shipped} in {span}, {self.latest} from {self.first_after}"
        if self.kind == "dependency":
            return f"changed with {self.package} {self.first_after} ({self.shipped} up to {self.last_before})"
        return f"no Django patch or single package explains it: {self.note}"


def first_change(candidates: Sequence[str], state_of: Callable[[str], str]) -> tuple[str, str]:
    """(last version with the first candidate's state, first version with another), by bisection.

    `candidates` are ordered oldest first; the first and the last must differ in state. Assumes one change.
    """
    if len(candidates) < 2:
        raise BisectError("need at least two versions to bisect")
    low, high = 0, len(candidates) - 1
    before = state_of(candidates[low])
    if state_of(candidates[high]) == before:
        raise BisectError(f"{candidates[low]} and {candidates[high]} give the same state ({before})")
    while high - low > 1:
        middle = (low + high) // 2
        if state_of(candidates[middle]) == before:
            low = middle
        else:
            high = middle
    return candidates[low], candidates[high]


def patches(release: Release) -> list[str]:
    """X.Y.0 ... the latest patch matrix.yaml pins, oldest first (Django numbers its patches without gaps)."""
    last = int(release.django.split(".")[2])
    return [f"{release.version}.{n}" for n in range(last + 1)]


def between(versions: Sequence[str], old: str, new: str) -> list[str]:
    """The final releases from `old` to `new` (both included), oldest first."""
    low, high = Version(old), Version(new)
    found = []
    for text in versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not version.is_prerelease and low <= version <= high:
            found.append(text)
    return sorted(found, key=Version)


class Runner:
    """Runs one probe in a scratch env that holds a release's shipped stack; versions move one package at a time."""

    def __init__(self, release: Release, scratch: Path) -> None:
        self.release = release
        self.venv = scratch / "venv"
        self.results = scratch / "result.json"
        shipped = release.as_shipped()
        lock = ROOT / "requirements" / f"{shipped.env}.txt"
        self._uv("venv", "--quiet", "-p", f"python{shipped.python}", str(self.venv))
        self._uv("pip", "install", "--quiet", "-p", str(self.venv), "-r", str(lock))
        self.installed: dict[str, str] = {}

    def install(self, name: str, version: str) -> None:
        """Put `name==version` in, holding everything else where it is."""
        if self.installed.get(name) != version:
            self._uv("pip", "install", "--quiet", "--no-deps", "-p", str(self.venv), f"{name}=={version}")
            self.installed[name] = version

    def state(self, probe: str, server: str | None) -> str:
        """Run the one probe (under `server`) and return the state it recorded."""
        return self.states([probe], server).get((probe, server), "not-run")

    def states(self, probes: Iterable[str], server: str | None = None) -> dict[tuple[str, str | None], str]:
        """Run the tests deciding `probes` in one pytest (under `server` only, when given): each recorded cell's
        state by (probe, server); none when the run recorded nothing."""
        nodes = sorted({probe_node(probe) for probe in probes})
        self.results.unlink(missing_ok=True)
        command = [str(self.venv / "bin" / "python"), "-m", "pytest", *nodes, "-p", "harness.recorder", "-q"]
        command += ["--timeout=60", *(["-k", server] if server else [])]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "PROBE_ENV": self.release.shipped_env,
            "PROBE_RESULTS": str(self.results),
        }
        run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if not self.results.exists():
            return {}
        rows = json.loads(self.results.read_text(encoding="utf-8"))["probes"]
        return {(row["id"], row["server"]): row["state"] for row in rows}

    @staticmethod
    def _uv(*arguments: str) -> None:
        # Quiet: a package release that does not install on the shipped Python is expected, and handled by the caller.
        environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        run(["uv", *arguments], check=True, cwd=ROOT, env=environment, capture_output=True, text=True)


def probe_node(probe: str) -> str:
    """The pytest node of the test that decides `probe` (found by its @pytest.mark.probe marker)."""
    for path in sorted((ROOT / "tests" / "probes").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if (
                        isinstance(decorator, ast.Call)
                        and ast.unparse(decorator.func) == "pytest.mark.probe"
                        and isinstance(decorator.args[0], ast.Constant)
                        and decorator.args[0].value == probe
                    ):
                        return f"{path.relative_to(ROOT)}::{node.name}"
    raise BisectError(f"no test in tests/probes decides probe {probe!r}")


def explain(
    difference: AxisDifference,
    release: Release,
    state_at: Callable[[dict[str, str]], str],
    versions_of: Callable[[str], list[str]],
    stack: Sequence[str],
) -> Cause:
    """Find what changed `difference`. `state_at(pins)` moves the given packages and runs the probe.

    Django first (the stack as shipped); then each differing stack package in turn, keeping earlier moves.
    """
    common = {"release": difference.release, "subject": difference.subject}
    states = {"shipped": difference.shipped, "latest": difference.latest}
    django = patches(release)
    moved: dict[str, str] = {"django": django[0]}
    if state_at(moved) != difference.shipped:
        return Cause(**common, **states, kind="unexplained", note="the shipped state does not reproduce here")
    if state_at({"django": django[-1]}) != difference.shipped:
        last, first = first_change(django, lambda version: state_at({"django": version}))
        return Cause(**common, **states, kind="django", package="django", last_before=last, first_after=first)
    moved = {"django": django[-1]}
    suspects = [name for name in difference.versions if name in stack and name != "django"]
    suspects.sort(key=lambda name: (name not in FIRST_SUSPECTS, name))
    python = release.as_shipped().python
    skipped = []
    for name in suspects:
        old, new = difference.versions[name]
        if old is None or new is None:
            continue
        candidates = between(versions_of(name), old, new)
        # The newest release that installs on the shipped Python stands in for today's when today's does not.
        top, changed = None, False
        for version in reversed(candidates[1:]):
            try:
                changed = state_at({**moved, name: version}) != difference.shipped
            except subprocess.CalledProcessError:
                continue
            top = version
            break
        if top is None:
            skipped.append(f"no {name} after {old} installs on Python {python}")
            continue
        if top != new:
            skipped.append(f"{name} {new} does not install on Python {python} (tried up to {top})")
        if changed:
            last, first = first_change(
                candidates[: candidates.index(top) + 1], functools.partial(_moving, state_at, moved, name)
            )
            return Cause(**common, **states, kind="dependency", package=name, last_before=last, first_after=first)
        moved[name] = top
    pythons = difference.versions.get("python")
    note = "; ".join([*skipped, f"Python differs ({pythons[0]} as shipped, {pythons[1]} today)" if pythons else ""])
    return Cause(**common, **states, kind="unexplained", note=note.strip("; ") or "nothing that differs explains it")


def _moving(state_at: Callable[[dict[str, str]], str], moved: dict[str, str], name: str, version: str) -> str:
    return state_at({**moved, name: version})


def bisect(
    matrix: Matrix, difference: AxisDifference, scratch: Path, versions_of: Callable[[str], list[str]] = pypi.versions
) -> Cause:
    """Make the scratch env for `difference`'s release and explain the difference."""
    release = matrix.release(difference.release)
    runner = Runner(release, scratch)

    def state_at(pins: dict[str, str]) -> str:
        for name, version in pins.items():
            runner.install(name, version)
        return runner.state(difference.probe, difference.server)

    return explain(difference, release, state_at, versions_of, matrix.stack)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bisect", description=__doc__.splitlines()[0])
    parser.add_argument("probe", nargs="?", help="a probe id, like views.async-function")
    parser.add_argument("release", nargs="?", help="a feature release, like 3.0")
    parser.add_argument("--server", help="the server of a probe that runs under one, like uvicorn")
    parser.add_argument("--all", action="store_true", help=f"every differing cell; writes {BISECTIONS_PATH.name}")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="the results folder (default results/)")
    args = parser.parse_args(argv)
    if not args.all and not (args.probe and args.release):
        parser.error("name a PROBE and a RELEASE, or pass --all")
    try:
        return _bisect_all(args) if args.all else _bisect_one(args)
    except (BisectError, MatrixError, IncompatibleResults, pypi.IndexUnreachable) as exc:
        print(f"bisect: {exc}", file=sys.stderr)
    except subprocess.CalledProcessError as exc:
        print(f"bisect: {failed(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # tox sends it again while this one is being reported
        print("bisect: interrupted; its scratch folder and processes are gone", file=sys.stderr)
        return 130
    return 2


UV_FIX = "Fix: see what uv says (is the package index reachable, UV_INDEX_URL? is that Python installed?), then rerun"


def _bisect_one(args: argparse.Namespace) -> int:
    matrix = load_matrix()
    known = [release.version for release in matrix.releases]
    if args.release not in known:
        raise BisectError(f"unknown release {args.release!r}; known: {', '.join(known)}")
    probes = [probe.id for probe in matrix.probes]
    if args.probe not in probes:
        close = difflib.get_close_matches(args.probe, probes, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise BisectError(f"unknown probe {args.probe!r}{hint}; known: {', '.join(probes)}")
    shipped, latest = _axes(matrix, args.results)
    key = (args.probe, args.release, args.server)
    chosen = [d for d in differences(shipped, latest) if (d.probe, d.release, d.server) == key]
    if not chosen:
        release = matrix.release(args.release)
        raise BisectError(
            f"{args.probe}{'@' + args.server if args.server else ''} on {args.release} does not differ between the "
            f"axes in {display_path(args.results)} (or one axis did not run it). Fix: run "
            f"`tox -e {release.env},{release.shipped_env}` first"
        )
    _explain(matrix, chosen)
    return 0


def _bisect_all(args: argparse.Namespace) -> int:
    matrix = load_matrix()
    shipped, latest = _axes(matrix, args.results)
    if not _releases(shipped, "complete", "incomplete") & _releases(latest, "complete", "incomplete"):
        raise BisectError(
            f"{display_path(args.results)} holds no release with results on both axes (djXY and djXY-shipped), so "
            f"{display_path(BISECTIONS_PATH)} is left as it was. Fix: run the envs of both axes first (`tox p`), or "
            "pass --results with their folder"
        )
    if BISECTIONS_PATH.is_dir():  # found before the bisections, not after them
        raise BisectError(f"{display_path(BISECTIONS_PATH)} is a folder, not a file. Fix: remove it, then rerun")
    try:
        old = load_causes(BISECTIONS_PATH)
    except CausesError as exc:
        print(f"bisect: {exc}; replacing it with this run's causes", file=sys.stderr)
        old = {}
    causes = _explain(matrix, differences(shipped, latest))
    rows = merged_causes(old, _releases(shipped, "complete") & _releases(latest, "complete"), causes)
    try:
        write_text_atomically(
            BISECTIONS_PATH, json.dumps({"axes": [SHIPPED, LATEST], "causes": rows}, indent=2, sort_keys=True) + "\n"
        )
    except OSError as exc:
        raise BisectError(
            f"cannot write {display_path(BISECTIONS_PATH)}: {exc.strerror or exc}; it is left as it was. Fix: make it "
            "a writable file in a writable folder, then rerun"
        ) from exc
    print(f"wrote {display_path(BISECTIONS_PATH)} ({len(rows)} cells, {len(causes)} of them bisected now)")
    return 0


def _axes(matrix: Matrix, results: Path) -> tuple[Merged, Merged]:
    """The shipped and the latest axis from the results folder `results`."""
    if not results.exists():
        raise BisectError(
            f"{display_path(results)}: no such folder. Fix: run the probe envs of both axes first (`tox p`), or "
            "pass --results with the folder that holds their results"
        )
    return load_results(matrix.on_axis(SHIPPED), results), load_results(matrix, results)


def _releases(merged: Merged, *statuses: str) -> set[str]:
    """The releases whose env on this axis has one of `statuses`."""
    return {run.release.version for run in merged.runs if run.status in statuses}


def _explain(matrix: Matrix, chosen: Sequence[AxisDifference]) -> list[Cause]:
    """Bisect each difference in its own scratch folder, printing each cause as it is found."""
    causes = []
    for difference in chosen:
        with scratch_folder("bisect-") as scratch:
            cause = bisect(matrix, difference, scratch)
        print(f"{difference.release} {difference.subject}: {cause.sentence()}", flush=True)
        causes.append(cause)
    return causes


def merged_causes(
    old: Mapping[tuple[str, str], Mapping[str, Any]], complete: set[str], causes: Sequence[Cause]
) -> list[dict[str, Any]]:
    """bisections.json's causes: `causes`, and each `old` one they do not replace whose release is not `complete`.

    `complete`: the releases whose two envs both ran to the end in this run's results; their causes are this run's.
    """
    new = {(cause.release, cause.subject) for cause in causes}
    rows = [dict(row) for key, row in old.items() if key[0] not in complete and key not in new]
    rows += [{**asdict(cause), "link": cause.link, "sentence": cause.sentence()} for cause in causes]
    return sorted(rows, key=lambda row: Version(row["release"]))


def failed(exc: subprocess.CalledProcessError) -> str:
    """A failed uv call in one line: the command, what it said, and the fix."""
    return f"`{_shown(exc.cmd)}` failed: {_said(exc.stderr)}. {UV_FIX}"


def _shown(command: Sequence[str]) -> str:
    """The command as a shell line, paths in this checkout relative to it."""
    return shlex.join(display_path(Path(part)) if part.startswith("/") else part for part in command)


def _said(stderr: str | None) -> str:
    """What a tool wrote on stderr, in one short line: its first and its last line."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    if not lines:
        return "it said nothing"
    said = lines[0] if len(lines) == 1 else f"{lines[0]} … {lines[-1]}"
    return textwrap.shorten(said, width=300, placeholder=" …")


if __name__ == "__main__":
    raise SystemExit(main())
