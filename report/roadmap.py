"""Roadmap vs reality: one state per (item, release) from its deciding probes, delays, scores, regressions.

The combination rule (report/README-rules.md quotes it) looks at every deciding cell of an item on a
release (each deciding probe under each server it runs under, or the one server an `id@server` names):

1. `not-run`   if there is no deciding cell, or any deciding cell did not run: we cannot say.
2. `broken`    if any deciding cell is broken: some part is there but fails.
3. `undecided` if any deciding cell is undecided: the observation did not settle it.
4. `absent`    if every deciding cell is absent.
5. `partial`   if some deciding cells work (native, threaded or blocking) and others are absent.
6. `blocking`  if all work and any runs on the loop but stalls it.
7. `threaded`  if all work and any hops to a worker thread.
8. `native`    if every deciding cell is native.

An item has *shipped* on the first release where it is native, threaded or blocking. Delays count
feature releases and calendar months (release dates from matrix.yaml) from the release a plan named.
States rank native > threaded > blocking > partial > absent = broken; a later release that ranks
lower than the nearest earlier comparable release is a version regression (not-run and undecided
are not comparable, so they neither raise nor hide a regression).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from harness.states import STATES, State
from report.matrix import Release, RoadmapItem
from report.results import Merged, servers_of

NATIVE, THREADED, BLOCKING = State.NATIVE.value, State.THREADED.value, State.BLOCKING.value
PARTIAL, ABSENT, BROKEN = State.PARTIAL.value, State.ABSENT.value, State.BROKEN.value
NOT_RUN, UNDECIDED = State.NOT_RUN.value, State.UNDECIDED.value
# Higher is more async. not-run and undecided have no rank on purpose: they say nothing about progress.
RANK = {name: state.rank for name, state in STATES.items() if state.rank is not None}
# The states in which something works (native, threaded, blocking, ...): every one that ranks above partial.
WORKING = tuple(name for name, rank in RANK.items() if rank > RANK[PARTIAL])


def combine(states: Iterable[str]) -> str:
    """One item state from its deciding cells' states (the rule in this module's docstring)."""
    found = set(states)
    if not found or NOT_RUN in found:
        return NOT_RUN
    if BROKEN in found:
        return BROKEN
    if UNDECIDED in found:
        return UNDECIDED
    if found == {ABSENT}:
        return ABSENT
    if ABSENT in found:
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

    @property
    def shipped_text(self) -> str:
        """`3.1 (threaded)`, or why there is none: never, or unknown because an earlier release did not run."""
        found, unknown = first_reached(self.states, WORKING)
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


def item_state(merged: Merged, item: RoadmapItem, release: str) -> str:
    probes = {probe.id: probe for probe in merged.matrix.probes}
    states = [
        merged.cell(release, ref.probe, server)["state"]
        for ref in item.probes
        for server in ((ref.server,) if ref.server else servers_of(probes[ref.probe]))
    ]
    return combine(states)


def evaluate(merged: Merged) -> Roadmap:
    releases = merged.matrix.releases
    last = releases[-1].version
    items = []
    for item in merged.matrix.roadmap:
        states = {release.version: item_state(merged, item, release.version) for release in releases}
        # A first that an unknown release might precede is not known: unknown, never a later release.
        working, unknown_before = first_reached(states, WORKING)
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
                _docs_note(item, working, states, last),
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


def _docs_note(item: RoadmapItem, shipped: str | None, states: dict[str, str], last: str) -> str | None:
    documented = item.documented_in.release if item.documented_in else None
    if documented is None:
        return f"measured working from {shipped}, but no release notes announce it" if shipped else None
    if states[documented] == NOT_RUN:
        return f"release notes name {documented}, which did not run"
    if shipped is None:
        return f"release notes name {documented}, but it is not measured working in any release up to {last}"
    if shipped != documented:
        return f"release notes name {documented}; measured working from {shipped}"
    return None
