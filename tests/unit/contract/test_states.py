"""contract/states.py is the one table of states: the README and the JSON Schemas agree with it."""

from __future__ import annotations

import re

import pytest

from contract.matrix import ROOT
from contract.states import RECORDED, STATES, State, Verdict


def test_every_row_is_complete_and_distinct():
    assert len({state.symbol for state in State}) == len(State)
    for state in State:
        assert state.meaning and state.style
        assert re.fullmatch(r"#[0-9a-f]{6}", state.colour) and re.fullmatch(r"#[0-9a-f]{6}", state.dark_colour)
        assert state.rank is None or state.rank >= 0
    assert [state.value for state in State] == list(STATES)
    assert State.PARTIAL.value not in RECORDED and State.NOT_RUN.value in RECORDED


def test_ranks_order_the_working_states_best_first():
    ranked = [state for state in State if state.rank is not None]
    assert [state.rank for state in ranked] == sorted((state.rank for state in ranked), reverse=True)
    assert State.NATIVE.rank > State.THREADED.rank > State.BLOCKING.rank > State.ABSENT.rank == State.BROKEN.rank


def test_buffered_is_a_degraded_working_state_between_serialized_and_blocking():
    # The loop stays free (better than blocking), but the client gets the body whole (worse than serialized).
    assert State.SERIALIZED.rank > State.BUFFERED.rank > State.BLOCKING.rank > State.PARTIAL.rank
    assert State.BUFFERED.recorded


def test_the_readme_lists_every_state_with_its_meaning_in_table_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## States", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+) \|$", section, re.MULTILINE)
    assert rows == [(state.value, state.meaning) for state in State]


def test_only_an_undecided_verdict_can_ask_for_another_attempt():
    assert Verdict(State.UNDECIDED, "a gray burst", retry=True).retry is True
    assert Verdict(State.NATIVE, "settled").retry is False
    assert Verdict(State.BROKEN, "buffered: read late", retry=True).retry is True
    with pytest.raises(ValueError, match="only an undecided or broken verdict is measured again, not native"):
        Verdict(State.NATIVE, "settled", retry=True)
