"""The two axes side by side: cells whose state differs between X.Y.0 as shipped and the latest patch today,
with every version that differs between the two installs; a cell that did not run on one axis differs from nothing."""

from __future__ import annotations

import datetime as dt

from contract.matrix import SHIPPED, load_matrix
from contract.rows import unrecorded
from report.axes import AxisDifference, differences, version_differences
from report.export import to_data
from report.results import EnvRun, Merged
from report.roadmap import evaluate

MATRIX = load_matrix()
SHIPPED_MATRIX = MATRIX.on_axis(SHIPPED)


def _merged(matrix, states: dict[tuple[str, str, str | None], str], versions: dict[str, str]) -> Merged:
    runs = tuple(EnvRun(release, "complete", versions=dict(versions)) for release in matrix.releases)
    cells = {key: {"state": state} for key, state in states.items()}
    return Merged(matrix, runs, cells)  # type: ignore[arg-type]


def test_the_shipped_axis_is_x_y_0_on_its_own_env_and_python():
    release = SHIPPED_MATRIX.release("3.0")
    assert (release.env, release.django, release.python) == ("dj30-shipped", "3.0.0", "3.7")
    assert MATRIX.release("3.0").env == "dj30"


def test_a_differing_cell_names_what_differs_between_the_installs():
    key = ("3.0", "views.sync-under-asgi", "uvicorn")
    shipped = _merged(SHIPPED_MATRIX, {key: "threaded"}, {"django": "3.0", "asgiref": "3.2.3", "uvicorn": "0.10.8"})
    latest = _merged(MATRIX, {key: "serialized"}, {"django": "3.0.14", "asgiref": "3.11.1", "uvicorn": "0.10.8"})
    (found,) = differences(shipped, latest)
    assert found == AxisDifference(
        "3.0",
        "views.sync-under-asgi",
        "uvicorn",
        shipped="threaded",
        latest="serialized",
        versions={"asgiref": ("3.2.3", "3.11.1"), "django": ("3.0", "3.0.14")},
    )
    assert found.subject == "views.sync-under-asgi@uvicorn"


def test_same_state_or_no_verdict_on_one_axis_is_no_difference():
    same, skipped = ("3.0", "asgi.entrypoint", "uvicorn"), ("3.1", "asgi.lifespan", "daphne")
    shipped = _merged(SHIPPED_MATRIX, {same: "native", skipped: "not-run"}, {})
    latest = _merged(MATRIX, {same: "native", skipped: "absent"}, {})
    assert differences(shipped, latest) == []


def test_version_differences_include_packages_only_one_side_has():
    assert version_differences({"channels": "2.3.1", "python": "3.7.16"}, {"python": "3.9.18"}) == {
        "channels": ("2.3.1", None),
        "python": ("3.7.16", "3.9.18"),
    }


def test_every_exported_cell_names_the_django_and_asgiref_its_env_ran_on():
    runs = tuple(
        EnvRun(release, "complete", versions={"django": release.django, "asgiref": f"3.{index}.0", "python": "3.13.0"})
        for index, release in enumerate(MATRIX.releases)
    )
    empty = Merged(MATRIX, runs, {})
    cells = {
        (release.version, probe.id, server): unrecorded(release.version, probe.id, server, "absent", "r", "tox")
        for release in MATRIX.releases
        for probe, server in empty.rows()
    }
    merged = Merged(MATRIX, runs, cells)
    data = to_data(merged, evaluate(merged), dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), {})
    by_release = {cell["release"]: cell["ran_on"] for cell in data["cells"]}
    assert by_release["3.0"] == {"django": "3.0.14", "asgiref": "3.1.0"}
    assert all(cell["ran_on"]["django"] == MATRIX.release(cell["release"]).django for cell in data["cells"])
