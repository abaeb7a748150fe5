"""Patch bisection: a fake probe runner whose state flips at a known version, found by bisection, never guessed."""

from __future__ import annotations

import subprocess

import pytest

from report.axes import AxisDifference
from report.bisect import BisectError, Cause, between, explain, first_change, patches
from report.matrix import load_matrix

MATRIX = load_matrix()
RELEASE = MATRIX.release("3.0")  # 3.0.0 ... 3.0.14


def _difference(**versions: tuple[str | None, str | None]) -> AxisDifference:
    return AxisDifference(
        "3.0", "views.async-function", "uvicorn", shipped="broken", latest="native", versions=versions
    )


class FakeProbe:
    """The cell's state is "native" once Django reaches `django_fix`, or asgiref reaches `asgiref_fix`."""

    def __init__(self, django_fix: str | None = None, asgiref_fix: str | None = None, newest: str = "9") -> None:
        self.django_fix, self.asgiref_fix, self.newest = django_fix, asgiref_fix, newest
        self.installed = {"django": "3.0.0", "asgiref": "3.2.3", "uvicorn": "0.10.8"}
        self.runs: list[dict[str, str]] = []

    def state_at(self, pins: dict[str, str]) -> str:
        if _key(pins.get("asgiref", "0")) > _key(self.newest):  # needs a newer Python than the shipped one
            raise subprocess.CalledProcessError(1, ["uv", "pip", "install"])
        self.installed.update(pins)
        self.runs.append(dict(self.installed))
        fixed = (self.django_fix and _key(self.installed["django"]) >= _key(self.django_fix)) or (
            self.asgiref_fix and _key(self.installed["asgiref"]) >= _key(self.asgiref_fix)
        )
        return "native" if fixed else "broken"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


ASGIREF = ["3.2.3", "3.2.4", "3.2.5", "3.2.7", "3.2.10", "3.3.0", "3.3.1", "3.3.4", "3.4.0rc1", "3.4.1", "3.11.1"]


@pytest.mark.parametrize("fix", [1, 2, 7, 13, 14])
def test_first_change_finds_the_flip_at_every_position(fix):
    versions = [f"3.0.{n}" for n in range(15)]
    calls = []

    def state_of(version):
        calls.append(version)
        return "native" if int(version.split(".")[2]) >= fix else "broken"

    assert first_change(versions, state_of) == (f"3.0.{fix - 1}", f"3.0.{fix}")
    assert len(calls) <= 2 + 4  # both ends, then log2(15) rounded up


def test_first_change_refuses_ends_in_the_same_state():
    with pytest.raises(BisectError, match="give the same state"):
        first_change(["1", "2", "3"], lambda version: "native")


def test_patches_run_from_x_y_0_to_the_pinned_patch():
    assert patches(RELEASE) == [f"3.0.{n}" for n in range(15)]


def test_between_keeps_final_releases_in_order():
    assert between(ASGIREF, "3.2.3", "3.4.1") == [
        "3.2.3",
        "3.2.4",
        "3.2.5",
        "3.2.7",
        "3.2.10",
        "3.3.0",
        "3.3.1",
        "3.3.4",
        "3.4.1",
    ]


def test_a_django_patch_explains_the_change():
    probe = FakeProbe(django_fix="3.0.3")
    cause = explain(
        _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1")),
        RELEASE,
        probe.state_at,
        lambda name: ASGIREF,
        MATRIX.stack,
    )
    assert (cause.kind, cause.last_before, cause.first_after) == ("django", "3.0.2", "3.0.3")
    assert cause.sentence() == (
        "broken in 3.0.0-3.0.2, native from 3.0.3 (https://docs.djangoproject.com/en/stable/releases/3.0.3/)"
    )
    # Django moved alone: the shipped asgiref stayed in every run.
    assert {run["asgiref"] for run in probe.runs} == {"3.2.3"}


def test_a_dependency_explains_the_change_when_no_django_patch_does():
    probe = FakeProbe(asgiref_fix="3.3.0")
    difference = _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1"), uvicorn=("0.10.8", "0.39.0"))
    cause = explain(difference, RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert (cause.kind, cause.package, cause.last_before, cause.first_after) == (
        "dependency",
        "asgiref",
        "3.2.10",
        "3.3.0",
    )
    assert cause.sentence() == "changed with asgiref 3.3.0 (broken up to 3.2.10)"
    assert cause.link is None
    # asgiref is moved before uvicorn, and on the latest Django patch.
    assert all(run["uvicorn"] == "0.10.8" and run["django"] in ("3.0.0", "3.0.14") for run in probe.runs)


def test_a_dependency_newer_than_the_shipped_python_allows_is_bisected_up_to_what_installs():
    probe = FakeProbe(asgiref_fix="3.3.0", newest="3.4.1")
    cause = explain(
        _difference(asgiref=("3.2.3", "3.11.1")), RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack
    )
    assert (cause.package, cause.first_after) == ("asgiref", "3.3.0")
    assert not any(run["asgiref"] == "3.11.1" for run in probe.runs)


def test_nothing_explains_it_says_what_differs():
    probe = FakeProbe()
    difference = _difference(django=("3.0", "3.0.14"), asgiref=("3.2.3", "3.11.1"), python=("3.7.16", "3.9.18"))
    cause = explain(difference, RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert cause.kind == "unexplained"
    assert "Python differs (3.7.16 as shipped, 3.9.18 today)" in cause.sentence()


def test_a_shipped_state_that_does_not_reproduce_is_said():
    probe = FakeProbe(django_fix="3.0.0")  # native already at 3.0.0, but the run said broken
    cause = explain(_difference(django=("3.0", "3.0.14")), RELEASE, probe.state_at, lambda name: ASGIREF, MATRIX.stack)
    assert cause == Cause(
        "3.0",
        "views.async-function@uvicorn",
        "broken",
        "native",
        "unexplained",
        note="the shipped state does not reproduce here",
    )
