"""`python -m report`: merge results/, write report/results.json, report.md and report.html, print a summary.

`python -m report diff 5.2 6.0` prints what changes between two releases instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from report import html, markdown, terminal
from report.export import host, to_data
from report.matrix import MATRIX_PATH, MatrixError, load_matrix
from report.results import RESULTS_DIR, load_results
from report.roadmap import evaluate
from report.upgrade import changes

OUT_DIR = Path(__file__).resolve().parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    parser.add_argument("--matrix", type=Path, default=MATRIX_PATH, help="matrix.yaml to read")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder of <env>.json results files")
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="folder to write results.json, report.md, report.html"
    )
    sub = parser.add_subparsers(dest="command")
    diff = sub.add_parser("diff", help="what changes between two releases, e.g. `diff 5.2 6.0`")
    diff.add_argument("before")
    diff.add_argument("after")
    args = parser.parse_args(argv)
    out = terminal.console()
    try:
        matrix = load_matrix(args.matrix)
    except MatrixError as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 2
    merged = load_results(matrix, args.results)
    data = to_data(merged, evaluate(merged), dt.datetime.now(dt.timezone.utc), host())
    if args.command == "diff":
        try:
            found = changes(data, args.before, args.after)
        except ValueError as exc:
            print(f"report diff: {exc}", file=sys.stderr)
            return 2
        terminal.upgrade(args.before, args.after, found, out)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "report.md").write_text(markdown.render(data), encoding="utf-8")
    (args.out / "report.html").write_text(html.render(data), encoding="utf-8")
    terminal.summary(data, out)
    for run in merged.runs:
        if run.status == "invalid":
            print(f"report: {run.problem}; {run.release.env} counts as not-run", file=sys.stderr)
    out.print(f"wrote {args.out / 'report.md'}, {args.out / 'report.html'} and {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
