"""The Markdown report's API sections: a row per async API with its loop stall per release, and the known issues."""

from __future__ import annotations

from report.apis import SAFE, VERDICTS, ApiCell, ApiView, ProbeApis, api_label
from report.markdown_text import cell_text, code, plain, release_notes, table
from report.view import Report


def apis_section(view: ApiView) -> list[str]:
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
                f"{code(row.api)} · {cell_text(row.subject)}",
                *[_api_cell(cell) for cell in row.cells],
                f"safe from {row.safe_from}" if row.safe_from else "not yet safe",
            ]
            for row in area.rows
        ]
        lines += [f"### {cell_text(area.area)}", "", table(["API · probe", *view.releases, "Safe from"], rows), ""]
        lines += [_verdicts(view.releases, probe) for probe in area.probes] + [""]
    return lines


def known_issues_section(report: Report) -> list[str]:
    """Each known issue (matrix.yaml) with its ticket, fix and workaround, then each bisected cause of a difference
    between the axes with its release notes; nothing when there are neither."""
    issues = report.known_issues
    causes = [d for d in report.data["axes"]["differences"] if d["cause"]] if "axes" in report.data else []
    if not issues and not causes:
        return []
    lines = [
        "## Known issues and workarounds",
        "",
        "From Django's release notes and the probes' observations (matrix.yaml, `known_issues:` beside each probe); "
        "an issue fixed in a patch release applies to the patches before it (X.Y.0 as shipped, not the latest patch).",
        "",
    ]
    for issue in issues:
        when = _span(issue.releases, report.releases) + (f" before {issue.fixed_in}" if issue.fixed_in else "")
        links = [f"[#{issue.ticket}]({issue.ticket_url})"] if issue.ticket_url else []
        links += [f"fixed in [{issue.fixed_in}]({issue.fixed_in_url})"] if issue.fixed_in_url else []
        line = f"- {code(issue.probe)} on {when}: {plain(issue.note)}"
        line += f" ({'; '.join(links)})." if links else "."
        lines.append(line + (f" Workaround: {plain(issue.workaround)}." if issue.workaround else ""))
    if causes:
        lines += ["", "Where X.Y.0 as shipped and the latest patch differ, the bisected cause:", ""]
    for cause in causes:
        lines.append(
            f"- {cause['release']} {code(cause['subject'])}: {cell_text(cause['shipped'])} as shipped, "
            f"{cell_text(cause['latest'])} in the latest patch: {plain(cause['cause'] or '')}"
            f"{release_notes(cause['link'])}."
        )
    return [*lines, ""]


def _span(releases: tuple[str, ...], versions: tuple[str, ...]) -> str:
    """`5.1-6.1` for consecutive releases (in the report's order), else `4.1, 5.0`."""
    at = [versions.index(release) for release in releases if release in versions]
    if len(at) == len(releases) > 1 and at == list(range(at[0], at[0] + len(at))):
        return f"{releases[0]}-{releases[-1]}"
    return ", ".join(releases)


def _api_cell(cell: ApiCell) -> str:
    stall = f" {cell.stall_ms:.0f} ms" if cell.stall_ms is not None else ""
    return cell_text(api_label(cell.state) + stall)


def _verdicts(releases: tuple[str, ...], probe: ProbeApis) -> str:
    """`- `sessions.file` (title): stalls or fails on 5.1, 5.2 (aload, asave); not there on 2.2, 3.0`."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for index, version in enumerate(releases):
        groups.setdefault((probe.verdict(index), probe.failing(index)), []).append(version)
    order = sorted(groups, key=lambda key: VERDICTS.index(key[0]))
    said = [
        f"{verdict} on {', '.join(groups[(verdict, failing)])}"
        + (f" ({cell_text(', '.join(failing))})" if failing else "")
        for verdict, failing in order
    ]
    return f"- `{cell_text(probe.subject)}` ({cell_text(probe.title)}): {'; '.join(said)}"
