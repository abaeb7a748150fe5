"""The Markdown report GitHub renders: roadmap table, per-probe table, scores, regressions, legend, versions."""

from __future__ import annotations

from typing import Any

from contract.evidence import strip_controls
from contract.matrix import known_issues
from report import twoaxis
from report.apis import SAFE, VERDICTS, ApiCell, ApiView, ProbeApis, api_label, api_view
from report.export import probe_rows
from report.legend import MEANINGS, label
from report.roadmap import WORKING
from report.timings import milliseconds, ratios_text, seconds, stability_text, timing_rows


def render(data: dict[str, Any], comparison: dict[str, Any] | None = None, bench: dict[str, Any] | None = None) -> str:
    """The report; `comparison` (report/baseline.py's Comparison.to_data()) adds the changes since the baseline,
    `bench` (report/timings.py's load_bench) the benchmark's medians."""
    releases = data["releases"]
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
        _roadmap(data),
        "",
        *_disagreements(data),
        *_parts(data),
        *_apis(api_view(data)),
        *_known_issues(data),
        "## Async score per release",
        "",
        f"Share of roadmap items that are native, and that work at all ({_either(WORKING)}).",
        "",
        _scores(data),
        "",
        "## Since the baseline",
        "",
        *_since_baseline(comparison),
        "",
        "## Version regressions",
        "",
        *_regressions(data),
        "",
        "## Every probe",
        "",
        _table(["Probe", "Server", *[_header(r) for r in releases]], _probe_rows(data)),
        "",
        *_axes(data),
        "## Legend",
        "",
        _table(["Cell", "Meaning"], [[label(state), meaning] for state, meaning in MEANINGS.items()]),
        "",
        "Columns are never merged: two releases with the same results are still two columns. "
        "A header reads `version (release date, LTS, supported|EOL as of the run)`.",
        "",
        "## Versions of each env",
        "",
        _versions(data),
        "",
        "## Timings",
        "",
        *_timings(data, bench),
        "",
    ]
    if data["warnings"]:
        lines += ["## Warnings", "", *[f"- {_cell_text(w)}" for w in data["warnings"]], ""]
    return "\n".join(lines)


def _roadmap(data: dict[str, Any]) -> str:
    """One row per roadmap item: plan, documentation, first shipped and native, delays, its state per release."""
    releases = data["releases"]
    return _table(
        [
            "Item (cells: latest patch, today's dependencies)",
            "Planned",
            "Documented",
            _first_shipped(data),
            "First native (latest patch)",
            "Delay (shipped)",
            "Delay (native)",
        ]
        + [_header(r) for r in releases],
        [
            [
                f"**{_cell_text(item['title'])}** (`{item['id']}`)",
                f"{item['planned_for'] or '—'} ([{_cell_text(item['planned_by'])}]({item['source']}))",
                _documented(item),
                _shipped(item),
                item["first_native_text"],
                _delay(item["shipped_delay"]),
                _delay(item["native_delay"]),
            ]
            + [label(item["states"][r["version"]]) for r in releases]
            for item in data["roadmap"]
        ],
    )


def _scores(data: dict[str, Any]) -> str:
    return _table(
        ["", *[_header(r) for r in data["releases"]]],
        [
            ["native", *[f"{s['native']:.0%}" for s in data["scores"]]],
            ["works", *[f"{s['working']:.0%}" for s in data["scores"]]],
        ],
    )


def _first_shipped(data: dict[str, Any]) -> str:
    """The roadmap's column header: which axis "first shipped" was read from."""
    return "First shipped (as shipped: X.Y.0 on its day's deps)" if "axes" in data else "First shipped"


def _axes(data: dict[str, Any]) -> list[str]:
    """Both axes side by side (report/twoaxis.py): two sub-columns per release, ≠ where they differ, and why."""
    if "axes" not in data:
        return []
    subjects, states = twoaxis.grid(data)
    differing = {(d["subject"], d["release"]) for d in data["axes"]["differences"]}
    versions = [release["version"] for release in data["releases"]]
    rows = []
    for subject in subjects:
        row = [f"`{_cell_text(subject)}`"]
        for version in versions:
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
        _table(["Probe", *[text for pair in twoaxis.headers(data) for text in pair]], rows),
        "",
        "### Cells that differ between the axes",
        "",
    ]
    if not data["axes"]["differences"]:
        lines.append("None: every cell that ran on both axes has the same state.")
    for difference in data["axes"]["differences"]:
        cause = difference["cause"] or "not bisected yet (`tox -e bisect -- --all`)"
        lines.append(
            f"- {difference['release']} `{_cell_text(difference['subject'])}`: {difference['shipped']} as shipped, "
            f"{difference['latest']} today. Cause: {_cell_text(cause)}. "
            f"Differs: {_cell_text(twoaxis.moved(difference))}."
        )
    return [*lines, ""]


def _either(states: tuple[str, ...]) -> str:
    """`native, threaded or blocking`."""
    return f"{', '.join(states[:-1])} or {states[-1]}" if len(states) > 1 else "".join(states)


def _host(host: dict[str, Any]) -> str:
    return f"{host['os']}, {host['arch']}, {host['cpus']} CPUs"


def _header(release: dict[str, Any]) -> str:
    marks = [release["released"]]
    if release["lts"]:
        marks.append("LTS")
    marks.append("supported" if release["supported"] else "EOL")
    return f"{release['version']} ({', '.join(marks)})"


def _documented(item: dict[str, Any]) -> str:
    documented = item["documented_in"]
    return f"[{documented['release']}]({documented['url']})" if documented else "not in release notes"


def _delay(delay: dict[str, Any] | None) -> str:
    return delay["text"] if delay else "no plan"


def _disagreements(data: dict[str, Any]) -> list[str]:
    notes = [f"- `{item['id']}`: {_cell_text(item['docs_note'])}" for item in data["roadmap"] if item["docs_note"]]
    return ["Where the measurement and the release notes disagree:", "", *notes, ""] if notes else []


def _shipped(item: dict[str, Any]) -> str:
    """First shipped, and the latest axis's answer too where it differs (the cells show the latest axis)."""
    latest = item.get("first_shipped_latest_text")
    if latest is None or latest == item["first_shipped_text"]:
        return str(item["first_shipped_text"])
    return f"{item['first_shipped_text']}; latest patch: {latest}"


def _parts(data: dict[str, Any]) -> list[str]:
    """Each item's deciding probes by state wherever they differ (releases with the same parts together)."""
    notes = []
    for item in data["roadmap"]:
        by_parts: dict[str, list[str]] = {}
        for version, text in item.get("parts", {}).items():
            by_parts.setdefault(text, []).append(version)
        notes += [f"- `{item['id']}` in {', '.join(v)}: {_cell_text(text)}" for text, v in by_parts.items()]
    intro = "Where an item's deciding probes differ (its cell shows the least async of them, or partial):"
    return [intro, "", *notes, ""] if notes else []


def _apis(view: ApiView) -> list[str]:
    """A table per area, a row per API (state and loop stall per release, safe from), each probe's releases by
    what its APIs add up to."""
    if not view.areas:
        return []
    lines = [
        "## Async APIs, one row per API",
        "",
        "Cells: latest patch, today's dependencies. Each cell is the API's own state and the event loop's longest "
        f"stall during the call. *Safe*: it neither stalls the loop nor fails ({', '.join(SAFE)}); *safe from*: the "
        "first release from which it is safe in every later release (a release that did not run never counts as "
        "safe). Under each table, each probe's releases by what its APIs add up to.",
        "",
    ]
    for area in view.areas:
        rows = [
            [
                f"{_code(row.api)} · {_cell_text(row.subject)}",
                *[_api_cell(cell) for cell in row.cells],
                f"safe from {row.safe_from}" if row.safe_from else "not yet safe",
            ]
            for row in area.rows
        ]
        lines += [f"### {_cell_text(area.area)}", "", _table(["API · probe", *view.releases, "Safe from"], rows), ""]
        lines += [_verdicts(view.releases, probe) for probe in area.probes] + [""]
    return lines


def _known_issues(data: dict[str, Any]) -> list[str]:
    """Each known issue (matrix.yaml) with its ticket, fix and workaround, then each bisected cause of a difference
    between the axes with its release notes; nothing when there are neither."""
    issues = known_issues(data)
    causes = [d for d in data.get("axes", {}).get("differences", []) if d["cause"]]
    if not issues and not causes:
        return []
    versions = [release["version"] for release in data["releases"]]
    lines = [
        "## Known issues and workarounds",
        "",
        "From Django's release notes and the probes' observations (matrix.yaml, `known_issues:` beside each probe); "
        "an issue fixed in a patch release applies to the patches before it (X.Y.0 as shipped, not the latest patch).",
        "",
    ]
    for issue in issues:
        when = _span(issue.releases, versions) + (f" before {issue.fixed_in}" if issue.fixed_in else "")
        links = [f"[#{issue.ticket}]({issue.ticket_url})"] if issue.ticket_url else []
        links += [f"fixed in [{issue.fixed_in}]({issue.fixed_in_url})"] if issue.fixed_in_url else []
        line = f"- {_code(issue.probe)} on {when}: {_plain(issue.note)}"
        line += f" ({'; '.join(links)})." if links else "."
        lines.append(line + (f" Workaround: {_plain(issue.workaround)}." if issue.workaround else ""))
    if causes:
        lines += ["", "Where X.Y.0 as shipped and the latest patch differ, the bisected cause:", ""]
    for cause in causes:
        link = cause["link"]
        notes = f" ([release notes]({link}))" if isinstance(link, str) and _safe_url(link) else ""
        lines.append(
            f"- {cause['release']} {_code(cause['subject'])}: {_cell_text(cause['shipped'])} as shipped, "
            f"{_cell_text(cause['latest'])} in the latest patch: {_plain(cause['cause'])}{notes}."
        )
    return [*lines, ""]


def _span(releases: tuple[str, ...], versions: list[str]) -> str:
    """`5.1-6.1` for consecutive releases (in the report's order), else `4.1, 5.0`."""
    at = [versions.index(release) for release in releases if release in versions]
    if len(at) == len(releases) > 1 and at == list(range(at[0], at[0] + len(at))):
        return f"{releases[0]}-{releases[-1]}"
    return ", ".join(releases)


def _plain(text: str) -> str:
    """Text that can neither break a table row nor become a link, code or emphasis."""
    return "".join(f"\\{char}" if char in "[]`*" else char for char in _cell_text(text))


def _safe_url(url: str) -> bool:
    """An https link that cannot end a Markdown link early or carry markup."""
    return url.startswith("https://") and not any(char in url for char in ' ()<>[]`"\n')


def _api_cell(cell: ApiCell) -> str:
    stall = f" {cell.stall_ms:.0f} ms" if cell.stall_ms is not None else ""
    return _cell_text(api_label(cell.state) + stall)


def _verdicts(releases: tuple[str, ...], probe: ProbeApis) -> str:
    """`- `sessions.file` (title): stalls or fails on 5.1, 5.2 (aload, asave); not there on 2.2, 3.0`."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for index, version in enumerate(releases):
        groups.setdefault((probe.verdict(index), probe.failing(index)), []).append(version)
    order = sorted(groups, key=lambda key: VERDICTS.index(key[0]))
    said = [
        f"{verdict} on {', '.join(groups[(verdict, failing)])}"
        + (f" ({_cell_text(', '.join(failing))})" if failing else "")
        for verdict, failing in order
    ]
    return f"- `{_cell_text(probe.subject)}` ({_cell_text(probe.title)}): {'; '.join(said)}"


def _code(text: str) -> str:
    """Probe-originated text as inline code that cannot end early (a backtick becomes a quote)."""
    quoted = text.replace("`", "'")
    return f"`{_cell_text(quoted)}`"


def _regressions(data: dict[str, Any]) -> list[str]:
    found = data["regressions"]["roadmap"] + data["regressions"]["probes"]
    if not found:
        return ["None: no item or probe got less async from one release to a later one."]
    return [
        f"- `{r['subject']}`: {label(r['before'])} in {r['before_release']} → {label(r['after'])} in {r['after_release']}"
        + (
            f" (before: {_cell_text(r['before_reason'])}; after: {_cell_text(r['after_reason'])})"
            if "before_reason" in r
            else ""
        )
        for r in found
    ]


def _since_baseline(comparison: dict[str, Any] | None) -> list[str]:
    """Every cell that changed since the baseline, with both sides' evidence and what else changed."""
    if comparison is None:
        return ["No baseline yet: nothing to compare this run with. `python -m report --accept` makes it the baseline."]
    lines = [f"Compared with {_cell_text(comparison['before'])}."]
    lines += [f"- ⚑ {_cell_text(note)}" for note in comparison["notes"]]
    if not comparison["changes"]:
        return [*lines, "", "No cell changed."]
    counts = ", ".join(f"**{n} {kind}**" for kind, n in comparison["counts"].items())
    rows = [
        [
            f"**{change['kind']}**",
            f"`{change['anchor']}`",
            _evidence(change["before"]),
            _evidence(change["after"]),
            _cell_text("; ".join(change["context"])),
        ]
        for change in comparison["changes"]
    ]
    table = _table(["Change", "Cell", "Before (baseline)", "After (this run)", "What else changed"], rows)
    return [*lines, "", f"{len(rows)} changed cells: {counts}.", "", table]


def _evidence(side: dict[str, Any] | None) -> str:
    if side is None:
        return "no cell"
    facts = "; ".join(f"{key}={value}" for key, value in side["facts"].items())
    return _cell_text(f"{label(side['state'])}: {side['reason']}" + (f" ({facts})" if facts else ""))


def _probe_rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [
            f"`{row['probe']}`: {_cell_text(row['title'])}",
            row["server"] or "—",
            *[label(cell["state"]) for cell in row["cells"]],
        ]
        for row in probe_rows(data)
    ]


def _versions(data: dict[str, Any]) -> str:
    packages = sorted({name for r in data["releases"] for name in r["versions"]})
    rows = []
    for release in data["releases"]:
        status = release["status"] if not release["problem"] else f"{release['status']}: {release['problem']}"
        rows.append(
            [
                f"{release['version']} (`{release['env']}`)",
                _cell_text(status),
                *[_cell_text(release["versions"].get(name) or "—") for name in packages],
            ]
        )
    return _table(["Release", "Run", *packages], rows)


def _timings(data: dict[str, Any], bench: dict[str, Any] | None) -> list[str]:
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
        for row in timing_rows(data)
    ]
    lines = [
        "This run, per env:",
        "",
        _table(
            ["Release", "Env wall time", "Start-up", "Server starts", "Probes", "Slowest probe", "Loop noise (worst)"],
            rows,
        ),
        "",
    ]
    if bench is None:
        return [
            *lines,
            "No benchmark yet: `python bench/run.py` measures cold, warm, sequential, latest-only and busy runs.",
        ]
    lines += [
        f"Benchmark (`python bench/run.py`, {bench['when']}, {bench['cores']} cores, medians of {bench['runs']} runs):",
        "",
        _table(["Full matrix", "Median"], [[label, seconds(value)] for label, value in bench["rows"]]),
        "",
        *([_cell_text(bench["setting"]), ""] if bench.get("setting") else []),
        ratios_text(bench),
    ]
    stability = stability_text(bench)
    if stability:
        lines += ["", _cell_text(stability)]
    return lines


def _cell_text(text: str) -> str:
    """Text that cannot break a table row or turn into markup (results may come from another machine)."""
    escaped = strip_controls(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
