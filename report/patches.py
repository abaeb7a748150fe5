"""Known async bugs by patch: the async fixes of Django's patch notes, and what the patch sweep observed of each.

Reads report/out/catalogue.json (`tox -e catalogue`) and report/out/sweep.json (`tox -e sweep`), both committed, so
the report needs no network and runs no probe. `load_known_bugs()` gives the kept fixes, each with one row per
series its notes fix it in; `known_bugs_section(bugs)` renders them as Markdown lines, and the page's partial
report/templates/patches.html.j2 renders `patch_rows(bugs)` (its context: `patch_rows`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.matrix import ROOT, display_path, version_key
from report.inputs import IncompatibleResults, schema_error
from report.markdown_text import code, plain, safe_url, table

CATALOGUE_PATH = ROOT / "report" / "out" / "catalogue.json"
SWEEP_PATH = ROOT / "report" / "out" / "sweep.json"


class PatchesError(IncompatibleResults):
    """catalogue.json or sweep.json is not one; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Observed:
    """What the sweep saw of one fix in one series (None where it has not swept that series)."""

    broken: tuple[str, ...]  # the patches where the bug was observed
    first_fixed: str | None  # the first patch from which every patch up to the fix showed the fixed states
    agrees: bool  # the bug was seen, and first seen fixed on the notes' patch
    note: str  # why it disagrees, or what did not run
    bisections: tuple[str, ...]  # tools/bisect's sentences for the same cells

    @property
    def broken_span(self) -> str:
        return patch_span(self.broken)

    @property
    def why(self) -> str:
        """The note, then each bisection of the same cells."""
        return "; ".join([*([self.note] if self.note else []), *(f"bisection: {text}" for text in self.bisections)])


@dataclass(frozen=True)
class SeriesFix:
    """A fix in one series: the patch the notes name, and what the sweep observed."""

    series: str
    fixed_in: str
    observed: Observed | None


@dataclass(frozen=True)
class KnownBug:
    """A kept async fix of the notes: its ticket or CVE, the notes' text, its probes or why none can observe it."""

    key: str
    link: str
    text: str
    probes: tuple[str, ...]
    unobservable: str | None
    series: tuple[SeriesFix, ...]


def load_known_bugs(catalogue: Path = CATALOGUE_PATH, sweep: Path = SWEEP_PATH) -> tuple[KnownBug, ...]:
    """The kept fixes of `catalogue` with what `sweep` observed, in the notes' order; none without a catalogue.

    Raise PatchesError for a file that is not one of its kind.
    """
    if not catalogue.exists():
        return ()
    notes = read_checked(catalogue, "catalogue.schema.json", "`tox -e catalogue`")
    swept = read_checked(sweep, "sweep.schema.json", "`tox -e sweep`")["entries"] if sweep.exists() else {}
    bugs = []
    for entry in notes["entries"]:
        if not entry["kept"]:
            continue
        rows = swept.get(entry["key"], {}).get("series", {})
        bugs.append(
            KnownBug(
                key=entry["key"],
                link=entry["link"],
                text=entry["text"],
                probes=tuple(entry["probes"]),
                unobservable=entry["unobservable"],
                series=tuple(
                    SeriesFix(series, patch, _observed(rows[series]) if series in rows else None)
                    for series, patch in entry["fixed_in"].items()
                ),
            )
        )
    return tuple(bugs)


def read_checked(path: Path, schema: str, command: str) -> dict[str, Any]:
    """The JSON of `path`, checked against contract/schemas/`schema`; PatchesError names the file and `command`."""
    name = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PatchesError(f"{name}: cannot read it ({exc}). Fix: rerun {command}, or delete it") from exc
    problem = schema_error(data, schema)
    if problem:
        raise PatchesError(f"{name}: {problem} (contract/schemas/{schema}). Fix: rerun {command}, or delete it")
    return dict(data)


def _observed(row: dict[str, Any]) -> Observed:
    return Observed(
        broken=tuple(row["observed_broken"]),
        first_fixed=row["first_observed_fixed"],
        agrees=row["agrees_with_notes"],
        note=row["note"],
        bisections=tuple(row["bisections"]),
    )


def known_bugs_section(bugs: tuple[KnownBug, ...]) -> list[str]:
    """The Markdown section "Known async bugs by patch": a row per fix and series, ending in a blank line."""
    lines = ["## Known async bugs by patch", ""]
    if not bugs:
        return [*lines, "No catalogue of the patch notes' async fixes yet: run `tox -e catalogue`.", ""]
    lines += [
        f"The async fixes Django's patch notes list ({len(bugs)} kept of the candidates `tox -e catalogue` finds), "
        "and what their probes showed on every patch of the series up to the fix, on the series' shipped stack "
        "(`tox -e sweep`). A patch shows the bug when a probe's state differs from the fixing patch's.",
        "",
    ]
    rows = []
    for bug, row in patch_rows(bugs):
        fix = f"[{plain(bug.key)}]({bug.link})" if safe_url(bug.link) else plain(bug.key)
        rows.append([f"{fix} {plain(_short(bug.text))}", row.series, row.fixed_in, *_seen(bug, row)])
    return [
        *lines,
        table(["Fix", "Series", "Notes: fixed in", "Observed broken", "First observed fixed", "Agrees", "Why"], rows),
        "",
    ]


def patch_rows(bugs: tuple[KnownBug, ...]) -> list[tuple[KnownBug, SeriesFix]]:
    """A row per fix and series, oldest fixing patch first (the Markdown table's and the page's order)."""
    return sorted(((bug, row) for bug in bugs for row in bug.series), key=lambda pair: version_key(pair[1].fixed_in))


def _seen(bug: KnownBug, row: SeriesFix) -> list[str]:
    """The observed columns of one row: broken, first fixed, agrees, why."""
    if bug.unobservable is not None:
        return ["—", "—", "—", plain(f"cannot be observed here: {bug.unobservable}")]
    observed = row.observed
    if observed is None:
        return ["not swept", "—", "—", f"run {code(f'tox -e sweep -- {row.series}')}"]
    return [
        observed.broken_span or "none",
        observed.first_fixed or "—",
        "yes" if observed.agrees else "**no**",
        plain(observed.why),
    ]


def patch_span(patches: tuple[str, ...]) -> str:
    """`4.1.0-4.1.3` for consecutive patches of one series, else each patch (or a run of them), comma-separated."""
    runs: list[list[str]] = []
    for patch in patches:
        series, _, number = patch.rpartition(".")
        last = runs[-1][-1] if runs else None
        if last and last.rpartition(".")[0] == series and int(last.rpartition(".")[2]) + 1 == int(number):
            runs[-1].append(patch)
        else:
            runs.append([patch])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + " …"
