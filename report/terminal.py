"""The rich summary printed after a run: the roadmap table and any regression, readable in 100 columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich import box
from rich.columns import Columns
from rich.console import Console
from rich.table import Table
from rich.text import Text

from contract.matrix import display_path
from report.baseline import Change, Comparison
from report.legend import STYLES, SYMBOLS, label
from report.model import ReportData, Side
from report.roadmap import NOT_RUN

WIDTH = 100
# `--accept` after a partial run names the cells it kept from the previous baseline, the first few of them.
MAX_KEPT_LISTED = 10

# How each kind of run-to-run change stands out (report/baseline.py defines the kinds).
KIND_STYLES = {"regression": "red bold", "not-run": "yellow bold", "undecided": "magenta", "improvement": "green"}


def console() -> Console:
    # No markup: reasons and problems come from results files, and "[/]" in one must print, not raise.
    return Console(width=WIDTH, highlight=False, markup=False)


def summary(data: ReportData, out: Console) -> None:
    releases = [release["version"] for release in data["releases"]]
    table = Table(
        title="Django async roadmap: one symbol per release",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
    )
    table.add_column("item", overflow="fold", min_width=18, max_width=26)
    table.add_column("plan", no_wrap=True)
    table.add_column("shipped", no_wrap=True)
    table.add_column("native", no_wrap=True)
    for version in releases:
        table.add_column(version, justify="center", no_wrap=True, min_width=3)
    for item in data["roadmap"]:
        shipped = (
            f"{item['first_shipped']} {SYMBOLS[item.get('states_shipped', item['states'])[item['first_shipped']]]}"
            if item["first_shipped"]
            else _short(item["first_shipped_text"])
        )
        table.add_row(
            item["id"],
            item["planned_for"] or "—",
            shipped,
            item["first_native"] or _short(item["first_native_text"]),
            *[Text(SYMBOLS[item["states"][v]], style=STYLES[item["states"][v]]) for v in releases],
        )
    out.print(table)
    # in columns: wider than the console, a line of them would wrap inside one (a "?" apart from its "undecided")
    out.print(Columns([label(state) for state in SYMBOLS], padding=(0, 2)), style="dim")
    broken_envs = [f"{r['version']}: {r['problem']}" for r in data["releases"] if r["problem"]]
    for line in broken_envs:
        out.print(Text.assemble(("env not fully run", "yellow"), f" {line}"))
    found = data["regressions"]["roadmap"] + data["regressions"]["probes"]
    if found:
        out.print(Text(f"{len(found)} version regression(s):", style="red bold"))
        for r in found:
            out.print(
                f"  {r['subject']}: {label(r['before'])} in {r['before_release']} → {label(r['after'])} in {r['after_release']}"
            )
    else:
        out.print("No version regression.")
    for warning in data["warnings"]:
        out.print(Text.assemble(("warning", "yellow"), f" {warning}"))


def _short(text: str) -> str:
    """`never (as of 6.1)` -> `never`: the table has no room for the detail."""
    return text.split(" (")[0]


def upgrade(before: str, after: str, found: Sequence[Change[Side]], out: Console) -> None:
    if not found:
        out.print(f"No difference between {before} and {after}.")
        return
    table = Table(title=f"Upgrading {before} → {after}: what changes", title_justify="left")
    table.add_column("what", overflow="fold", max_width=34)
    table.add_column(before, no_wrap=True)
    table.add_column(after, no_wrap=True)
    table.add_column("why", overflow="fold")
    for change in found:
        old, new = _side(change.before), _side(change.after)
        table.add_row(
            change.what,
            Text(old, style=STYLES[change.before["state"]] if change.before else ""),
            Text(new, style=STYLES[change.after["state"]] if change.after else ""),
            change.after["reason"] if change.after else "",
        )
    out.print(table)


def comparison(found: Comparison | None, out: Console, baseline_path: Path | None = None) -> None:
    """Every cell that changed since the baseline, worst first, each with what else changed for it."""
    if found is None:
        where = display_path(baseline_path) if baseline_path else "the baseline"
        out.print(
            Text(
                f"No baseline yet ({where} does not exist): nothing to compare with. "
                "`python -m report --accept` (or `tox -e report -- --accept`) makes this run the baseline."
            )
        )
        return
    out.print(Text(f"Compared with {found.before}:", style="bold"))
    for note in found.notes:
        out.print(Text(f"  note: {note}", style="yellow"))
    if not found.changes:
        out.print("  No cell changed.")
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in found.counts().items())
    out.print(Text(f"  {len(found.changes)} changed cell(s): {counts}", style="red bold" if found.regressions else ""))
    for change in found.changes:
        line = Text(f"  {change.kind.upper():<12}", style=KIND_STYLES.get(change.kind, ""))
        line.append(f"{change.anchor}: {_side(change.before)} → {_side(change.after)}")
        out.print(line)
        for side, cell in (("before", change.before), ("after", change.after)):
            if cell is not None:
                out.print(Text(f"      {side}: {cell['reason']}", style="dim"), overflow="fold")
        if change.context:
            out.print(Text(f"      what else changed: {'; '.join(change.context)}"), overflow="fold")
    if found.regressions:
        out.print(
            Text(
                f"{len(found.regressions)} regression(s) against the baseline: exit status 1. If they are expected, "
                "`python -m report --accept` makes this run the new baseline.",
                style="red bold",
            )
        )


def accepted(found: Comparison | None, baseline_path: Path, out: Console, kept: Sequence[str] = ()) -> None:
    """Say what `--accept` took in (the changed cells now count as the expected state), and what it kept."""
    if found is None:
        out.print(Text(f"accepted: {display_path(baseline_path)} is the first baseline (this run, every cell)."))
        return
    changed = ", ".join(f"{n} {kind}" for kind, n in found.counts().items()) or "no changed cell"
    out.print(Text(f"accepted: {display_path(baseline_path)} now holds this run ({changed}):", style="bold"))
    for change in found.changes:
        if change.after is None or change.after["state"] != NOT_RUN or change.anchor not in kept:
            out.print(Text(f"  {change.anchor}: {_side(change.before)} → {_side(change.after)} ({change.kind})"))
    if kept:
        out.print(
            Text(
                f"  kept {len(kept)} cells of the previous baseline that did not run now: "
                + ", ".join(kept[:MAX_KEPT_LISTED])
                + (f" … and {len(kept) - MAX_KEPT_LISTED} more" if len(kept) > MAX_KEPT_LISTED else ""),
                style="yellow",
            ),
            overflow="fold",
        )


def history(runs: list[dict[str, Any]], out: Console) -> None:
    """One row per earlier run: when, where, Django versions that ran, cells per state, changes vs its baseline."""
    if not runs:
        out.print("No run in the history yet.")
        return
    table = Table(title="Run history, oldest first", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("generated", no_wrap=True)
    table.add_column("host", overflow="fold", max_width=18)
    table.add_column("envs run", justify="right")
    table.add_column("cells per state", overflow="fold")
    table.add_column("vs baseline", overflow="fold")
    for run in runs:
        envs = run.get("envs", {})
        ran = sum(env.get("status") in ("complete", "incomplete") for env in envs.values())
        host = run.get("host") or {}
        table.add_row(
            str(run.get("generated", "?"))[:16],
            f"{host.get('os', '?')}, {host.get('cpus', '?')} CPUs",
            f"{ran}/{len(envs)}",
            " ".join(f"{SYMBOLS.get(state, state)}{n}" for state, n in run.get("counts", {}).items()),
            ", ".join(f"{n} {kind}" for kind, n in run.get("changes", {}).items())
            or ("no baseline" if run.get("baseline") is None else "no change"),
        )
    out.print(table)
    for run in runs:
        for cell in run.get("changed_cells", []):
            out.print(Text(f"{str(run.get('generated', '?'))[:16]}  {cell}"), overflow="fold")


def _side(cell: Side | None) -> str:
    return label(cell["state"]) if cell else "(no cell)"
