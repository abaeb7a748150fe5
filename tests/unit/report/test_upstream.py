"""Following upstream: newer patches and new series found in PyPI's list, matrix.yaml pins moved, and the latest
mode's comparison with the baseline naming the versions that moved."""

from __future__ import annotations

import pytest

from report.matrix import MATRIX_PATH, load_matrix
from report.upstream import CellChange, compare, update_text, upstream

MATRIX = load_matrix()
PINNED = {release.version: release.django for release in MATRIX.releases}


def _pypi(*extra: str) -> list[str]:
    """Every pinned version (and older ones), plus `extra`: what the simple API would list."""
    return ["1.11.29", "2.2", "2.2.1", *PINNED.values(), "6.1a1", "6.1rc1", *extra]


def test_nothing_newer_than_the_pins():
    found = upstream(MATRIX, _pypi())
    assert found.newer_patches == {}
    assert found.new_series == ()


def test_a_newer_patch_is_named_with_the_pin_it_replaces():
    found = upstream(MATRIX, _pypi("5.2.99", "5.2.100rc1"))
    assert found.newer_patches == {"5.2": (PINNED["5.2"], "5.2.99")}


def test_a_new_feature_release_and_a_pre_release_are_named():
    found = upstream(MATRIX, _pypi("6.2a1", "6.2b1", "7.0a1", "6.2", "6.2.1"))
    assert found.new_series == ("6.2.1", "7.0a1 (pre-release)")


def test_update_moves_only_the_django_pin_of_that_release():
    text = MATRIX_PATH.read_text(encoding="utf-8")
    updated = update_text(text, {"5.2": (PINNED["5.2"], "5.2.99")})
    assert updated.count("django: 5.2.99\n") == 1
    assert updated.replace("django: 5.2.99\n", f"django: {PINNED['5.2']}\n") == text


def test_update_refuses_a_pin_it_cannot_find():
    with pytest.raises(ValueError, match=r"no `django: 5.2.1` right under"):
        update_text(MATRIX_PATH.read_text(encoding="utf-8"), {"5.2": ("5.2.1", "5.2.99")})


def _baseline() -> dict[str, object]:
    return {
        "releases": [{"version": "5.2", "versions": {"django": "5.2.19", "asgiref": "3.13.0", "uvicorn": "0.54.0"}}],
        "cells": [
            {"release": "5.2", "probe": "views.async-function", "server": "uvicorn", "state": "native"},
            {"release": "5.2", "probe": "views.async-function", "server": "daphne", "state": "threaded"},
            {"release": "5.2", "probe": "orm.queryset-async", "server": None, "state": "threaded"},
        ],
    }


def _run(**states: str) -> dict[str, object]:
    rows = [
        {"id": "views.async-function", "server": "uvicorn", "state": states.get("uvicorn", "native")},
        {"id": "views.async-function", "server": "daphne", "state": states.get("daphne", "threaded")},
        {"id": "orm.queryset-async", "server": None, "state": states.get("orm", "threaded")},
    ]
    return {"versions": {"django": "5.2.20", "asgiref": "3.13.0", "uvicorn": "0.54.0"}, "probes": rows}


def test_a_new_patch_that_breaks_a_cell_is_a_regression_naming_the_new_version():
    changes = compare(_baseline(), {"5.2": _run(uvicorn="broken", orm="native")})
    assert changes == [
        CellChange(
            "regression", "5.2", "views.async-function@uvicorn", "native", "broken", ("django 5.2.19 → 5.2.20",)
        ),
        CellChange("improvement", "5.2", "orm.queryset-async", "threaded", "native", ("django 5.2.19 → 5.2.20",)),
    ]
    assert (
        changes[0].sentence()
        == "regression: 5.2 views.async-function@uvicorn: native → broken (django 5.2.19 → 5.2.20)"
    )


def test_no_change_is_no_change():
    assert compare(_baseline(), {"5.2": _run()}) == []


def test_not_run_is_never_a_regression():
    (change,) = compare(_baseline(), {"5.2": _run(daphne="not-run")})
    assert change.kind == "not-run"
