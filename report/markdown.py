"""The Markdown report GitHub renders: roadmap table, per-probe table, scores, regressions, legend, versions.

The sections about APIs live in report/markdown_apis.py, those about the runs in report/markdown_runs.py; all of
them read one `Report` (report/view.py) and only format it.
"""

from __future__ import annotations

from report.legend import MEANINGS, label
from report.markdown_apis import apis_section, known_issues_section
from report.markdown_runs import axes_section, since_baseline, timings_section, versions_table
from report.markdown_text import cell_text, either, header, table
from report.model import DelayData, Host, ReportData, RoadmapData
from report.patches import known_bugs_section
from report.roadmap import WORKING
from report.view import Report


def render(report: Report) -> str:
    """The report, with the changes since the baseline (`report.comparison`) and the benchmark's medians
    (`report.bench`) where there are."""
    data = report.data
    headers = [header(release) for release in data["releases"]]
    lines = [
        "# Django async: roadmap vs reality",
        "",
        f"Generated {data['generated']} from the runs started {data['run']['first_started']} to "
        f"{data['run']['last_started']} on {_host(data['run']['host'])}. "
        "Open `report.html` (next to this file) for the evidence behind every cell, filters, the async-score "
        "chart and the upgrade view. Rules: [README-rules.md](../README-rules.md).",
        "",
        "## Roadmap items",
        "",
        _roadmap(data, headers),
        "",
        *_disagreements(data),
        *_parts(data),
        *apis_section(report.apis),
        *known_issues_section(report),
        *known_bugs_section(report.known_bugs),
        "## Async score per release",
        "",
        f"Share of roadmap items that are native, and that work at all ({either(WORKING)}).",
        "",
        _scores(data, headers),
        "",
        "## Since the baseline",
        "",
        *since_baseline(report.comparison),
        "",
        "## Version regressions",
        "",
        *_regressions(data),
        "",
        "## Every probe",
        "",
        table(["Probe", "Server", *headers], _probe_rows(report)),
        "",
        *axes_section(report),
        "## Legend",
        "",
        table(["Cell", "Meaning"], [[label(state), meaning] for state, meaning in MEANINGS.items()]),
        "",
        "Columns are never merged: two releases with the same results are still two columns. "
        "A header reads `version (release date, LTS, supported|EOL as of the run)`.",
        "",
        "## Versions of each env",
        "",
        versions_table(data, report.packages),
        "",
        "## Timings",
        "",
        *timings_section(report),
        "",
    ]
    if data["warnings"]:
        lines += ["## Warnings", "", *[f"- {cell_text(w)}" for w in data["warnings"]], ""]
    return "\n".join(lines)


def _roadmap(data: ReportData, headers: list[str]) -> str:
    """One row per roadmap item: plan, documentation, first shipped and native, delays, its state per release."""
    return table(
        [
            "Item (cells: latest patch, today's dependencies)",
            "Planned",
            "Documented",
            _first_shipped(data),
            "First native (latest patch)",
            "Delay (shipped)",
            "Delay (native)",
            *headers,
        ],
        [
            [
                f"**{cell_text(item['title'])}** (`{item['id']}`)",
                f"{item['planned_for'] or '—'} ([{cell_text(item['planned_by'])}]({item['source']}))",
                _documented(item),
                _shipped(item),
                item["first_native_text"],
                _delay(item["shipped_delay"]),
                _delay(item["native_delay"]),
            ]
            + [label(item["states"][r["version"]]) for r in data["releases"]]
            for item in data["roadmap"]
        ],
    )


def _scores(data: ReportData, headers: list[str]) -> str:
    return table(
        ["", *headers],
        [
            ["native", *[f"{s['native']:.0%}" for s in data["scores"]]],
            ["works", *[f"{s['working']:.0%}" for s in data["scores"]]],
        ],
    )


def _first_shipped(data: ReportData) -> str:
    """The roadmap's column header: which axis "first shipped" was read from."""
    return "First shipped (as shipped: X.Y.0 on its day's deps)" if "axes" in data else "First shipped"


def _host(host: Host) -> str:
    return f"{host['os']}, {host['arch']}, {host['cpus']} CPUs"


def _documented(item: RoadmapData) -> str:
    documented = item["documented_in"]
    return f"[{documented['release']}]({documented['url']})" if documented else "not in release notes"


def _delay(delay: DelayData | None) -> str:
    return delay["text"] if delay else "no plan"


def _disagreements(data: ReportData) -> list[str]:
    notes = [f"- `{item['id']}`: {cell_text(item['docs_note'])}" for item in data["roadmap"] if item["docs_note"]]
    return ["Where the measurement and the release notes disagree:", "", *notes, ""] if notes else []


def _shipped(item: RoadmapData) -> str:
    """First shipped, and the latest axis's answer too where it differs (the cells show the latest axis)."""
    latest = item.get("first_shipped_latest_text")
    if latest is None or latest == item["first_shipped_text"]:
        return str(item["first_shipped_text"])
    return f"{item['first_shipped_text']}; latest patch: {latest}"


def _parts(data: ReportData) -> list[str]:
    """Each item's deciding probes by state wherever they differ (releases with the same parts together)."""
    notes = []
    for item in data["roadmap"]:
        by_parts: dict[str, list[str]] = {}
        for version, text in item.get("parts", {}).items():
            by_parts.setdefault(text, []).append(version)
        notes += [f"- `{item['id']}` in {', '.join(v)}: {cell_text(text)}" for text, v in by_parts.items()]
    intro = "Where an item's deciding probes differ (its cell shows the least async of them, or partial):"
    return [intro, "", *notes, ""] if notes else []


def _regressions(data: ReportData) -> list[str]:
    found = data["regressions"]["roadmap"] + data["regressions"]["probes"]
    if not found:
        return ["None: no item or probe got less async from one release to a later one."]
    return [
        f"- `{r['subject']}`: {label(r['before'])} in {r['before_release']} → {label(r['after'])} in {r['after_release']}"
        + (
            f" (before: {cell_text(r['before_reason'])}; after: {cell_text(r['after_reason'])})"
            if "before_reason" in r and "after_reason" in r
            else ""
        )
        for r in found
    ]


def _probe_rows(report: Report) -> list[list[str]]:
    return [
        [
            f"`{row['probe']}`: {cell_text(row['title'])}",
            row["server"] or "—",
            *[label(cell["state"]) for cell in row["cells"]],
        ]
        for row in report.probe_rows
    ]
