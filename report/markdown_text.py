"""Text the Markdown report is made of: table rows that results (which may come from another machine) cannot break,
inline code, links and release headers."""

from __future__ import annotations

from contract.evidence import strip_controls
from report.model import ReleaseData


def cell_text(text: str) -> str:
    """Text that cannot break a table row or turn into markup (results may come from another machine)."""
    escaped = strip_controls(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plain(text: str) -> str:
    """Text that can neither break a table row nor become a link, code or emphasis."""
    return "".join(f"\\{char}" if char in "[]`*" else char for char in cell_text(text))


def code(text: str) -> str:
    """Probe-originated text as inline code that cannot end early (a backtick becomes a quote)."""
    quoted = text.replace("`", "'")
    return f"`{cell_text(quoted)}`"


def safe_url(url: str) -> bool:
    """An https link that cannot end a Markdown link early or carry markup."""
    return url.startswith("https://") and not any(char in url for char in ' ()<>[]`"\n')


def release_notes(link: object) -> str:
    """` ([release notes](link))` after a bisected cause, or nothing when there is no safe link."""
    return f" ([release notes]({link}))" if isinstance(link, str) and safe_url(link) else ""


def either(states: tuple[str, ...]) -> str:
    """`native, threaded or blocking`."""
    return f"{', '.join(states[:-1])} or {states[-1]}" if len(states) > 1 else "".join(states)


def header(release: ReleaseData) -> str:
    """A release's column header: `5.2 (2025-04-02, LTS, supported)`."""
    marks = [release["released"]]
    if release["lts"]:
        marks.append("LTS")
    marks.append("supported" if release["supported"] else "EOL")
    return f"{release['version']} ({', '.join(marks)})"
