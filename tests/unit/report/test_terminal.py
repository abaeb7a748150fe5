"""The terminal summary: the roadmap table, env problems, regressions and warnings; the upgrade, baseline, accept
and history views; all in 100 columns, and text from results files printed as text, never as markup."""

from __future__ import annotations

import io

from rich.console import Console

from contract.evidence import ROOT
from report import terminal
from report.baseline import Change, Comparison
from report.legend import SYMBOLS, label

NATIVE, THREADED, ABSENT, BROKEN, NOT_RUN = "native", "threaded", "absent", "broken", "not-run"


def _printed(show, *args, **kwargs) -> str:
    """What `show(*args, out, **kwargs)` prints on the report's own console."""
    out = terminal.console()
    with out.capture() as captured:
        show(*args, out, **kwargs)
    text = captured.get()
    assert all(len(line) <= terminal.WIDTH for line in text.splitlines()), text
    return text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def _item(id, states, planned_for=None, shipped=None, native=None, never="never (as of 6.0)", **extra):
    return {
        "id": id,
        "planned_for": planned_for,
        "states": states,
        "first_shipped": shipped,
        "first_shipped_text": shipped or never,
        "first_native": native,
        "first_native_text": native or never,
        **extra,
    }


def _data(**overrides):
    data = {
        "releases": [{"version": "5.2", "problem": None}, {"version": "6.0", "problem": None}],
        "roadmap": [
            _item(
                "async-views",
                {"5.2": NATIVE, "6.0": NATIVE},
                planned_for="3.1",
                shipped="5.2",
                native="5.2",
                states_shipped={"5.2": THREADED, "6.0": NATIVE},
            ),
            _item("async-orm", {"5.2": ABSENT, "6.0": BROKEN}),
        ],
        "regressions": {"roadmap": [], "probes": []},
        "warnings": [],
    }
    return {**data, **overrides}


def _cell(state, reason="why"):
    return {"state": state, "reason": reason, "facts": {}}


def _change(kind, subject, before, after, context=()):
    return Change(kind, "6.0", subject, before, after, context)


# The roadmap summary


def test_summary_gives_each_item_one_symbol_per_release():
    rows = {line.split()[0]: line.split() for line in _lines(_printed(terminal.summary, _data())) if line}
    assert rows["async-views"] == [
        "async-views",
        "3.1",
        "5.2",
        SYMBOLS[THREADED],
        "5.2",
        SYMBOLS[NATIVE],
        SYMBOLS[NATIVE],
    ]
    # No plan is a dash, and "never (as of 6.0)" is cut to "never": the table has no room for the detail.
    assert rows["async-orm"] == ["async-orm", "—", "never", "never", SYMBOLS[ABSENT], SYMBOLS[BROKEN]]


def test_summary_shows_the_shipped_symbol_of_the_latest_axis_when_there_is_no_shipped_axis():
    item = _item("async-views", {"5.2": THREADED, "6.0": NATIVE}, shipped="5.2", native="6.0")
    text = _printed(terminal.summary, _data(roadmap=[item]))
    assert f"5.2 {SYMBOLS[THREADED]}" in text


def test_summary_has_a_release_column_each_and_the_legend_of_every_state():
    text = _printed(terminal.summary, _data())
    header = next(line for line in _lines(text) if line.startswith("item"))
    assert header.split() == ["item", "plan", "shipped", "native", "5.2", "6.0"]
    # wider than 100 columns, the legend is laid out in columns: no state's symbol is apart from its name
    for state in SYMBOLS:
        assert any(label(state) in line for line in _lines(text)), label(state)


def test_summary_without_regressions_says_so():
    assert "No version regression." in _lines(_printed(terminal.summary, _data()))


def test_summary_lists_roadmap_and_probe_regressions_with_their_releases():
    regressions = {
        "roadmap": [
            {
                "subject": "async-orm",
                "before": THREADED,
                "before_release": "5.2",
                "after": BROKEN,
                "after_release": "6.0",
            }
        ],
        "probes": [
            {
                "subject": "views.async-function@uvicorn",
                "before": NATIVE,
                "before_release": "5.2",
                "after": ABSENT,
                "after_release": "6.0",
            }
        ],
    }
    lines = _lines(_printed(terminal.summary, _data(regressions=regressions)))
    found = lines.index("2 version regression(s):")
    assert lines[found + 1 : found + 3] == [
        f"async-orm: {label(THREADED)} in 5.2 → {label(BROKEN)} in 6.0",
        f"views.async-function@uvicorn: {label(NATIVE)} in 5.2 → {label(ABSENT)} in 6.0",
    ]
    assert "No version regression." not in lines


def test_summary_names_envs_that_did_not_fully_run_and_every_warning():
    releases = [{"version": "5.2", "problem": None}, {"version": "6.0", "problem": "results/dj60.json is missing"}]
    warnings = ["results/dj52.json: two rows for views.x@uvicorn, the last one kept"]
    lines = _lines(_printed(terminal.summary, _data(releases=releases, warnings=warnings)))
    assert "env not fully run 6.0: results/dj60.json is missing" in lines
    assert "warning results/dj52.json: two rows for views.x@uvicorn, the last one kept" in lines
    assert not any(line.startswith("env not fully run 5.2") for line in lines)


def test_text_from_results_files_is_printed_as_text_not_markup():
    # "[/]" closes no tag: with markup on, rich would raise MarkupError.
    warnings = ["a reason with [bold]brackets[/bold] and [/]"]
    assert "warning a reason with [bold]brackets[/bold] and [/]" in _lines(
        _printed(terminal.summary, _data(warnings=warnings))
    )


def test_a_regression_line_is_red_on_a_colour_terminal():
    regressions = {
        "roadmap": [
            {"subject": "x", "before": NATIVE, "before_release": "5.2", "after": BROKEN, "after_release": "6.0"}
        ],
        "probes": [],
    }
    out = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=terminal.WIDTH)
    terminal.summary(_data(regressions=regressions), out)
    assert "\x1b[1;31m1 version regression(s):" in out.file.getvalue()  # type: ignore[attr-defined]


# Upgrading from one release to another


def test_upgrade_without_differences_says_so():
    assert _lines(_printed(terminal.upgrade, "5.2", "6.0", [])) == ["No difference between 5.2 and 6.0."]


def test_upgrade_gives_each_change_its_two_states_and_the_new_reason():
    found = [
        _change("regression", "views.async-function@uvicorn", _cell(NATIVE), _cell(BROKEN, "ValueError in the view")),
        _change("new", "orm.aiterator", None, _cell(NATIVE, "ran on the loop")),
        _change("removed", "views.gone@daphne", _cell(ABSENT), None),
    ]
    text = _printed(terminal.upgrade, "5.2", "6.0", found)
    assert "Upgrading 5.2 → 6.0: what changes" in text
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == ["what", "5.2", "6.0", "why"]
    assert rows == [
        ["views.async-function@uvicorn", label(NATIVE), label(BROKEN), "ValueError in the view"],
        ["orm.aiterator", "(no cell)", label(NATIVE), "ran on the loop"],
        ["views.gone@daphne", label(ABSENT), "(no cell)", ""],  # no after side: no reason
    ]


def test_upgrade_names_a_roadmap_item_as_such():
    change = Change("regression", "6.0", "async-orm", _cell(NATIVE), _cell(BROKEN), item=True)
    assert "roadmap: async-orm" in _printed(terminal.upgrade, "5.2", "6.0", [change])


# Against the baseline


def test_no_baseline_names_the_missing_file_relative_to_the_project_and_how_to_make_one():
    text = " ".join(
        _lines(_printed(terminal.comparison, None, baseline_path=ROOT / "report" / "out" / "baseline.json"))
    )
    assert "No baseline yet (report/out/baseline.json does not exist): nothing to compare with." in text
    assert "`python -m report --accept`" in text


def test_no_baseline_and_no_path_says_the_baseline():
    text = " ".join(_lines(_printed(terminal.comparison, None)))
    assert text.startswith("No baseline yet (the baseline does not exist)")


def test_a_comparison_without_changes_gives_its_notes_and_says_no_cell_changed():
    found = Comparison("baseline.json (generated yesterday)", "this run", (), ("matrix.yaml changed",))
    assert _lines(_printed(terminal.comparison, found)) == [
        "Compared with baseline.json (generated yesterday):",
        "note: matrix.yaml changed",
        "No cell changed.",
    ]


def test_a_comparison_lists_every_change_with_both_reasons_and_what_else_changed():
    changes = (
        _change(
            "regression",
            "views.async-function@uvicorn",
            _cell(NATIVE, "ran on the loop"),
            _cell(BROKEN, "ValueError: no"),
            ("Django 6.0.1 → 6.0.2", "asgiref 3.8 → 3.9"),
        ),
        _change("new", "orm.aiterator", None, _cell(NATIVE, "ran on the loop")),
    )
    lines = _lines(_printed(terminal.comparison, Comparison("baseline", "now", changes, ())))
    assert "2 changed cell(s): 1 regression, 1 new" in lines
    first = lines.index(f"REGRESSION  6.0/views.async-function@uvicorn: {label(NATIVE)} → {label(BROKEN)}")
    assert lines[first + 1 : first + 4] == [
        "before: ran on the loop",
        "after: ValueError: no",
        "what else changed: Django 6.0.1 → 6.0.2; asgiref 3.8 → 3.9",
    ]
    second = lines.index(f"NEW         6.0/orm.aiterator: (no cell) → {label(NATIVE)}")
    assert lines[second + 1] == "after: ran on the loop"  # no before side, no line for it
    assert any(line.startswith("1 regression(s) against the baseline: exit status 1.") for line in lines)


def test_a_comparison_without_regressions_has_no_exit_status_line():
    changes = (_change("improvement", "orm.aget", _cell(THREADED), _cell(NATIVE)),)
    text = _printed(terminal.comparison, Comparison("baseline", "now", changes, ()))
    assert "1 changed cell(s): 1 improvement" in text
    assert "exit status 1" not in text


# --accept


def test_accepting_the_first_baseline_says_so():
    lines = _lines(_printed(terminal.accepted, None, ROOT / "report" / "out" / "baseline.json"))
    assert lines == ["accepted: report/out/baseline.json is the first baseline (this run, every cell)."]


def test_accepting_lists_the_changes_taken_in_but_not_the_cells_kept():
    changes = (
        _change("regression", "views.a@uvicorn", _cell(NATIVE), _cell(BROKEN)),
        _change("not-run", "views.b@uvicorn", _cell(NATIVE), _cell(NOT_RUN)),  # kept: the old cell stays
        _change("not-run", "views.c@uvicorn", _cell(NATIVE), _cell(NOT_RUN)),  # not kept: accepted as not-run
    )
    kept = ["6.0/views.b@uvicorn"]
    lines = _lines(_printed(terminal.accepted, Comparison("b", "a", changes, ()), ROOT / "baseline.json", kept=kept))
    assert lines[0] == "accepted: baseline.json now holds this run (1 regression, 2 not-run):"
    assert lines[1:] == [
        f"6.0/views.a@uvicorn: {label(NATIVE)} → {label(BROKEN)} (regression)",
        f"6.0/views.c@uvicorn: {label(NATIVE)} → {label(NOT_RUN)} (not-run)",
        "kept 1 cells of the previous baseline that did not run now: 6.0/views.b@uvicorn",
    ]


def test_accepting_without_changes_says_no_changed_cell():
    text = _printed(terminal.accepted, Comparison("b", "a", (), ()), ROOT / "baseline.json")
    assert "now holds this run (no changed cell):" in text


def test_accepting_names_only_the_first_kept_cells():
    kept = [f"6.0/views.p{n}@uvicorn" for n in range(terminal.MAX_KEPT_LISTED + 3)]
    text = " ".join(_lines(_printed(terminal.accepted, Comparison("b", "a", (), ()), ROOT / "b.json", kept=kept)))
    assert f"kept {len(kept)} cells" in text
    assert kept[terminal.MAX_KEPT_LISTED - 1] in text
    assert kept[terminal.MAX_KEPT_LISTED] not in text
    assert text.endswith("… and 3 more")


# The run history


def test_an_empty_history_says_so():
    assert _lines(_printed(terminal.history, [])) == ["No run in the history yet."]


def test_history_gives_a_row_per_run_and_lists_each_runs_changed_cells():
    runs = [
        {
            "generated": "2026-11-24T08:00:00.123456+00:00",
            "host": {"os": "Linux", "cpus": 2},
            "envs": {"dj52": {"status": "complete"}, "dj60": {"status": "incomplete"}, "dj61": {"status": "missing"}},
            "counts": {NATIVE: 3, "retired-state": 1},
            "baseline": None,
            "changes": {},
        },
        {
            "generated": "2026-11-25T08:00:00+00:00",
            "host": {},
            "envs": {"dj52": {"status": "complete"}},
            "counts": {BROKEN: 2},
            "baseline": "report/out/baseline.json",
            "changes": {"regression": 1},
            "changed_cells": ["6.0/views.a@uvicorn: ● native → ✗ broken (regression)"],
        },
        {"generated": "2026-11-26T08:00:00+00:00", "envs": {}, "baseline": "report/out/baseline.json"},
    ]
    lines = _lines(_printed(terminal.history, runs))
    rows = [line.split(maxsplit=1) for line in lines if line.startswith("2026-11-2") and "T08:00" in line]
    assert [first for first, _ in rows[:3]] == ["2026-11-24T08:00", "2026-11-25T08:00", "2026-11-26T08:00"]
    assert rows[0][1].split() == [
        "Linux,",
        "2",
        "CPUs",
        "2/3",
        f"{SYMBOLS[NATIVE]}3",
        "retired-state1",
        "no",
        "baseline",
    ]
    assert rows[1][1].split() == ["?,", "?", "CPUs", "1/1", f"{SYMBOLS[BROKEN]}2", "1", "regression"]
    assert rows[2][1].split() == ["?,", "?", "CPUs", "0/0", "no", "change"]
    assert lines[-1] == "2026-11-25T08:00  6.0/views.a@uvicorn: ● native → ✗ broken (regression)"
