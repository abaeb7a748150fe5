"""The API view from cells built in code: states and stalls per release, safe from, absent and not-run releases."""

from __future__ import annotations

from typing import Any

from report.apis import LATEST, SHIPPED, ApiView, api_label, api_view, axis_cells

RELEASES = ("5.0", "5.1", "5.2", "6.0")


def cell(
    release: str,
    probe: str,
    state: str,
    apis: dict[str, tuple[str, float]] | None = None,
    missing: tuple[str, ...] = (),
    reason: str = "measured",
) -> dict[str, Any]:
    """A merged cell of a probe without servers: `apis` maps each found API to its (state, stall in ms)."""
    apis = apis or {}
    return {
        "release": release,
        "probe": probe,
        "server": None,
        "state": state,
        "reason": reason,
        "facts": {
            "found": list(apis),
            "missing": list(missing),
            "apis": {name: {"state": s, "thread": "loop"} for name, (s, _) in sorted(apis.items())},
        }
        if apis or missing
        else {},
        "measurements": {"stall_ms": {name: stall for name, (_, stall) in apis.items()}} if apis else {},
        "subject": probe,
        "anchor": f"{release}/{probe}",
        "ran_on": {"django": f"{release}.3", "asgiref": "3.9.1"},
    }


def data(*cells: dict[str, Any], shipped: list[dict[str, Any]] | None = None) -> Any:  # a partial ReportData
    found = {
        "releases": [{"version": version} for version in RELEASES],
        "probes": [
            {"id": "auth.password-check", "area": "auth", "title": "password check", "servers": False},
            {"id": "sessions.db", "area": "sessions", "title": "db sessions", "servers": False},
            {"id": "sessions.file", "area": "sessions", "title": "file sessions", "servers": False},
            {"id": "forms.async", "area": "forms", "title": "async forms", "servers": False},
        ],
        "cells": list(cells),
    }
    return {**found, "axes": {"shipped": {"cells": shipped}}} if shipped is not None else found


def view(*cells: dict[str, Any]) -> ApiView:
    return api_view(data(*cells))


def password(release: str, state: str, stall: float) -> dict[str, Any]:
    apis = {"acheck_password": (state, stall), "aauthenticate (known user)": (state, stall + 5)}
    return cell(release, "auth.password-check", state, apis)


def test_blocking_then_threaded_is_safe_from_the_first_threaded_release():
    found = view(
        *(password(r, s, ms) for r, s, ms in zip(RELEASES, ["blocking"] * 3 + ["threaded"], [190, 191, 192, 1]))
    )
    (area,) = found.areas
    assert area.area == "auth"
    row = next(row for row in area.rows if row.api == "aauthenticate (known user)")
    assert [(c.release, c.state, c.stall_ms) for c in row.cells] == [
        ("5.0", "blocking", 195.0),
        ("5.1", "blocking", 196.0),
        ("5.2", "blocking", 197.0),
        ("6.0", "threaded", 6.0),
    ]
    assert row.probe == "auth.password-check"
    assert row.cells[2].reason == "aauthenticate (known user), one of the 2 APIs auth.password-check called on 5.2"
    assert row.safe_from == "6.0"
    assert [row.api for row in area.rows] == ["acheck_password", "aauthenticate (known user)"]  # call order


def test_safe_again_after_a_regression_counts_only_from_the_last_stretch():
    states = ["native", "blocking", "threaded", "native"]
    found = view(*(password(r, s, 1) for r, s in zip(RELEASES, states)))
    assert found.areas[0].rows[0].safe_from == "5.2"


def test_never_safe_when_the_newest_release_stalls_or_fails():
    states = ["threaded", "threaded", "threaded", "broken"]
    found = view(*(password(r, s, 1) for r, s in zip(RELEASES, states)))
    assert found.areas[0].rows[0].safe_from is None
    assert found.areas[0].probes[0].verdict(3) == "stalls or fails"


def test_absent_releases_show_absent_and_are_not_safe():
    missing = ("acheck_password", "aauthenticate (known user)")
    cells = [cell(r, "auth.password-check", "absent", missing=missing) for r in RELEASES[:2]]
    cells += [password(r, "native", 0.2) for r in RELEASES[2:]]
    row = view(*cells).areas[0].rows[0]
    assert [c.state for c in row.cells] == ["absent", "absent", "native", "native"]
    assert row.cells[0].reason == "auth.password-check found no acheck_password on 5.0"
    assert row.safe_from == "5.2"
    assert view(*cells).areas[0].probes[0].verdict(0) == "not there"


def test_not_run_releases_are_shown_and_never_counted_as_safe():
    cells = [password(r, "threaded", 1) for r in RELEASES]
    cells[1] = cell("5.1", "auth.password-check", "not-run", reason="Python 3.10 not found")
    row = view(*cells).areas[0].rows[0]
    assert [(c.release, c.state, c.stall_ms) for c in row.cells][1] == ("5.1", "not-run", None)
    assert row.cells[1].reason == "Python 3.10 not found"
    assert row.safe_from == "5.2"  # not 5.0: 5.1 might have stalled
    cells[3] = cell("6.0", "auth.password-check", "not-run", reason="crashed")
    assert view(*cells).areas[0].rows[0].safe_from is None
    assert view(*cells).areas[0].probes[0].verdict(3) == "unknown"


def test_an_api_missing_where_others_are_found_is_absent_there():
    cells = [
        cell(r, "sessions.db", "threaded", {"aget": ("threaded", 0.5)}, missing=("aclear_expired",)) for r in RELEASES
    ]
    cells[3] = cell("6.0", "sessions.db", "threaded", {"aget": ("threaded", 0.5), "aclear_expired": ("threaded", 1.0)})
    (area,) = view(*cells).areas
    assert [row.api for row in area.rows] == ["aget", "aclear_expired"]
    assert [c.state for c in area.rows[1].cells] == ["absent", "absent", "absent", "threaded"]
    assert area.probes[0].verdict(0) == "safe"  # every API it found is safe


def test_rows_are_grouped_by_area_and_probe_and_probes_without_apis_are_left_out():
    cells = [cell(r, "sessions.db", "threaded", {"aload": ("threaded", 0.9)}) for r in RELEASES]
    cells += [cell(r, "sessions.file", "blocking", {"aload": ("blocking", 201.4)}) for r in RELEASES]
    cells += [cell(r, "forms.async", "absent", missing=("ais_valid",)) for r in RELEASES]
    cells += [cell(r, "auth.password-check", "not-run") for r in RELEASES]  # no API names anywhere: no row
    found = view(*cells)
    assert [(a.area, [p.subject for p in a.probes]) for a in found.areas] == [
        ("sessions", ["sessions.db", "sessions.file"]),
        ("forms", ["forms.async"]),
    ]
    sessions = found.areas[0]
    assert [(p.subject, p.verdict(2)) for p in sessions.probes] == [
        ("sessions.db", "safe"),
        ("sessions.file", "stalls or fails"),
    ]
    assert found.areas[1].rows[0].safe_from is None
    assert sessions.probes[1].failing(2) == ("aload",) and sessions.probes[0].failing(2) == ()


def test_labels_read_without_colour():
    assert api_label("blocking") == "◒ blocking" and api_label("unobserved") == "◌ unobserved"


def test_unobserved_counts_as_safe_and_undecided_as_unknown():
    cells = [cell(r, "sessions.db", "native", {"aclear_expired": ("unobserved", 0.0)}) for r in RELEASES]
    cells[0] = cell("5.0", "sessions.db", "undecided", {"aclear_expired": ("undecided", 90.0)})
    area = view(*cells).areas[0]
    assert area.rows[0].safe_from == "5.1"
    assert area.probes[0].verdict(0) == "unknown"


def test_shipped_cells_keep_their_axis_and_api_states_where_they_carry_facts():
    latest = [password(r, "threaded", 1) for r in RELEASES]
    shipped = [password(r, "blocking", 190) for r in RELEASES]
    cells = axis_cells(data(*latest, shipped=shipped))
    assert [c.axis for c in cells] == [LATEST] * 4 + [SHIPPED] * 4
    assert (cells[4].django, cells[4].asgiref) == ("5.0.3", "3.9.1")
    row = api_view(data(*latest, shipped=shipped)).areas[0].rows[0]
    assert [c.state for c in row.shipped] == ["blocking"] * 4 and row.safe_from == "5.0"
    bare = [{k: v for k, v in c.items() if k not in ("facts", "measurements")} for c in shipped]
    assert api_view(data(*latest, shipped=bare)).areas[0].rows[0].shipped == ()  # nothing per API to show
