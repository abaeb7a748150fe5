"""The combination rule in every direction, delay arithmetic, version regressions, and roadmap validation errors."""

from __future__ import annotations

import datetime as dt

import pytest

from contract.matrix import MATRIX_PATH, SERVERS, Documented, ProbeRef, RoadmapItem, load_matrix
from contract.rows import cell
from report.results import Merged, servers_of
from report.roadmap import (
    Delay,
    ItemResult,
    Part,
    combine,
    delay,
    docs_note,
    evaluate,
    months_between,
    parts,
    parts_text,
    regressions,
)


@pytest.mark.parametrize(
    ("states", "combined"),
    [
        ([], "not-run"),
        (["native", "not-run"], "not-run"),
        (["broken", "not-run"], "not-run"),
        (["native", "broken"], "partial"),  # a part works: never broken as a whole
        (["absent", "broken"], "broken"),
        (["broken", "broken"], "broken"),
        (["undecided", "broken"], "undecided"),  # the undecided part may work: broken or partial, we cannot say
        (["native", "undecided"], "undecided"),
        (["absent", "undecided"], "undecided"),
        (["absent", "absent"], "absent"),
        (["native", "absent"], "partial"),
        (["threaded", "absent"], "partial"),
        (["blocking", "absent"], "partial"),
        (["serialized", "broken", "absent"], "partial"),
        (["native", "blocking", "threaded"], "blocking"),
        (["native", "serialized", "threaded"], "serialized"),
        (["serialized", "blocking"], "blocking"),
        (["native", "threaded"], "threaded"),
        (["threaded", "threaded"], "threaded"),
        (["native", "native"], "native"),
        (["native"], "native"),
    ],
)
def test_combine(states, combined):
    assert combine(states) == combined


def test_combine_ignores_order():
    assert combine(["absent", "native"]) == combine(["native", "absent"]) == "partial"


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2018-06-04", "2018-06-30", 0),
        ("2019-04-01", "2020-08-04", 16),
        ("2019-04-01", "2020-07-31", 15),  # a day short of 16 months
        ("2019-12-02", "2019-04-01", -8),
        ("2020-01-31", "2020-02-29", 0),
    ],
)
def test_months_between(start, end, months):
    assert months_between(dt.date.fromisoformat(start), dt.date.fromisoformat(end)) == months


RELEASES = load_matrix().releases


def test_delay_counts_releases_and_months():
    late = delay(RELEASES, "2.2", "3.1", dt.date(2026, 1, 1))
    assert (late.releases, late.months, late.open) == (2, 16, False)
    assert str(late) == "+2 releases, +16 months"


def test_delay_on_time_and_early():
    assert str(delay(RELEASES, "3.0", "3.0", dt.date(2026, 1, 1))) == "on time"
    early = delay(RELEASES, "3.1", "3.0", dt.date(2026, 1, 1))
    assert (early.releases, early.months) == (-1, -8)
    assert str(early) == "-1 release, -8 months"
    assert str(delay(RELEASES, "3.0", "3.1", dt.date(2026, 1, 1))) == "+1 release, +8 months"


def test_delay_not_shipped_counts_to_newest_release_and_run_date():
    open_delay = delay(RELEASES, "3.0", None, dt.date(2026, 12, 2))
    assert open_delay == Delay(releases=10, months=84, open=True)
    assert str(open_delay) == "not yet: +10 releases, +84 months so far"


def test_delay_not_shipped_with_releases_not_run_is_unknown():
    open_delay = delay(RELEASES, "3.0", None, dt.date(2026, 12, 2), unknown=3)
    assert str(open_delay) == "unknown: 3 releases did not run or were undecided"


def _item(states: dict[str, str]) -> ItemResult:
    return ItemResult(load_matrix().roadmap[0], states, None, None, None, None, None)


def test_none_text_says_never_only_when_every_release_ran():
    assert _item({"5.2": "absent", "6.0": "absent"}).shipped_text == "never (as of 6.0)"
    assert _item({"5.2": "not-run", "6.0": "absent"}).native_text == "unknown (5.2 did not run)"
    assert _item({"5.2": "not-run", "6.0": "undecided"}).shipped_text == "unknown (nothing ran)"


def test_regression_flags_a_drop():
    found = regressions("x", [("4.2", "native"), ("5.0", "threaded")])
    assert [(r.before_release, r.before, r.after_release, r.after) for r in found] == [
        ("4.2", "native", "5.0", "threaded")
    ]


def test_regression_not_flagged_for_progress_or_equal_rank():
    assert regressions("x", [("2.2", "absent"), ("3.0", "broken"), ("3.1", "threaded"), ("3.2", "native")]) == []
    assert regressions("x", [("3.0", "broken"), ("3.1", "absent")]) == []


def test_regression_sees_through_not_run_and_undecided():
    series = [("4.1", "native"), ("4.2", "not-run"), ("5.0", "undecided"), ("5.1", "absent")]
    found = regressions("x", series)
    assert [(r.before_release, r.after_release) for r in found] == [("4.1", "5.1")]


def test_regression_not_flagged_when_only_not_run_follows():
    assert regressions("x", [("4.1", "native"), ("4.2", "not-run")]) == []


def test_every_release_drop_in_a_series_is_flagged():
    found = regressions("x", [("3.0", "native"), ("3.1", "threaded"), ("3.2", "blocking"), ("4.0", "absent")])
    assert len(found) == 3


def test_servers_match_the_probe_suite():
    conftest = (MATRIX_PATH.parent / "tests" / "probes" / "conftest.py").read_text(encoding="utf-8")
    assert "SERVERS = " + repr(SERVERS).replace("'", '"') in conftest


def test_parts_name_every_state_least_async_first_and_a_probe_once_when_its_servers_agree():
    cells = [
        ("views.async-function", "uvicorn", "native"),
        ("views.async-function", "daphne", "native"),
        ("views.async-class-based", "uvicorn", "broken"),
        ("views.async-class-based", "daphne", "absent"),
        ("views.async-concurrency", "uvicorn", "native"),
        ("views.async-concurrency", "daphne", "broken"),  # one server failing is named as that server
    ]
    assert parts_text(parts(cells)) == (
        "broken: views.async-class-based@uvicorn, views.async-concurrency@daphne; "
        "absent: views.async-class-based@daphne; native: views.async-function, views.async-concurrency@uvicorn"
    )


def test_parts_name_the_backends_of_a_cell_that_is_not_partial():
    # async sessions as measured on 5.2: blocking as a whole, but only two backends block.
    cells = [
        ("sessions.db", None, "threaded"),
        ("sessions.cache", None, "threaded"),
        ("sessions.cached-db", None, "blocking"),
        ("sessions.file", None, "blocking"),
        ("sessions.signed-cookies", None, "native"),
    ]
    assert parts(cells) == (
        Part("blocking", ("sessions.cached-db", "sessions.file")),
        Part("threaded", ("sessions.db", "sessions.cache")),
        Part("native", ("sessions.signed-cookies",)),
    )
    assert parts_text(parts(cells)) == (
        "blocking: sessions.cached-db, sessions.file; threaded: sessions.db, sessions.cache; "
        "native: sessions.signed-cookies"
    )


def test_parts_are_empty_when_every_deciding_cell_agrees():
    assert parts([("a", "uvicorn", "native"), ("a", "daphne", "native"), ("b", None, "native")]) == ()


def test_parts_put_not_run_and_undecided_first():
    cells = [("a", None, "native"), ("b", None, "undecided"), ("c", None, "not-run")]
    assert parts_text(parts(cells)) == "not-run: c; undecided: b; native: a"


def test_every_roadmap_cell_whose_probes_differ_keeps_its_parts():
    merged = _merged_sessions({"sessions.file": "blocking", "sessions.signed-cookies": "native"}, default="threaded")
    result = next(r for r in evaluate(merged).items if r.item.id == "async-sessions")
    assert result.states["5.2"] == "blocking"
    assert parts_text(result.parts["5.2"]) == (
        "blocking: sessions.file; threaded: sessions.db, sessions.cache, sessions.cached-db; "
        "native: sessions.signed-cookies"
    )
    assert set(result.parts) == set(result.states)  # the probes differ on every release here


def test_async_auth_is_decided_by_the_password_check_too():
    merged = _merged_sessions({"auth.password-check": "blocking", "auth.async-api": "threaded"}, default="native")
    result = next(r for r in evaluate(merged).items if r.item.id == "async-auth")
    assert result.states["5.2"] == "blocking"
    assert parts_text(result.parts["5.2"]) == "blocking: auth.password-check; threaded: auth.async-api"


def _merged_sessions(states: dict[str, str], default: str) -> Merged:
    """The real matrix with every cell on every release in `default`, except the probes `states` names."""
    matrix = load_matrix()
    cells = {
        (release.version, probe.id, server): cell(
            release.version,
            {
                "id": probe.id,
                "server": server,
                "state": states.get(probe.id, default),
                "reason": "made up",
                "facts": {},
                "measurements": {},
                "duration": 0.1,
                "source_hash": "abc",
                "reproduce": "tox",
            },
        )
        for release in matrix.releases
        for probe in matrix.probes
        for server in servers_of(probe)
    }
    return Merged(matrix, (), cells)


VERSIONS = ("2.2", "3.0", "3.1", "3.2", "4.0", "4.1")


def item(documented: str | None = "3.1") -> RoadmapItem:
    where = Documented(documented, "https://docs.djangoproject.com/en/stable/releases/") if documented else None
    probes = (ProbeRef("views.async-function"), ProbeRef("views.async-class-based"))
    return RoadmapItem("x", "x", "plan", "https://x", "2.2", "works", probes, where, (probes[0],))


def core(*states: str) -> dict[str, str]:
    return dict(zip(VERSIONS, states))


def test_shipped_is_the_first_release_whose_core_works_even_where_the_item_is_partial():
    # async-views as measured: function views native from 3.1, class-based async views broken until 4.1.
    states = core("absent", "broken", "partial", "partial", "partial", "native")
    core_states = core("absent", "broken", "native", "native", "native", "native")
    result = ItemResult(item(), states, "3.1", "4.1", None, None, docs_note(item(), core_states), core_states)
    assert result.shipped_text == "3.1 (partial)"
    assert result.native_text == "4.1"
    assert result.docs_note is None  # the notes name 3.1 and the core works there: nothing to flag


def test_shipped_is_unknown_when_an_earlier_release_did_not_run():
    core_states = core("absent", "not-run", "native", "native", "native", "native")
    result = ItemResult(item(), core_states, None, None, None, None, None, core_states)
    assert result.shipped_text == "unknown (3.0 did not run)"


# One test per kind of disagreement the report flags, each phrased so a maintainer can check it in both sources.


def test_flag_notes_name_a_release_where_the_core_does_not_work_yet():
    note = docs_note(item("3.1"), core("absent", "absent", "broken", "broken", "broken", "native"))
    assert note == "release notes name 3.1, but it is measured working only from 4.1"


def test_flag_late_says_which_releases_in_between_did_not_run():
    note = docs_note(item("3.1"), core("absent", "absent", "broken", "not-run", "broken", "native"))
    assert (
        note == "release notes name 3.1, but it is measured working only from 4.1; 3.2 did not run or stayed undecided"
    )


def test_flag_notes_name_a_release_but_nothing_works_then_or_later():
    note = docs_note(item("3.1"), core("absent", "absent", "broken", "broken", "absent", "absent"))
    assert note == "release notes name 3.1, but it is not measured working there or in any later release"


def test_flag_core_works_before_the_release_the_notes_name():
    note = docs_note(item("3.1"), core("absent", "threaded", "native", "native", "native", "native"))
    assert note == "release notes name 3.1; measured working already in 3.0"


def test_flag_documented_release_that_did_not_run_or_stayed_undecided():
    assert docs_note(item("3.1"), core("absent", "absent", "not-run", "native", "native", "native")) == (
        "release notes name 3.1, which did not run: nothing to compare"
    )
    assert docs_note(item("3.1"), core("absent", "absent", "undecided", "native", "native", "native")) == (
        "release notes name 3.1, which stayed undecided: nothing to compare"
    )


def test_no_flag_when_they_agree_or_nothing_to_compare():
    assert docs_note(item("3.1"), core("absent", "absent", "serialized", "native", "native", "native")) is None
    # Working earlier is not claimed when an earlier release did not run.
    assert docs_note(item("3.1"), core("not-run", "absent", "native", "native", "native", "native")) is None
    # No release notes announce it (Channels, HTTP/2): nothing to compare, whatever is measured.
    assert docs_note(item(None), core("native", "native", "native", "native", "native", "native")) is None
