"""`python -m report`: merge results, compare them with the baseline, write the report, print a summary.

    python -m report                          merge results/, compare with report/baseline.json, write report/
    python -m report --results a/ --results b/dj52.json   merge files and folders (CI jobs, machines, runs)
    python -m report --accept                 make this run the new baseline (and say what that accepts)
    python -m report compare OLD NEW          compare two results (merged files, per-env files or folders)
    python -m report diff 5.2 6.0             what changes between two releases within this run
    python -m report history                  one line per earlier run
    python -m report prune --keep 20          drop all but the newest 20 runs from the history

Exit status: 0, or 1 when a cell regressed against the baseline (or OLD), or 2 when the input is unusable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.atomic import write_text_atomically
from report import baseline, history, html, markdown, terminal, timings
from report.export import host, to_data
from report.inputs import PREFERENCES, IncompatibleResults, validate_merged
from report.matrix import MATRIX_PATH, Matrix, MatrixError, display_path, load_matrix
from report.results import RESULTS_DIR, Merged, load_results
from report.roadmap import evaluate
from report.upgrade import changes

OUT_DIR = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = terminal.console()
    history_path: Path = args.history or args.out / "history.jsonl"
    if args.command == "history":
        terminal.history(history.read(history_path), out)
        return 0
    if args.command == "prune":
        dropped = history.prune(history_path, args.keep)
        out.print(f"dropped {dropped} run(s) from {display_path(history_path)}; {len(history.read(history_path))} kept")
        return 0
    try:
        matrix = load_matrix(args.matrix)
        if args.command == "compare":
            comparison = baseline.compare(
                _data_of(matrix, args.old, args.prefer),
                _data_of(matrix, args.new, args.prefer),
                display_path(args.old),
                display_path(args.new),
            )
            terminal.comparison(comparison, out)
            return 1 if comparison.regressions else 0
        merged = load_results(matrix, args.results or [RESULTS_DIR], prefer=args.prefer)
        data = _to_data(merged)
        if args.command == "diff":
            try:
                found = changes(data, args.before, args.after)
            except ValueError as exc:
                print(f"report diff: {exc}", file=sys.stderr)
                return 2
            terminal.upgrade(args.before, args.after, found, out)
            return 0
        return _build(args, merged, data, out)
    except (MatrixError, IncompatibleResults) as exc:
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
        "--out", type=Path, default=OUT_DIR, help="folder to write results.json, report.md, report.html, history.jsonl"
    )
    parser.add_argument("--baseline", type=Path, help="the results to compare with (default: <out>/baseline.json)")
    parser.add_argument("--accept", action="store_true", help="make this run the new baseline")
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
    prune.add_argument("--keep", type=int, required=True, help="how many of the newest runs to keep")
    return parser


def _to_data(merged: Merged) -> dict[str, Any]:
    return to_data(merged, evaluate(merged), dt.datetime.now(dt.timezone.utc), host())


def _data_of(matrix: Matrix, path: Path, prefer: str | None) -> dict[str, Any]:
    """A merged results file as it is, or per-env results (a file or a folder) merged now."""
    if path.is_file():
        try:
            is_merged = "cells" in json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError):
            is_merged = False
        if is_merged:
            return baseline.load(path)
    return _to_data(load_results(matrix, [path], prefer=prefer))


def _build(args: argparse.Namespace, merged: Merged, data: dict[str, Any], out: terminal.Console) -> int:
    baseline_path: Path = args.baseline or args.out / "baseline.json"
    # What this writes must be readable as a baseline or a merge input later: check it against its schema now.
    validate_merged(data, "the merged results", "this is a bug in report/export.py; please report it")
    comparison = None
    if baseline_path.exists():
        try:
            old = baseline.load(baseline_path)
        except IncompatibleResults:
            if not args.accept:  # an unreadable baseline must not block replacing it
                raise
        else:
            comparison = baseline.compare(old, data, baseline.label(baseline_path, old), "this run")
    shown = comparison.to_data() if comparison else None
    bench, bench_problem = timings.load_bench(args.out / timings.BENCH_PATH.name)
    write_text_atomically(args.out / "results.json", json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    write_text_atomically(args.out / "report.md", markdown.render(data, shown, bench))
    write_text_atomically(args.out / "report.html", html.render(data, shown, bench))
    history.append(args.history or args.out / "history.jsonl", history.entry(data, comparison))
    terminal.summary(data, out)
    if bench_problem:
        print(f"report: {bench_problem}", file=sys.stderr)
    for run in merged.runs:
        if run.status == "invalid":
            print(f"report: {run.problem}; {run.release.env} counts as not-run", file=sys.stderr)
    terminal.comparison(comparison, out, baseline_path)
    out.print(f"wrote {args.out / 'report.md'}, {args.out / 'report.html'} and {args.out / 'results.json'}")
    if args.accept:
        write_text_atomically(baseline_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        terminal.accepted(comparison, baseline_path, out)
        return 0
    return 1 if comparison and comparison.regressions else 0


if __name__ == "__main__":
    raise SystemExit(main())
