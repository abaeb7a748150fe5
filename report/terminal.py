"""The rich summary printed after a run: the roadmap table and any regression, readable in 100 columns."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from report.legend import SYMBOLS, label
from report.upgrade import Change

WIDTH = 100
STYLES = {
    "native": "green",
    "threaded": "blue",
    "blocking": "dark_orange",
    "partial": "yellow",
    "absent": "grey50",
    "broken": "red",
    "undecided": "magenta",
    "not-run": "grey50",
}


def console() -> Console:
    return Console(width=WIDTH, highlight=False)


def summary(data: dict[str, Any], out: Console) -> None:
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
            f"{item['first_shipped']} {SYMBOLS[item['states'][item['first_shipped']]]}"
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
    out.print("  ".join(label(state) for state in SYMBOLS), style="dim")
    broken_envs = [f"{r['version']}: {r['problem']}" for r in data["releases"] if r["problem"]]
    for line in broken_envs:
        out.print(f"[yellow]env not fully run[/] {line}", markup=True)
    found = data["regressions"]["roadmap"] + data["regressions"]["probes"]
    if found:
        out.print(f"[red bold]{len(found)} version regression(s):[/]")
        for r in found:
            out.print(
                f"  {r['subject']}: {label(r['before'])} in {r['before_release']} → {label(r['after'])} in {r['after_release']}"
            )
    else:
        out.print("No version regression.")
    for warning in data["warnings"]:
        out.print(f"[yellow]warning[/] {warning}", markup=True)


def _short(text: str) -> str:
    """`never (as of 6.1)` -> `never`: the table has no room for the detail."""
    return text.split(" (")[0]


def upgrade(before: str, after: str, found: list[Change], out: Console) -> None:
    if not found:
        out.print(f"No difference between {before} and {after}.")
        return
    table = Table(title=f"Upgrading {before} → {after}: what changes", title_justify="left")
    table.add_column("what", overflow="fold", max_width=34)
    table.add_column(before, no_wrap=True)
    table.add_column(after, no_wrap=True)
    table.add_column("why", overflow="fold")
    for change in found:
        table.add_row(
            change.subject,
            Text(label(change.before), style=STYLES[change.before]),
            Text(label(change.after), style=STYLES[change.after]),
            change.why,
        )
    out.print(table)
