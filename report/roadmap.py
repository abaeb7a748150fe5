"""Roadmap vs reality: one state per (item, release) from its deciding probes, delays, scores, regressions.

The combination rule (report/README-rules.md quotes it) looks at every deciding cell of an item on a
release (each deciding probe under each server it runs under, or the one server an `id@server` names):

1. `not-run`   if there is no deciding cell, or any deciding cell did not run: we cannot say.
2. `undecided` if any deciding cell is undecided: the observation did not settle it.
3. `absent`    if every deciding cell is absent.
4. `broken`    if no deciding cell works and some are broken: it is there but fails.
5. `partial`   if some deciding cells work and others are absent or broken.
6. otherwise every deciding cell works, and the least async of them names the item: `blocking`, then
   `buffered`, then `serialized`, then `threaded`; `native` only if every deciding cell is native.

An item is never `broken` as a whole while a part of it works, and never hides a part: wherever its deciding
cells differ in state, its `parts` name them by state (`blocking: sessions.file; threaded: sessions.db`). Its *core* (matrix.yaml `core:`, by default
every deciding probe) is what its release notes announce: it has *shipped* on the first release where its
core works (native, threaded, serialized, buffered or blocking), even if other parts fail there (the item is then
partial). Delays count feature releases and calendar months (release dates from matrix.yaml) from the
release a plan named. States rank native > threaded > serialized > buffered > blocking > partial > absent = broken;
a later release that ranks lower than the nearest earlier comparable release is a version regression
(not-run and undecided are not comparable, so they neither raise nor hide a regression).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from contract.matrix import ProbeRef, Release, RoadmapItem
from contract.states import STATES, State
from report.results import Merged, servers_of

NATIVE, THREADED, BLOCKING = State.NATIVE.value, State.THREADED.value, State.BLOCKING.value
PARTIAL, ABSENT, BROKEN = State.PARTIAL.value, State.ABSENT.value, State.BROKEN.value
NOT_RUN, UNDECIDED = State.NOT_RUN.value, State.UNDECIDED.value
# Higher is more async. not-run and undecided have no rank on purpose: they say nothing about progress.
RANK = {name: state.rank for name, state in STATES.items() if state.rank is not None}
# The states in which something works (native, threaded, blocking, ...): every one that ranks above partial.
WORKING = tuple(name for name, rank in RANK.items() if rank > RANK[PARTIAL])
FAILING = {ABSENT, BROKEN}


def combine(states: Iterable[str]) -> str:
    """One item state from its deciding cells' states (the rule in this module's docstring)."""
    found = set(states)
    if not found or NOT_RUN in found:
        return NOT_RUN
    if UNDECIDED in found:
        return UNDECIDED
    if found == {ABSENT}:
        return ABSENT
    if not found & set(WORKING):
        return BROKEN
    if found & FAILING:
        return PARTIAL
    return min(found, key=RANK.__getitem__)  # every cell works: the least async one decides


@dataclass(frozen=True)
class Regression:
    """A subject (roadmap item or probe cell row) that got less async from one release to a later one."""

    subject: str
    before_release: str
    before: str
    after_release: str
    after: str


def regressions(subject: str, series: Sequence[tuple[str, str]]) -> list[Regression]:
    """Flag each release whose state ranks below the nearest earlier release with a comparable state."""
    found: list[Regression] = []
    previous: tuple[str, str] | None = None
    for release, state in series:
        if state not in RANK:
            continue
        if previous is not None and RANK[state] < RANK[previous[1]]:
            found.append(Regression(subject, previous[0], previous[1], release, state))
        previous = (release, state)
    return found


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from start to end (negative when end comes first)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


@dataclass(frozen=True)
class Delay:
    """How late something came: releases and months after the planned release. `open` = not yet."""

    releases: int
    months: int
    open: bool = False
    unknown: int = 0  # releases that did not run or stayed undecided, for an open delay

    def __str__(self) -> str:
        if self.open and self.unknown:
            # It may have shipped in a release that did not run: "so far" would claim more than we know.
            return f"unknown: {_count(self.unknown, 'release')} did not run or were undecided"
        if self.open:
            return f"not yet: +{_count(self.releases, 'release')}, +{_count(self.months, 'month')} so far"
        if self.releases == 0:
            return "on time"
        sign = "+" if self.releases > 0 else ""
        return f"{sign}{_count(self.releases, 'release')}, {sign}{_count(self.months, 'month')}"


def _count(number: int, noun: str) -> str:
    """`1 release`, `-1 release`, `2 releases`."""
    return f"{number} {noun}" if abs(number) == 1 else f"{number} {noun}s"


def delay(releases: Sequence[Release], planned: str, reached: str | None, as_of: dt.date, unknown: int = 0) -> Delay:
    """Delay from the planned release to the release that reached it; open (counted to `as_of`) if none did.

    `unknown` counts the releases whose state is not known; an open delay with unknowns is not a delay at all.
    """
    versions = [release.version for release in releases]
    start = releases[versions.index(planned)]
    if reached is None:
        elapsed = len(versions) - 1 - versions.index(planned)
        return Delay(elapsed, months_between(start.released, as_of), open=True, unknown=unknown)
    end = releases[versions.index(reached)]
    return Delay(versions.index(reached) - versions.index(planned), months_between(start.released, end.released))


@dataclass(frozen=True)
class ItemResult:
    item: RoadmapItem
    states: dict[str, str]  # release -> combined state
    first_shipped: str | None
    first_native: str | None
    shipped_delay: Delay | None
    native_delay: Delay | None
    docs_note: str | None  # set when measurement and release notes disagree
    core_states: dict[str, str] = field(default_factory=dict)  # release -> combined state of the core alone
    # release -> the deciding cells grouped by state, on every release where they differ
    parts: dict[str, tuple[Part, ...]] = field(default_factory=dict)

    @property
    def shipped_text(self) -> str:
        """`3.1 (threaded)`, or why there is none: never, or unknown because an earlier release did not run."""
        found, unknown = first_reached(self.core_states or self.states, WORKING)
        if found is None or unknown:
            return self._none_text(unknown)
        return f"{found} ({self.states[found]})"

    @property
    def native_text(self) -> str:
        found, unknown = first_reached(self.states, (NATIVE,))
        return found if found is not None and not unknown else self._none_text(unknown)

    def _none_text(self, unknown: list[str]) -> str:
        if len(unknown) == len(self.states):
            return "unknown (nothing ran)"
        if unknown:
            states = {self.states[version] for version in unknown}
            why = {NOT_RUN: "did not run", UNDECIDED: "stayed undecided"}
            return f"unknown ({_span(list(self.states), unknown)} {' or '.join(why[s] for s in sorted(states))})"
        return f"never (as of {list(self.states)[-1]})"


def first_reached(states: dict[str, str], wanted: Sequence[str]) -> tuple[str | None, list[str]]:
    """The first release (in order) whose state is in `wanted`, and the releases before it whose state is not known.

    A release that did not run (or stayed undecided) before it may have been the first: then the answer is unknown.
    With no release in `wanted`, every unknown release counts.
    """
    unknown: list[str] = []
    for version, state in states.items():
        if state in wanted:
            return version, unknown
        if state in (NOT_RUN, UNDECIDED):
            unknown.append(version)
    return None, unknown


def _span(versions: list[str], chosen: list[str]) -> str:
    """`3.1`, `3.0 and 3.1`, `2.2 … 6.0` (a run of consecutive releases), or `2.2, 3.1, 4.0`."""
    if len(chosen) == 1:
        return chosen[0]
    first = versions.index(chosen[0])
    if len(chosen) > 2 and versions[first : first + len(chosen)] == chosen:
        return f"{chosen[0]} … {chosen[-1]}"
    return f"{', '.join(chosen[:-1])} and {chosen[-1]}"


@dataclass(frozen=True)
class Score:
    """How async one release is: how many roadmap items are in each state."""

    release: str
    counts: dict[str, int]
    total: int

    def share(self, *states: str) -> float:
        return sum(self.counts.get(state, 0) for state in states) / self.total if self.total else 0.0


@dataclass(frozen=True)
class Roadmap:
    items: tuple[ItemResult, ...]
    scores: tuple[Score, ...]
    item_regressions: tuple[Regression, ...]
    probe_regressions: tuple[Regression, ...]


def deciding_cells(merged: Merged, refs: Sequence[ProbeRef], release: str) -> list[tuple[str, str | None, str]]:
    """(probe id, server, state) of each deciding cell: each ref under each server it runs under, or the one it names."""
    probes = {probe.id: probe for probe in merged.matrix.probes}
    return [
        (ref.probe, server, merged.cell(release, ref.probe, server)["state"])
        for ref in refs
        for server in ((ref.server,) if ref.server else servers_of(probes[ref.probe]))
    ]


def item_state(merged: Merged, item: RoadmapItem, release: str) -> str:
    return combine(state for _, _, state in deciding_cells(merged, item.probes, release))


@dataclass(frozen=True)
class Part:
    """The deciding cells of an item on one release that share a state: `blocking: sessions.file, sessions.cached-db`."""

    state: str
    subjects: tuple[str, ...]  # probe ids, or `probe@server` where a probe's servers differ

    def __str__(self) -> str:
        return f"{self.state}: {', '.join(self.subjects)}"


# Parts read least async first: what cannot be said, what fails, then blocking ... native (contract/states.py's table
# upside down).
_PART_ORDER = tuple(reversed(STATES))


def parts(cells: Sequence[tuple[str, str | None, str]]) -> tuple[Part, ...]:
    """The deciding cells (probe, server, state) grouped by state, least async first; empty when they all agree.

    A probe is named once when all its cells share a state, else each of its cells as `probe@server`.
    """
    if len({state for _, _, state in cells}) < 2:
        return ()
    by_probe: dict[str, set[str]] = {}
    for probe, _, state in cells:
        by_probe.setdefault(probe, set()).add(state)
    grouped: dict[str, list[str]] = {}
    for probe, server, state in cells:
        name = probe if len(by_probe[probe]) == 1 else f"{probe}@{server}"
        if name not in grouped.setdefault(state, []):
            grouped[state].append(name)
    return tuple(Part(state, tuple(grouped[state])) for state in _PART_ORDER if state in grouped)


def parts_text(found: Sequence[Part]) -> str:
    """`blocking: sessions.file; threaded: sessions.db, sessions.cache; native: sessions.signed-cookies`."""
    return "; ".join(str(part) for part in found)


def evaluate(merged: Merged) -> Roadmap:
    releases = merged.matrix.releases
    items = []
    for item in merged.matrix.roadmap:
        cells = {release.version: deciding_cells(merged, item.probes, release.version) for release in releases}
        states = {version: combine(state for _, _, state in found) for version, found in cells.items()}
        core = item.core or item.probes
        core_states = {
            version: combine(state for _, _, state in deciding_cells(merged, core, version)) for version in states
        }
        differing = {version: named for version, found in cells.items() if (named := parts(found))}
        # Shipped when the core works. A first that an unknown release might precede is not known: unknown, never a
        # later release.
        working, unknown_before = first_reached(core_states, WORKING)
        shipped = None if unknown_before else working
        native_found, unknown_before_native = first_reached(states, (NATIVE,))
        native = None if unknown_before_native else native_found
        planned = item.planned_for
        unknown = sum(state in (NOT_RUN, UNDECIDED) for state in states.values())
        items.append(
            ItemResult(
                item,
                states,
                shipped,
                native,
                delay(releases, planned, shipped, merged.run_date, unknown) if planned else None,
                delay(releases, planned, native, merged.run_date, unknown) if planned else None,
                docs_note(item, core_states),
                core_states,
                differing,
            )
        )
    scores = tuple(
        Score(release.version, dict(Counter(result.states[release.version] for result in items)), len(items))
        for release in releases
    )
    item_regressions = [r for result in items for r in regressions(result.item.id, list(result.states.items()))]
    probe_regressions = [
        r
        for probe, server in merged.rows()
        for r in regressions(
            merged.cell(releases[0].version, probe.id, server)["subject"],
            [(release.version, merged.cell(release.version, probe.id, server)["state"]) for release in releases],
        )
    ]
    return Roadmap(tuple(items), scores, tuple(item_regressions), tuple(probe_regressions))


def docs_note(item: RoadmapItem, core_states: dict[str, str]) -> str | None:
    """Where the release notes and the measurement of the item's core disagree, in words a maintainer can check.

    Flagged: the notes name a release where the core is not measured working (and the first release where it
    is, or that none is, or which releases did not run in between); the core measured working before the release
    the notes name. Not flagged: an item no release notes announce (nothing to compare: Channels, HTTP/2 and
    lifespan are not Django release-note features), and a part outside the core failing in the documented
    release (the item is partial there, and says which part).
    """
    if item.documented_in is None:
        return None
    documented = item.documented_in.release
    versions = list(core_states)
    at = versions.index(documented)
    there = core_states[documented]
    if there in (NOT_RUN, UNDECIDED):
        why = "did not run" if there == NOT_RUN else "stayed undecided"
        return f"release notes name {documented}, which {why}: nothing to compare"
    if there in WORKING:
        earlier, unknown = first_reached({v: core_states[v] for v in versions[:at]}, WORKING)
        if earlier is None or unknown:
            return None
        return f"release notes name {documented}; measured working already in {earlier}"
    later = {v: core_states[v] for v in versions[at + 1 :]}
    found, unknown = first_reached(later, WORKING)
    missing = f"; {_span(list(later), unknown)} did not run or stayed undecided" if unknown else ""
    if found is None:
        return f"release notes name {documented}, but it is not measured working there or in any later release{missing}"
    return f"release notes name {documented}, but it is measured working only from {found}{missing}"
