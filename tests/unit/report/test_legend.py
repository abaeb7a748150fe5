"""The legend looks every state up by the name the JSON files spell: symbol, meaning, terminal style and label."""

from __future__ import annotations

import pytest
from rich.style import Style

from contract.states import STATES, State
from report.legend import MEANINGS, STYLES, SYMBOLS, label


def test_every_state_has_a_symbol_a_meaning_and_a_style_under_its_file_name():
    for table in (SYMBOLS, MEANINGS, STYLES):
        assert list(table) == list(STATES)  # the table's order: best first
    assert "not-run" in SYMBOLS  # the file spelling, not the enum member's name


def test_the_lookups_are_the_state_tables_own_values():
    for name, state in STATES.items():
        assert (SYMBOLS[name], MEANINGS[name], STYLES[name]) == (state.symbol, state.meaning, state.style)


def test_each_state_has_its_own_symbol():
    assert len(set(SYMBOLS.values())) == len(SYMBOLS)


def test_every_style_is_one_rich_can_parse():
    for name, style in STYLES.items():
        assert Style.parse(style).color is not None, name


def test_a_label_reads_without_colour():
    assert label("native") == "● native"
    assert label("not-run") == f"{State.NOT_RUN.symbol} not-run"
    assert all(label(name).endswith(f" {name}") for name in STATES)


def test_an_unknown_state_is_a_key_error_not_a_blank():
    with pytest.raises(KeyError):
        label("fast")
