"""The Markdown report's sections about the runs: both axes side by side, the changes since the baseline, the
versions of each env, and where the time went."""

from __future__ import annotations

from report import twoaxis
from report.legend import label
from report.markdown_text import cell_text, release_notes, table
from report.model import ComparisonData, ReportData, SideData
from report.timings import milliseconds, ratios_text, seconds, stability_text
from report.view import Report


def axes_section(report: Report) -> list[str]:
    """Both axes side by side (report/twoaxis.py): two sub-columns per release, ≠ where they differ, and why."""
    if "axes" not in report.data:
        return []
    subjects, states = report.grid
    differences = report.data["axes"]["differences"]
    differing = {(d["subject"], d["release"]) for d in differences}
    rows = []
    for subject in subjects:
        row = [f"`{cell_text(subject)}`"]
        for version in report.releases:
            for axis in ("shipped", "latest"):
                state = label(states.get((subject, version, axis), "not-run"))
                row.append(f"**{state} ≠**" if (subject, version) in differing else state)
        rows.append(row)
    lines = [
        "## As shipped and today",
        "",
        "Each release twice, never merged: X.Y.0 with the dependencies of its release day (the first sub-column) and "
        "its latest patch with today's (the second). The roadmap's *first shipped* is read from the first. "
        "**≠** marks a cell whose state differs between the two; below, what differed and which release changed it "
        "(`tox -e bisect -- --all`).",
        "",
        table(["Probe", *[text for pair in report.headers for text in pair]], rows),
        "",
        "### Cells that differ between the axes",
        "",
    ]
    if not differences:
        lines.append("None: every cell that ran on both axes has the same state.")
    for difference in differences:
        cause = difference["cause"] or "not bisected yet (`tox -e bisect -- --all`)"
        lines.append(
            f"- {difference['release']} `{cell_text(difference['subject'])}`: {difference['shipped']} as shipped, "
            f"{difference['latest']} today. Cause: {cell_text(cause)}{release_notes(difference['link'])}. "
            f"Differs: {cell_text(twoaxis.moved(difference))}."
        )
    return [*lines, ""]


def since_baseline(comparison: ComparisonData | None) -> list[str]:
    """Every cell that changed since the baseline, with both sides' evidence and what else changed."""
    if comparison is None:
        return ["No baseline yet: nothing to compare this run with. `python -m report --accept` makes it the baseline."]
    lines = [f"Compared with {cell_text(comparison['before'])}."]
    lines += [f"- ⚑ {cell_text(note)}" for note in comparison["notes"]]
    if not comparison["changes"]:
        return [*lines, "", "No cell changed."]
    counts = ", ".join(f"**{n} {kind}**" for kind, n in comparison["counts"].items())
    rows = [
        [
            f"**{change['kind']}**",
            f"`{change['anchor']}`",
            _evidence(change["before"]),
            _evidence(change["after"]),
            cell_text("; ".join(change["context"])),
        ]
        for change in comparison["changes"]
    ]
    changes = table(["Change", "Cell", "Before (baseline)", "After (this run)", "What else changed"], rows)
    return [*lines, "", f"{len(rows)} changed cells: {counts}.", "", changes]


def _evidence(side: SideData | None) -> str:
    if side is None:
        return "no cell"
    facts = "; ".join(f"{key}={value}" for key, value in side["facts"].items())
    return cell_text(f"{label(side['state'])}: {side['reason']}" + (f" ({facts})" if facts else ""))


def versions_table(data: ReportData, packages: list[str]) -> str:
    """Per release, how its env ran and the version of each package."""
    rows = []
    for release in data["releases"]:
        status = release["status"] if not release["problem"] else f"{release['status']}: {release['problem']}"
        rows.append(
            [
                f"{release['version']} (`{release['env']}`)",
                cell_text(status),
                *[cell_text(release["versions"].get(name) or "—") for name in packages],
            ]
        )
    return table(["Release", "Run", *packages], rows)


def timings_section(report: Report) -> list[str]:
    """Per env its wall time, start-up, server starts, probes, slowest probe and loop noise; then the benchmark."""
    rows = [
        [
            f"{row['version']} (`{row['env']}`)",
            seconds(row["duration"]),
            seconds(row["session_startup"]),
            f"{row['server_starts']} in {seconds(row['server_startup'])}",
            seconds(row["probes"]),
            f"`{row['slowest']}`",
            milliseconds(row.get("noise_ms")),
        ]
        for row in report.timings
    ]
    lines = [
        "This run, per env:",
        "",
        table(
            ["Release", "Env wall time", "Start-up", "Server starts", "Probes", "Slowest probe", "Loop noise (worst)"],
            rows,
        ),
        "",
    ]
    bench = report.bench
    if bench is None:
        return [
            *lines,
            "No benchmark yet: `python bench/run.py` measures cold, warm, sequential, latest-only and busy runs.",
        ]
    lines += [
        f"Benchmark (`python bench/run.py`, {bench['when']}, {bench['cores']} cores, medians of {bench['runs']} runs):",
        "",
        table(["Full matrix", "Median"], [[what, seconds(value)] for what, value in bench["rows"]]),
        "",
        *([cell_text(bench["setting"]), ""] if bench["setting"] else []),
        ratios_text(bench),
    ]
    stability = stability_text(bench)
    if stability:
        lines += ["", cell_text(stability)]
    return lines
