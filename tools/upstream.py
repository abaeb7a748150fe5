"""Follow upstream: what PyPI has that matrix.yaml does not pin, and what the newest versions do to the matrix.

    python -m tools.upstream check     the newest patch of every series, and any new feature release or pre-release
    python -m tools.upstream update    pin the newest patches in matrix.yaml, regenerate those lock files, say what changed
    python -m tools.upstream run       latest mode: the newest patch of every series with the newest dependencies,
                                        locked and run in a scratch folder (committed files untouched), compared
                                        cell by cell with the baseline; exit 1 when a cell regressed

The index is the one uv is configured to use (tools/pypi.py). `update` compiles the new lock files in a scratch
folder first and then writes matrix.yaml and them together, all or nothing; `run` writes only into a folder it
creates. Bad input, an unreachable index and an interrupt each end in one line and exit 2. Single-threaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version

from contract.atomic import write_all_atomically
from contract.matrix import MATRIX_PATH, ROOT, Matrix, MatrixError, display_path, load_matrix
from harness.processes.services import die_with_parent
from report.baseline import REGRESSION, state_change
from tools.pypi import IndexUnreachable, parse_version, versions
from tools.scratch import SIGNALS, run, scratch_folder

BASELINE_PATH = ROOT / "report" / "out" / "baseline.json"
REQUIREMENTS = ROOT / "requirements"
# Seconds an interrupted tox gets to end its envs: under the 10 s tox.ini gives this env before it escalates.
TOX_GRACE = 8.0


class UpstreamError(Exception):
    """What stops a command: one line naming the file or argument and the fix."""


@dataclass(frozen=True)
class Upstream:
    """What PyPI has beyond matrix.yaml: newer patches per series, and feature releases it does not list."""

    newer_patches: dict[str, tuple[str, str]]  # series -> (pinned, newest)
    new_series: tuple[str, ...]  # per series matrix.yaml does not list: "6.2.1", or "6.2a1 (pre-release)"


def upstream(matrix: Matrix, django_versions: Sequence[str]) -> Upstream:
    """Compare matrix.yaml's Django pins with every Django version the index lists (those that are not versions
    are skipped); raise UpstreamError for a pin that is not a version."""
    pins = _pins(matrix)
    parsed = [(version, text) for text in django_versions if (version := parse_version(text)) is not None]
    newer = {}
    for release in matrix.releases:
        series = [
            (version, text)
            for version, text in parsed
            if not version.is_prerelease and f"{version.major}.{version.minor}" == release.version
        ]
        if series:
            newest, text = max(series)
            if newest > pins[release.version]:
                newer[release.version] = (release.django, text)
    listed = {release.version for release in matrix.releases}
    last = max(Version(series) for series in listed)
    beyond: dict[str, list[Version]] = {}
    for version, _ in parsed:
        key = f"{version.major}.{version.minor}"
        if key not in listed and Version(key) > last:
            beyond.setdefault(key, []).append(version)
    new_series = []
    for key in sorted(beyond, key=Version):  # a final release if the series has one, else its newest pre-release
        finals = [version for version in beyond[key] if not version.is_prerelease]
        new_series.append(str(max(finals)) if finals else f"{max(beyond[key])} (pre-release)")
    return Upstream(newer, tuple(new_series))


def _pins(matrix: Matrix) -> dict[str, Version]:
    """Each release's Django pin as a version; UpstreamError names the first that is not one."""
    pins = {}
    for release in matrix.releases:
        version = parse_version(release.django)
        if version is None:
            shown = (
                release.django
                if len(release.django) <= 24
                else f"{release.django[:20]}… ({len(release.django)} characters)"
            )
            raise UpstreamError(
                f'{display_path(matrix.path)}: release "{release.version}": `django: {shown}` is not a version. '
                f"Fix: pin a Django release there, like {release.version}.0."
            )
        pins[release.version] = version
    return pins


def update_text(text: str, newer: dict[str, tuple[str, str]]) -> str:
    """matrix.yaml's text with each release's `django:` pin moved to its newest patch; nothing else is touched
    (comments, quotes and the rest of the line stay). Raise UpstreamError for a pin that is not where it should be."""
    pins: dict[str, yaml.ScalarNode] = {}
    releases = _child(yaml.compose(text, Loader=yaml.SafeLoader), "releases")
    for entry in releases.value if isinstance(releases, yaml.SequenceNode) else []:
        version, django = _child(entry, "version"), _child(entry, "django")
        if isinstance(version, yaml.ScalarNode) and isinstance(django, yaml.ScalarNode):
            pins[version.value] = django
    edits = []
    for series, (pinned, newest) in newer.items():
        node = pins.get(series)
        if node is None or node.value != pinned:
            raise UpstreamError(
                f'matrix.yaml: no `django: {pinned}` under the release `version: "{series}"` to update. '
                "Fix: run `tox -e upstream -- update` again (matrix.yaml changed meanwhile?)."
            )
        quote = node.style if node.style in ("'", '"') else ""
        edits.append((node.start_mark.index, node.end_mark.index, f"{quote}{newest}{quote}"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value under `key` of a YAML mapping node (None if it is not a mapping or has no such key)."""
    if isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            if isinstance(name, yaml.ScalarNode) and name.value == key:
                return value if isinstance(value, yaml.Node) else None
    return None


@dataclass(frozen=True)
class CellChange:
    """A cell whose state in the latest-mode run differs from the baseline, with the versions that moved."""

    kind: str  # report/baseline.py's kinds: regression, improvement, sideways, not-run, undecided
    release: str
    subject: str
    old: str
    new: str
    moved: tuple[str, ...]  # "django 5.2.19 → 5.2.20", ...

    def sentence(self) -> str:
        what = "; ".join(self.moved) or "no version moved"
        return f"{self.kind}: {self.release} {self.subject}: {self.old} → {self.new} ({what})"


def compare(baseline: dict[str, Any], runs: dict[str, dict[str, Any]]) -> list[CellChange]:
    """The latest-mode results (per env file, by release) against the baseline's cells, regressions first.

    Each change names the versions that moved for its release, Django first: a new patch that changes a cell is
    a regression like any other, named by its version.
    """
    cells = {(cell["release"], cell["probe"], cell["server"]): cell["state"] for cell in baseline["cells"]}
    before_versions = {release["version"]: release["versions"] for release in baseline["releases"]}
    found = []
    for release, result in runs.items():
        old_versions, new_versions = before_versions.get(release, {}), result["versions"]
        moved = tuple(
            f"{name} {old_versions.get(name) or '—'} → {new_versions.get(name) or '—'}"
            for name in sorted(set(old_versions) | set(new_versions), key=lambda name: (name != "django", name))
            if old_versions.get(name) != new_versions.get(name)
        )
        for row in result["probes"]:
            old = cells.get((release, row["id"], row["server"]))
            if old is None or old == row["state"]:
                continue
            subject = f"{row['id']}@{row['server']}" if row["server"] else row["id"]
            found.append(CellChange(state_change(old, row["state"]), release, subject, old, row["state"], moved))
    found.sort(key=lambda change: (change.kind != REGRESSION, change.release, change.subject))
    return found


def run_latest_mode(matrix: Matrix, scratch: Path, baseline_path: Path) -> int:
    """Lock the newest of everything into `scratch`, run the latest envs on it, compare with the baseline."""
    baseline = _read_json(baseline_path, "the baseline", "point --baseline at a baseline.json `tox -e report` wrote.")
    requirements, results = scratch / "requirements", scratch / "results"
    compile_env = {**os.environ, "TMPDIR": str(scratch)}  # compile.py's temp files go with the scratch folder
    command = [sys.executable, "-m", "requirements.compile", "--newest", str(requirements)]
    if run(command, cwd=ROOT, env=compile_env, check=False).returncode != 0:
        raise UpstreamError(
            "the newest versions did not lock (the error is above). Fix: check the network and the package index "
            "uv uses (UV_DEFAULT_INDEX, UV_INDEX_URL), then run it again."
        )
    envs = [release.env for release in matrix.releases]
    env = {**os.environ, "PROBE_REQUIREMENTS": str(requirements), "PROBE_RESULTS_DIR": str(results)}
    # A failing env still leaves the others' results.
    run_tox(["tox", "p", "-e", ",".join(envs), "--workdir", str(scratch / "tox")], env)
    runs = {}
    for release in matrix.releases:
        path = results / f"{release.env}.json"
        if path.exists():
            runs[release.version] = _read_json(path, f"the results of {release.env}", "see the tox output above.")
        else:
            print(f"latest mode: {release.env} left no results (see the tox output above)")
    changes = compare(baseline, runs)
    for change in changes:
        print(change.sentence())
    if not changes:
        print(f"latest mode: no cell changed against {display_path(baseline_path)}")
    return 1 if any(change.kind == REGRESSION for change in changes) else 0


def run_tox(command: list[str], env: dict[str, str]) -> None:
    """Run tox and wait. On our interrupt, or our death, tox gets SIGINT, on which it ends its envs' processes
    itself; it is killed only if it has not ended TOX_GRACE seconds later (or at a second interrupt)."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=die_with_parent(signal.SIGINT))
    try:
        process.wait()
    except BaseException:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=TOX_GRACE)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        raise


def _read_json(path: Path, what: str, fix: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UpstreamError(
            f"{display_path(path)}: cannot read {what} ({getattr(exc, 'strerror', None) or exc}). Fix: {fix}"
        ) from exc


def new_scratch(path: Path) -> Path:
    """Create `path` as the scratch folder: it must be new and outside the repository (the run writes only there)."""
    resolved = path.resolve()
    if resolved == ROOT or ROOT in resolved.parents:
        raise UpstreamError(
            f"--scratch {path} is inside the repository ({ROOT}), next to committed files. "
            "Fix: name a new folder outside it, or leave --scratch out for a temporary one."
        )
    try:
        resolved.mkdir(parents=True)
    except FileExistsError as exc:
        raise UpstreamError(
            f"--scratch {path} already exists; the run writes only into a folder it creates. "
            "Fix: name a folder that does not exist yet (it is kept afterwards), or leave --scratch out."
        ) from exc
    except OSError as exc:
        raise UpstreamError(f"--scratch {path}: cannot create it ({exc.strerror}). Fix: name another folder.") from exc
    return resolved


CompileLocks = Callable[[Path, list[str], Path, Path], None]


def compile_lock_files(matrix_path: Path, envs: list[str], into: Path, scratch: Path) -> None:
    """requirements/compile.py: the lock files of `envs` from `matrix_path`, written into `into` (inside `scratch`)."""
    command = [sys.executable, "-m", "requirements.compile", "--matrix", str(matrix_path), "--into", str(into), *envs]
    if run(command, cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, check=False).returncode != 0:
        raise UpstreamError(
            "the lock files did not compile (the error is above), so matrix.yaml and requirements/ are as they "
            "were. Fix: check the network and the package index uv uses (UV_DEFAULT_INDEX, UV_INDEX_URL), then "
            "run `tox -e upstream -- update` again."
        )


def update(matrix: Matrix, requirements: Path, newer: dict[str, tuple[str, str]], lock: CompileLocks) -> list[str]:
    """Move the pins in `newer` and regenerate those lock files, all or nothing; return the envs updated.

    The new lock files are compiled in a scratch folder from a scratch copy of the new matrix.yaml (seeded with
    the current lock files, whose other pins uv keeps); only when all compiled are matrix.yaml and they written,
    together. An interrupt before then leaves every file as it was.
    """
    text = update_text(matrix.path.read_text(encoding="utf-8"), newer)
    envs = [matrix.release(series).env for series in newer]
    with scratch_folder("upstream-update-") as scratch:
        new_matrix, into = scratch / "matrix.yaml", scratch / "requirements"
        new_matrix.write_text(text, encoding="utf-8")
        into.mkdir()
        for env in envs:
            if (requirements / f"{env}.txt").is_file():
                shutil.copyfile(requirements / f"{env}.txt", into / f"{env}.txt")
        lock(new_matrix, envs, into, scratch)
        files = {matrix.path: text}
        for path in sorted(into.glob("*.txt")):
            files[requirements / path.name] = path.read_text(encoding="utf-8")
        try:
            _write_all_held(files)
        except OSError as exc:
            folder = display_path(Path(exc.filename).parent) if exc.filename else "requirements/"
            raise UpstreamError(
                f"cannot write in {folder} ({exc.strerror}); matrix.yaml and requirements/ are as they were. "
                "Fix: make it writable, then run `tox -e upstream -- update` again."
            ) from exc
    return envs


def _write_all_held(files: dict[Path, str]) -> None:
    """Write every file or none, with SIGINT, SIGTERM and SIGHUP held until the last rename is done.

    A signal that came meanwhile is then dropped: the tool has finished what it was asked to do.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        write_all_atomically(files)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        raise
    with contextlib.suppress(KeyboardInterrupt):
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def main(
    argv: Sequence[str] | None = None,
    versions_of: Callable[[str], list[str]] = versions,
    *,
    matrix_path: Path = MATRIX_PATH,
    requirements: Path = REQUIREMENTS,
    compile_locks: CompileLocks = compile_lock_files,
) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.upstream", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="what the index has beyond matrix.yaml's pins")
    sub.add_parser("update", help="pin the newest patches and regenerate their lock files")
    latest = sub.add_parser("run", help="latest mode: run the newest of everything in a scratch folder")
    latest.add_argument("--scratch", type=Path, help="a new folder to create and keep (default: a temporary one)")
    latest.add_argument("--baseline", type=Path, default=BASELINE_PATH, help="what to compare with")
    args = parser.parse_args(argv)
    try:
        return _command(args, versions_of, matrix_path, requirements, compile_locks)
    except (UpstreamError, MatrixError, IndexUnreachable) as exc:
        print(f"upstream {args.command}: {exc}", file=sys.stderr)
    except KeyboardInterrupt as exc:
        what = {"update": " matrix.yaml and requirements/ are as they were.", "run": " Committed files are untouched."}
        with _ignoring(SIGNALS):  # Ctrl-C reaches us twice under tox (from the terminal, then from tox)
            print(
                f"upstream {args.command}: interrupted ({str(exc) or 'SIGINT'});{what.get(args.command, '')} "
                "Fix: run it again when you want it done.",
                file=sys.stderr,
            )
    return 2


@contextlib.contextmanager
def _ignoring(numbers: Sequence[int]) -> Iterator[None]:
    """Ignore the signals `numbers` while the block runs (main thread only), then restore their handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {number: signal.signal(number, signal.SIG_IGN) for number in numbers}
    try:
        yield
    finally:
        for number, handler in old.items():
            signal.signal(number, handler)


def _command(
    args: argparse.Namespace,
    versions_of: Callable[[str], list[str]],
    matrix_path: Path,
    requirements: Path,
    lock: CompileLocks,
) -> int:
    matrix = load_matrix(matrix_path)
    if args.command == "run":
        _pins(matrix)
        if args.scratch:
            return run_latest_mode(matrix, new_scratch(args.scratch), args.baseline)
        with scratch_folder("latest-mode-") as scratch:
            return run_latest_mode(matrix, scratch, args.baseline)
    found = upstream(matrix, versions_of("django"))
    for series, (pinned, newest) in found.newer_patches.items():
        print(f"Django {series}: {pinned} pinned, {newest} on the index")
    for series in found.new_series:
        print(
            f"Django {series} is on the index but not in matrix.yaml. To add it: a `releases:` entry (README, "
            '"Adding a Django release"), its envs in tox.ini, then `tox -e compile`.'
        )
    if not found.newer_patches:
        print("every series is pinned to its newest patch")
    if args.command == "update" and found.newer_patches:
        envs = update(matrix, requirements, found.newer_patches, lock)
        print(f"updated matrix.yaml and the lock files of {', '.join(envs)}; run `tox -e {','.join(envs)}` next")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
