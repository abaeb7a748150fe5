"""report/patches.py: the kept fixes of catalogue.json with what sweep.json observed, as a Markdown section."""

from __future__ import annotations

import json

import jinja2
import pytest

from report.html import TEMPLATES
from report.inputs import IncompatibleResults
from report.patches import PatchesError, known_bugs_section, load_known_bugs, patch_rows, patch_span


def catalogue_entry(key: str, fixed_in: dict[str, str], **review: object) -> dict[str, object]:
    ticket = int(key[1:]) if key.startswith("#") else None
    link = f"https://code.djangoproject.com/ticket/{ticket}" if ticket else f"https://www.cve.org/CVERecord?id={key}"
    return {
        "key": key,
        "ticket": ticket,
        "cve": None if ticket else key,
        "link": link,
        "patches": sorted(fixed_in.values()),
        "fixed_in": fixed_in,
        "text": f"the notes on {key}",
        "kept": True,
        "probes": [],
        "unobservable": None,
        "dropped": None,
        **review,
    }


def sweep_row(fixed_in: str, broken: list[str], first: str | None, agrees: bool, note: str = "") -> dict[str, object]:
    return {
        "fixed_in": fixed_in,
        "cells": ["orm.related-managers"],
        "patches": {},
        "observed_broken": broken,
        "first_observed_fixed": first,
        "agrees_with_notes": agrees,
        "note": note,
        "bisections": [],
    }


@pytest.fixture
def files(tmp_path):
    catalogue, sweep = tmp_path / "catalogue.json", tmp_path / "sweep.json"
    entries = [
        catalogue_entry("#34139", {"4.1": "4.1.4"}, probes=["orm.related-managers"]),
        catalogue_entry("#32128", {"3.1": "3.1.3"}, unobservable="nothing changes at run time"),
        catalogue_entry("#35392", {"5.0": "5.0.5"}, kept=False, dropped="an import path"),
        catalogue_entry("CVE-2026-3902", {"5.2": "5.2.13", "6.0": "6.0.4"}, probes=["security.underscore-headers"]),
        catalogue_entry("#35174", {"5.0": "5.0.3"}, probes=["signals.async-only"]),
    ]
    catalogue.write_text(json.dumps({"django": "6.1.3", "entries": entries}), encoding="utf-8")
    swept = {
        "#34139": {
            "key": "#34139",
            "link": "x",
            "series": {"4.1": sweep_row("4.1.4", ["4.1.0", "4.1.1"], "4.1.4", True)},
        },
        "CVE-2026-3902": {
            "key": "CVE-2026-3902",
            "link": "x",
            "series": {"6.0": sweep_row("6.0.4", [], "6.0.0", False, "no patch before 6.0.4 showed another state")},
        },
        "#35174": {
            "key": "#35174",
            "link": "x",
            "series": {"5.0": sweep_row("5.0.3", ["5.0.0"], "5.0.1", False, "observed fixed from 5.0.1")},
        },
    }
    sweep.write_text(json.dumps({"entries": swept}), encoding="utf-8")
    return catalogue, sweep


def test_kept_fixes_load_with_one_row_per_series_and_what_was_observed(files):
    bugs = {bug.key: bug for bug in load_known_bugs(*files)}
    assert list(bugs) == ["#34139", "#32128", "CVE-2026-3902", "#35174"]
    cve = bugs["CVE-2026-3902"]
    assert [(row.series, row.fixed_in) for row in cve.series] == [("5.2", "5.2.13"), ("6.0", "6.0.4")]
    assert cve.series[0].observed is None
    assert cve.series[1].observed is not None and cve.series[1].observed.agrees is False
    assert bugs["#34139"].series[0].observed.broken == ("4.1.0", "4.1.1")


def test_the_section_flags_disagreement_either_way_and_says_what_cannot_be_seen(files):
    lines = known_bugs_section(load_known_bugs(*files))
    assert lines[0] == "## Known async bugs by patch"
    rows = {line.split(" | ")[0] + " " + line.split(" | ")[1]: line for line in lines[-2].splitlines()[2:]}
    related = rows["| [#34139](https://code.djangoproject.com/ticket/34139) the notes on #34139 4.1"]
    assert related.endswith("| 4.1.4 | 4.1.0-4.1.1 | 4.1.4 | yes |  |")
    seen_early = rows["| [#35174](https://code.djangoproject.com/ticket/35174) the notes on #35174 5.0"]
    assert "| 5.0.0 | 5.0.1 | **no** | observed fixed from 5.0.1 |" in seen_early
    never = rows["| [CVE-2026-3902](https://www.cve.org/CVERecord?id=CVE-2026-3902) the notes on CVE-2026-3902 6.0"]
    assert "| none | 6.0.0 | **no** | no patch before 6.0.4 showed another state |" in never
    unswept = rows["| [CVE-2026-3902](https://www.cve.org/CVERecord?id=CVE-2026-3902) the notes on CVE-2026-3902 5.2"]
    assert "| not swept | — | — | run `tox -e sweep -- 5.2` |" in unswept
    unobservable = rows["| [#32128](https://code.djangoproject.com/ticket/32128) the notes on #32128 3.1"]
    assert "| cannot be observed here: nothing changes at run time |" in unobservable
    assert "#35392" not in lines[-2]
    assert [row.split(" | ")[1] for row in lines[-2].splitlines()[2:]] == ["3.1", "4.1", "5.0", "5.2", "6.0"]


def test_without_a_catalogue_the_section_says_how_to_make_one(tmp_path):
    assert load_known_bugs(tmp_path / "none.json", tmp_path / "none.json") == ()
    assert "run `tox -e catalogue`" in "\n".join(known_bugs_section(()))


def test_without_a_sweep_every_row_is_not_swept(files, tmp_path):
    bugs = load_known_bugs(files[0], tmp_path / "none.json")
    assert all(row.observed is None for bug in bugs for row in bug.series)


@pytest.mark.parametrize(
    ("which", "text", "expected"),
    [
        (0, "{", "catalogue.json: cannot read it (Expecting property name"),
        (0, '{"django": null, "entries": [{"key": "#1"}]}', "catalogue.json: entries[0]: 'ticket' is a required"),
        (
            1,
            '{"entries": {"#1": {"key": "#1", "link": "x", "series": {"4.1": {}}}}}',
            "sweep.json: entries.#1.series.4.1",
        ),
    ],
)
def test_a_file_that_is_not_one_names_it_and_the_fix(files, which, text, expected):
    files[which].write_text(text, encoding="utf-8")
    with pytest.raises(PatchesError) as caught:
        load_known_bugs(*files)
    assert expected in str(caught.value)
    assert "Fix: rerun `tox -e" in str(caught.value)
    assert isinstance(caught.value, IncompatibleResults)  # the report's exit 2


def test_a_link_that_could_break_the_table_is_left_out(files):
    data = json.loads(files[0].read_text(encoding="utf-8"))
    data["entries"][0]["link"] = "https://example.org/a)b"
    files[0].write_text(json.dumps(data), encoding="utf-8")
    assert "| #34139 the notes on #34139 | 4.1 |" in known_bugs_section(load_known_bugs(*files))[-2]


@pytest.mark.parametrize(
    ("patches", "expected"),
    [
        ((), ""),
        (("4.1.0",), "4.1.0"),
        (("4.1.0", "4.1.1", "4.1.2"), "4.1.0-4.1.2"),
        (("4.1.0", "4.1.2", "4.1.3"), "4.1.0, 4.1.2-4.1.3"),
        (("4.2.9", "5.0.0"), "4.2.9, 5.0.0"),
    ],
)
def test_patch_span_joins_consecutive_patches(patches, expected):
    assert patch_span(patches) == expected


def render_partial(bugs) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("patches.html.j2").render(patch_rows=patch_rows(bugs))


def test_the_page_partial_shows_the_same_rows_escaped(files):
    data = json.loads(files[0].read_text(encoding="utf-8"))
    data["entries"][0]["text"] = "acreate() <script>alert(1)</script>"
    files[0].write_text(json.dumps(data), encoding="utf-8")
    page = render_partial(load_known_bugs(*files))
    assert '<h2 id="patch-fixes">Known async bugs by patch</h2>' in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert page.count("<tr><td>") == 5
    assert "<td>4.1.0-4.1.1</td><td>4.1.4</td><td>yes</td>" in page
    assert '<td>5.0.0</td><td>5.0.1</td><td class="flag">no</td><td>observed fixed from 5.0.1</td>' in page
    assert "<td>not swept</td><td>—</td><td>—</td><td>run <code>tox -e sweep -- 5.2</code></td>" in page
    assert "cannot be observed here: nothing changes at run time" in page
    assert "run <code>tox -e catalogue</code>" in render_partial(())
