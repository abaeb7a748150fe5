"""`python -m report`: merge results, compare them with the baseline, write the report, print a summary.

    python -m report                          merge results/, compare with report/out/baseline.json, write report/out/
    python -m report --results a/ --results b/dj52.json   merge files and folders (CI jobs, machines, runs)
    python -m report --accept                 make this run the new baseline (and say what that accepts)
    python -m report compare OLD NEW          compare two results (merged files, per-env files or folders)
    python -m report diff 5.2 6.0             what changes between two releases within this run
    python -m report history                  one line per earlier run
    python -m report prune --keep 20          drop all but the newest 20 runs from the history

Exit status: 0, or 1 when a cell regressed against the baseline (or OLD), or 2 when an input cannot be trusted
(matrix.yaml, or a results file that is unreadable, stale or recorded on other versions than matrix.yaml pins; with
--require-all also an env without results) or an output cannot be written. Everything that could be read is still
reported: such inputs show as not-run with the reason. Outputs are written all together or not at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from contract.atomic import write_all_atomically
from contract.matrix import MATRIX_PATH, SHIPPED, SHIPPED_SUFFIX, Matrix, MatrixError, display_path, load_matrix
from report import baseline, csvout, history, html, markdown, patches, terminal, timings, twoaxis
from report.export import build, host, to_data, to_json
from report.inputs import PREFERENCES, IncompatibleResults, validate_merged
from report.model import ReportData
from report.reader import read_json
from report.results import RESULTS_DIR, Merged, load_results, untrusted
from report.roadmap import evaluate
from report.twoaxis import BISECTIONS_PATH
from report.upgrade import changes
from report.view import Report

# What `python -m report` writes (and the committed baseline and history): code stays apart from its output.
OUT_DIR = Path(__file__).resolve().parent / "out"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = terminal.console()
    history_path: Path = args.history or args.out / "history.jsonl"
    try:
        if args.command == "history":
            return _history(history_path, out)
        if args.command == "prune":
            return _prune(history_path, args.keep, out)
        matrix = load_matrix(args.matrix)
        if args.command == "compare":
            (old, old_problems), (new, new_problems) = (_data_of(matrix, p, args.prefer) for p in (args.old, args.new))
            comparison = baseline.compare(old, new, display_path(args.old), display_path(args.new))
            terminal.comparison(comparison, out)
            return _untrusted([*old_problems, *new_problems]) or (1 if comparison.regressions else 0)
        # `tox -e report` before any env ran: no results/ yet, so every env shows as not-run (README).
        sources = args.results or ([RESULTS_DIR] if RESULTS_DIR.exists() else [])
        merged = load_results(matrix, sources, prefer=args.prefer, local=not args.results)
        # The shipped axis reads per-env files only: a merged results.json holds the latest axis's cells.
        shipped_sources = [path for path in sources if path.is_dir() or path.stem.endswith(SHIPPED_SUFFIX)]
        shipped = load_results(matrix.on_axis(SHIPPED), shipped_sources, prefer=args.prefer, local=not args.results)
        data = build(merged, shipped, twoaxis.load_causes(BISECTIONS_PATH), _now(), host())
        if args.command == "diff":
            try:
                found = changes(data, args.before, args.after)
            except ValueError as exc:
                print(f"report diff: {exc}", file=sys.stderr)
                return 2
            terminal.upgrade(args.before, args.after, found, out)
            return 0
        return _build(args, untrusted((merged, shipped), args.require_all), data, out)
    except (MatrixError, IncompatibleResults, OutputError, history.HistoryError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matrix", type=Path, default=MATRIX_PATH, help="matrix.yaml to read")
    parser.add_argument(
        "--results",
        type=Path,
        action="append",
        help="a results file or folder to merge (repeat it for more): per-env <env>.json files, or merged "
        "results.json files from other machines (default: results/)",
    )
    parser.add_argument(
        "--prefer",
        choices=PREFERENCES,
        help="which wins when two results hold the same env: the run that started later, or the later argument "
        "(default: refuse)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=OUT_DIR,
        help="folder to write results.json, results.csv, report.md, report.html, history.jsonl",
    )
    parser.add_argument("--baseline", type=Path, help="the results to compare with (default: <out>/baseline.json)")
    parser.add_argument("--accept", action="store_true", help="make this run the new baseline")
    parser.add_argument(
        "--require-all",
        action="store_true",
        help="also exit 2 when an env of matrix.yaml has no results (CI: every job must upload its file)",
    )
    parser.add_argument("--history", type=Path, help="the run history (default: <out>/history.jsonl)")
    sub = parser.add_subparsers(dest="command")
    diff = sub.add_parser("diff", help="what changes between two releases, e.g. `diff 5.2 6.0`")
    diff.add_argument("before")
    diff.add_argument("after")
    compare = sub.add_parser("compare", help="compare two results: merged files, per-env files or folders")
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    sub.add_parser("history", help="print the run history")
    prune = sub.add_parser("prune", help="drop old runs from the history")
    prune.add_argument(
        "--keep",
        type=_at_least_one,
        required=True,
        help="how many of the newest runs to keep (by their time; a line whose time cannot be read stays too)",
    )
    return parser


def _at_least_one(text: str) -> int:
    """`--keep`: a whole number of at least 1 (0 or less would empty the history)."""
    try:
        keep = int(text)
    except ValueError:
        keep = 0
    if keep < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return keep


def _history(path: Path, out: Console) -> int:
    """Print the history's runs, and each line no report reads on stderr."""
    for problem in history.problems(path):
        print(f"report: {problem}", file=sys.stderr)
    terminal.history(history.read(path), out)
    return 0


def _prune(path: Path, keep: int, out: Console) -> int:
    """Keep the newest `keep` runs and every line of no known time (named on stderr); write it whole or not."""
    with history.locked(path):
        pruned = history.pruned(path, keep)
        _write_outputs({path: pruned.text})
    for note in pruned.notes:
        print(f"report: {note}", file=sys.stderr)
    undated = f", and {len(pruned.notes)} line(s) of no known time" if pruned.notes else ""
    out.print(f"dropped {pruned.dropped} run(s) from {display_path(path)}; {pruned.kept} kept{undated}")
    return 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _to_data(merged: Merged) -> ReportData:
    return to_data(merged, evaluate(merged), _now(), host())


class OutputError(Exception):
    """An output cannot be written; the message names it and the fix."""


def _data_of(matrix: Matrix, path: Path, prefer: str | None) -> tuple[ReportData, list[str]]:
    """A merged results file as it is, or per-env results (a file or a folder) merged now; and their problems."""
    if path.is_file():
        data, _ = read_json(path)
        if isinstance(data, dict) and "cells" in data:
            return baseline.load(path), []
    merged = load_results(matrix, [path], prefer=prefer)
    return _to_data(merged), list(merged.problems)


def _untrusted(problems: list[str]) -> int:
    """Print each input that cannot be trusted; 2 if there is any, else 0."""
    for problem in problems:
        print(f"report: {problem}", file=sys.stderr)
    return 2 if problems else 0


def _write_outputs(files: dict[Path, str]) -> None:
    try:
        write_all_atomically(files)
    except OSError as exc:
        where = display_path(Path(exc.filename)) if exc.filename else ", ".join(map(display_path, files))
        raise OutputError(
            f"cannot write {where}: {exc.strerror or exc}; nothing was written. Fix: make it a writable file "
            "in a writable folder, or pass another `--out`"
        ) from exc


def _build(args: argparse.Namespace, problems: list[str], data: ReportData, out: Console) -> int:
    baseline_path: Path = args.baseline or args.out / "baseline.json"
    # What this writes must be readable as a baseline or a merge input later: check it against its schema now.
    validate_merged(data, "the merged results", "this is a bug in report/export.py; please report it")
    comparison, old = None, None
    if baseline_path.exists():
        try:
            old = baseline.load(baseline_path)
        except IncompatibleResults:
            if not args.accept:  # an unreadable baseline must not block replacing it
                raise
        else:
            comparison = baseline.compare(old, data, baseline.label(baseline_path, old), "this run")
    bench, bench_problem = timings.load_bench(args.out / timings.BENCH_PATH.name)
    report = Report(data, comparison.to_data() if comparison else None, bench, patches.load_known_bugs())
    history_path: Path = args.history or args.out / "history.jsonl"
    files = {
        args.out / "results.json": to_json(data),
        args.out / "results.csv": csvout.render(report),
        args.out / "report.md": markdown.render(report),
        args.out / "report.html": html.render(report),
    }
    accepted, kept = baseline.accepting(old, data)
    if args.accept:
        files[baseline_path] = to_json(accepted)
    with history.locked(history_path):  # from reading the history to writing it: a report at the same time waits
        _write_outputs({**files, history_path: history.appended(history_path, history.entry(data, comparison))})
    terminal.summary(data, out)
    if bench_problem:
        print(f"report: {bench_problem}", file=sys.stderr)
    for problem in history.problems(history_path):
        print(f"report: {problem}", file=sys.stderr)
    terminal.comparison(comparison, out, baseline_path)
    out.print(
        f"wrote {args.out / 'report.md'}, {args.out / 'report.html'}, {args.out / 'results.json'} and "
        f"{args.out / 'results.csv'}"
    )
    if args.accept:
        terminal.accepted(comparison, baseline_path, out, kept)
        return _untrusted(problems)
    return _untrusted(problems) or (1 if comparison and comparison.regressions else 0)


if __name__ == "__main__":
    raise SystemExit(main())
