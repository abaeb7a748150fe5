"""Run each kept patch fix's probes on every patch of its series up to the fix, and record what each patch showed.

    python -m tools.sweep                  every series with a kept fix that names probes (report/out/catalogue.json)
    python -m tools.sweep 4.1 5.0          those series only
    (or `tox -e sweep -- ...`; it runs probes, so run it under the probe lock like any probe env)

For a series X.Y, the fixes the catalogue keeps with probes and a fixing patch X.Y.Z run on every patch from X.Y.0 to
the newest of those fixes: one pytest per patch runs the probes of every fix not yet fixed at that patch, in a scratch
env made from the series' shipped lock file with only Django moved (tools/bisect.Runner). Up to JOBS patches run at
once, each in its own scratch env (the machine mostly waits on the probes' delays).

For each fix and series, a patch shows the bug when a cell of its probes recorded another state than on the fixing
patch (`not-run` shows nothing); the first patch observed fixed is the first from which every patch up to the fix
shows the fixing patch's states. The notes agree when the bug was seen and the first patch observed fixed is the
fixing patch. A bisection of the same cell (report/out/bisections.json) is kept beside it.

report/out/sweep.json is rewritten (atomically) after each series: a series swept now replaces that series' rows,
every other row stays, so a run of some series, or one cut short, never erases what it did not run.

Exit status: 0; 2 for a bad argument or input (unknown series, no catalogue, a probe no test decides) or a failed
uv call; 130 when interrupted. The scratch folders and the uv and pytest processes are gone however it ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from packaging.version import Version

from contract.atomic import write_text_atomically
from contract.matrix import SERVERS, Matrix, MatrixError, ProbeRef, Release, display_path, load_matrix
from report.patches import CATALOGUE_PATH, SWEEP_PATH, PatchesError, read_checked
from report.twoaxis import BISECTIONS_PATH, CausesError, load_causes
from tools.bisect import BisectError, Runner, failed, patches, probe_node
from tools.scratch import scratch_folder

JOBS = 2  # patches swept at once, each in its own scratch env
NOT_RUN = "not-run"


class SweepError(Exception):
    """The sweep cannot start or go on; the message is one line naming what and the fix."""


class PatchRunner(Protocol):
    """What the sweep needs of a scratch env (tools/bisect.Runner is one)."""

    def install(self, name: str, version: str) -> None: ...

    def states(self, probes: Sequence[str], server: str | None = None) -> dict[tuple[str, str | None], str]: ...


# (release, scratch folder) -> a runner whose env holds the release's shipped stack
MakeRunner = Callable[[Release, Path], PatchRunner]


@dataclass(frozen=True)
class Fix:
    """A kept catalogue entry in one series: its key, link, fixing patch and the cells that show it."""

    key: str
    link: str
    fixed_in: str
    cells: tuple[str, ...]  # "probe" or "probe@server"


def cells_of(refs: Sequence[ProbeRef], servers: Mapping[str, bool]) -> tuple[str, ...]:
    """The cells that show a fix: a ref narrowed to a server is one cell, else one per server the probe runs under."""
    cells: list[str] = []
    for ref in refs:
        if ref.server is not None or not servers[ref.probe]:
            cells.append(str(ref))
        else:
            cells.extend(f"{ref.probe}@{server}" for server in SERVERS)
    return tuple(cells)


def fixes_by_series(catalogue: Mapping[str, Any], matrix: Matrix) -> dict[str, list[Fix]]:
    """Every kept catalogue entry that names probes, under each series of the matrix its notes fix it in."""
    servers = {probe.id: probe.servers for probe in matrix.probes}
    versions = {release.version for release in matrix.releases}
    found: dict[str, list[Fix]] = {}
    for entry in catalogue["entries"]:
        if not entry["kept"] or not entry["probes"]:
            continue
        refs = [ProbeRef.parse(text) for text in entry["probes"]]
        unknown = [ref.probe for ref in refs if ref.probe not in servers]
        if unknown:
            raise SweepError(
                f"{display_path(CATALOGUE_PATH)}: {entry['key']} names probe {unknown[0]!r}, which matrix.yaml does "
                "not list. Fix: add the probe, then rerun `python -m tools.catalogue`"
            )
        for series, patch in entry["fixed_in"].items():
            if series in versions:
                found.setdefault(series, []).append(Fix(entry["key"], entry["link"], patch, cells_of(refs, servers)))
    return dict(sorted(found.items(), key=lambda item: Version(item[0])))


def plan(release: Release, fixes: Sequence[Fix]) -> dict[str, list[str]]:
    """Each patch from X.Y.0 to the newest fix, with the probes of the fixes not yet fixed there (oldest first)."""
    known = patches(release)
    last = max((fix.fixed_in for fix in fixes), key=Version)
    if last not in known:
        raise SweepError(
            f"{fixes[0].key}: fixed in {last}, newer than the {release.version} patch matrix.yaml pins "
            f"({release.django}). Fix: move the pin (`tox -e upstream -- update`), then rerun"
        )
    probes: dict[str, list[str]] = {}
    for patch in known[: known.index(last) + 1]:
        due = [fix for fix in fixes if Version(patch) <= Version(fix.fixed_in)]
        probes[patch] = sorted({cell.partition("@")[0] for fix in due for cell in fix.cells})
    return probes


def sweep(
    release: Release, todo: Mapping[str, Sequence[str]], make_runner: MakeRunner, jobs: int = JOBS
) -> dict[str, dict[str, str]]:
    """Run `todo` (patch -> probes) with up to `jobs` patches at once, each worker in its own scratch env.

    Returns each patch's cells ("probe" or "probe@server") and states. A worker's error (a failed uv call) stops the
    others and is raised here; so is a KeyboardInterrupt, after the workers are told to stop. The workers are daemon
    threads: when the process ends they end, and the uv or pytest each was running dies with it
    (tools/scratch.run).
    """
    waiting: queue.Queue[str] = queue.Queue()
    for patch in todo:
        waiting.put(patch)
    observed: dict[str, dict[str, str]] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def work(scratch: Path) -> None:
        try:
            runner = make_runner(release, scratch)
            while not stop.is_set():
                try:
                    patch = waiting.get_nowait()
                except queue.Empty:
                    return
                runner.install("django", patch)
                states = runner.states(todo[patch])
                observed[patch] = {
                    f"{probe}@{server}" if server else probe: state for (probe, server), state in states.items()
                }
        except BaseException as exc:  # handed to the main thread, which reports it
            errors.append(exc)
            stop.set()

    with contextlib.ExitStack() as folders:
        workers = [
            threading.Thread(target=work, args=(folders.enter_context(scratch_folder(f"sweep-{n}-")),), daemon=True)
            for n in range(max(1, min(jobs, len(todo))))
        ]
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                while worker.is_alive():
                    worker.join(0.2)  # a short wait, so that Ctrl-C reaches the main thread
        except BaseException:
            stop.set()
            raise
    if errors:
        raise errors[0]
    return dict(sorted(observed.items(), key=lambda item: Version(item[0])))


def verdict(fix: Fix, observed: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """One fix in one series: each patch's cells, where the bug was seen, the first patch seen fixed, and whether
    that agrees with the notes (`note` says why not)."""
    swept = [patch for patch in observed if Version(patch) <= Version(fix.fixed_in)]
    cells = {patch: {cell: observed[patch].get(cell, NOT_RUN) for cell in fix.cells} for patch in swept}
    fixed = cells.get(fix.fixed_in, {})
    broken, first_fixed, note = [], None, ""
    if not fixed or NOT_RUN in fixed.values():
        note = f"the fixing patch {fix.fixed_in} did not run all of {', '.join(fix.cells)}"
    else:
        broken = [
            patch for patch in swept if any(state not in (NOT_RUN, fixed[cell]) for cell, state in cells[patch].items())
        ]
        first_fixed = fix.fixed_in
        for patch in reversed(swept):
            if cells[patch] != fixed:
                break
            first_fixed = patch
        if not broken:
            note = f"no patch before {fix.fixed_in} showed another state: these probes do not observe the bug"
        elif first_fixed != fix.fixed_in:
            note = f"observed fixed from {first_fixed}, before the notes' {fix.fixed_in}"
    unrun = [patch for patch in swept if NOT_RUN in cells[patch].values() and patch != fix.fixed_in]
    if unrun and not note:
        note = f"{', '.join(unrun)} did not run every cell"
    return {
        "fixed_in": fix.fixed_in,
        "cells": list(fix.cells),
        "patches": cells,
        "observed_broken": broken,
        "first_observed_fixed": first_fixed,
        "agrees_with_notes": bool(broken) and first_fixed == fix.fixed_in,
        "note": note,
    }


def merged(
    old: Mapping[str, Any],
    series: str,
    fixes: Sequence[Fix],
    observed: Mapping[str, Mapping[str, str]],
    causes: Mapping[tuple[str, str], Mapping[str, Any]],
) -> dict[str, Any]:
    """sweep.json's entries with `series` swept now: its rows replaced, every other row kept. Each row lists the
    bisections (`causes`, from bisections.json) of its cells in that series."""
    entries: dict[str, Any] = {key: dict(value) for key, value in old.items()}
    for entry in entries.values():
        entry["series"] = {name: row for name, row in entry["series"].items() if name != series}
    for fix in fixes:
        row = verdict(fix, observed)
        row["bisections"] = [causes[(series, cell)]["sentence"] for cell in fix.cells if (series, cell) in causes]
        entry = entries.setdefault(fix.key, {"key": fix.key, "link": fix.link, "series": {}})
        entry["series"][series] = row
    return {key: entries[key] for key in sorted(entries) if entries[key]["series"]}


def load_sweep(path: Path) -> dict[str, Any]:
    """sweep.json's entries; none when there is no file yet. Raise SweepError for a file that is not one."""
    if not path.exists():
        return {}
    return dict(read_checked(path, "sweep.schema.json", "`tox -e sweep`")["entries"])


def write(path: Path, entries: Mapping[str, Any]) -> None:
    write_text_atomically(path, json.dumps({"entries": entries}, indent=2) + "\n")


def main(argv: Sequence[str] | None = None, make_runner: MakeRunner = Runner) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("series", nargs="*", help="feature releases to sweep, like 4.1 (default: every one)")
    parser.add_argument("--jobs", type=int, default=JOBS, help="patches at once (default: %(default)s)")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE_PATH, help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=SWEEP_PATH, help="default: %(default)s")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        return _sweep(args, make_runner)
    except (SweepError, BisectError, MatrixError, CausesError, PatchesError) as exc:
        print(f"sweep: {exc}", file=sys.stderr)
    except subprocess.CalledProcessError as exc:
        print(f"sweep: {failed(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # tox sends it again while this one is being reported
        print(f"sweep: interrupted; {display_path(args.out)} keeps the series swept before", file=sys.stderr)
        return 130
    return 2


def _sweep(args: argparse.Namespace, make_runner: MakeRunner) -> int:
    matrix = load_matrix()
    catalogue = read_checked(args.catalogue, "catalogue.schema.json", "`tox -e catalogue`")
    everything = fixes_by_series(catalogue, matrix)
    chosen = args.series or list(everything)
    for series in chosen:
        if series not in everything:
            raise SweepError(f"no kept fix with probes in series {series!r}. Fix: name one of {', '.join(everything)}")
    causes = load_causes(BISECTIONS_PATH)
    entries = load_sweep(args.out)
    for series in chosen:
        release = matrix.release(series)
        todo = plan(release, everything[series])
        for probes in todo.values():
            for probe in probes:
                probe_node(probe)  # BisectError now, not in a worker, for a probe no test decides
        print(f"{series}: {len(todo)} patches ({', '.join(todo)}), {args.jobs} at a time", flush=True)
        observed = sweep(release, todo, make_runner, args.jobs)
        entries = merged(entries, series, everything[series], observed, causes)
        write(args.out, entries)
        for fix in everything[series]:
            row = entries[fix.key]["series"][series]
            said = "agrees" if row["agrees_with_notes"] else f"disagrees: {row['note']}"
            broken = ", ".join(row["observed_broken"]) or "none"
            print(f"  {fix.key}: broken in {broken}; fixed from {row['first_observed_fixed']} ({said})", flush=True)
    print(f"wrote {display_path(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
