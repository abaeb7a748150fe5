"""How each state reads in every output, looked up by name (the renderers read JSON): contract/states.py's table."""

from __future__ import annotations

from contract.states import STATES

SYMBOLS = {name: state.symbol for name, state in STATES.items()}
MEANINGS = {name: state.meaning for name, state in STATES.items()}
STYLES = {name: state.style for name, state in STATES.items()}  # rich styles for the terminal


def label(state: str) -> str:
    """`● native`: readable without colour."""
    return STATES[state].label
