"""The upgrade view's changes: between two releases, and between a release as shipped and its latest patch."""

from __future__ import annotations

from typing import Any

import pytest

from report.upgrade import changes, shipped_changes


def _cell(release: str, subject: str, state: str, reason: str = "why") -> dict[str, Any]:
    return {"release": release, "subject": subject, "state": state, "reason": reason, "anchor": f"{release}/{subject}"}


DATA: dict[str, Any] = {
    "releases": [{"version": "4.1", "django": "4.1.13"}, {"version": "4.2", "django": "4.2.30"}],
    "roadmap": [],
    "cells": [
        _cell("4.1", "orm.related-managers", "threaded"),
        _cell("4.1", "signals.async", "absent"),
        _cell("4.2", "orm.related-managers", "threaded"),
        _cell("4.2", "signals.async", "absent"),
    ],
    "axes": {
        "shipped": {
            "releases": [
                {"version": "4.1", "django": "4.1.0", "versions": {"django": "4.1"}},
                {"version": "4.2", "django": "4.2.0", "versions": {"django": "4.2"}},
            ],
            "cells": [
                _cell("4.1", "orm.related-managers", "broken", "created outside the relation"),
                _cell("4.1", "signals.async", "absent"),
                _cell("4.2", "orm.related-managers", "threaded"),
            ],
        }
    },
}


def test_a_release_as_shipped_against_its_latest_patch_lists_the_cells_that_differ():
    (change,) = shipped_changes(DATA, "4.1")
    assert (change.what, change.before["state"], change.after["state"]) == (
        "orm.related-managers",
        "broken",
        "threaded",
    )
    assert change.anchor == "4.1/orm.related-managers"  # the latest cell's evidence, like the other pair
    assert change.kind == "improvement"
    assert shipped_changes(DATA, "4.2") == []


def test_a_release_without_the_shipped_axis_or_not_in_the_matrix_is_refused():
    with pytest.raises(ValueError, match="release '9.9' is not in matrix.yaml"):
        shipped_changes(DATA, "9.9")
    with pytest.raises(ValueError, match="no as-shipped results"):
        shipped_changes({key: value for key, value in DATA.items() if key != "axes"}, "4.1")


def test_two_releases_still_compare_as_before():
    assert changes(DATA, "4.1", "4.2") == []
