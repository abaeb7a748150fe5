"""The one table of states: every state a probe can record or the report can show, how it ranks, reads and looks.

Every output reads this table: the legend, the terminal summary, Markdown, the HTML page (symbols and colours), the
roadmap's combination and regressions, and the JSON Schemas' state enums (report/inputs.py fills them in). Adding a
state is adding one row; tests/unit/contract/test_states.py checks the README's table of states against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class State(str, Enum):
    """One row per state, best first: (name, rank, symbol, terminal style, colour, dark colour, recorded, meaning).

    rank: higher is more async; None for a state that says nothing about progress (it neither raises nor hides a
    regression). recorded: False for a state only the roadmap's combination gives (probes never record it).
    Colours are the HTML page's (light and dark scheme); the terminal style is a rich style name.
    """

    # fmt: off
    NATIVE = ("native", 6, "●", "green", "#009e73", "#009e73", True, "works, and the work ran on the event loop thread")
    THREADED = ("threaded", 5, "◐", "blue", "#0072b2", "#0072b2", True, "async API, but the work was observed on another thread")
    SERIALIZED = ("serialized", 4, "◓", "cyan", "#56b4e9", "#56b4e9", True, "works off the loop, which stays free, but concurrent requests run one at a time on a worker thread")
    BUFFERED = ("buffered", 3, "◕", "hot_pink3", "#cc79a7", "#cc79a7", True, "works off the loop, which stays free, but delivered whole: a streamed response reached the client only after its last chunk was made")
    BLOCKING = ("blocking", 2, "◒", "dark_orange", "#e69f00", "#e69f00", True, "works on the loop thread, but stalls the loop: other requests wait")
    PARTIAL = ("partial", 1, "◔", "yellow", "#f0e442", "#f0e442", False, "roadmap items only: some deciding probes work, others are absent or broken (the cell says which)")
    ABSENT = ("absent", 0, "○", "grey50", "#d9d9d9", "#d9d9d9", True, "not there (import, attribute or route missing; protocol refused)")
    BROKEN = ("broken", 0, "✗", "red", "#d55e00", "#d55e00", True, "there, but fails")
    UNDECIDED = ("undecided", None, "?", "magenta", "#000000", "#e6e6e6", True, "it ran, but the observation did not settle the verdict (see the samples)")
    NOT_RUN = ("not-run", None, "–", "grey50", "#d9d9d9", "#d9d9d9", True, "the probe could not run (missing interpreter, crash, bad results file): see the reason")
    # fmt: on

    _value_: str
    rank: int | None
    symbol: str
    style: str
    colour: str
    dark_colour: str
    recorded: bool
    meaning: str

    def __new__(cls, name: str, *row: Any) -> State:
        member = str.__new__(cls, name)
        member._value_ = name
        return member

    def __init__(
        self,
        name: str,
        rank: int | None,
        symbol: str,
        style: str,
        colour: str,
        dark_colour: str,
        recorded: bool,
        meaning: str,
    ) -> None:
        self.rank, self.symbol, self.style = rank, symbol, style
        self.colour, self.dark_colour, self.recorded, self.meaning = colour, dark_colour, recorded, meaning

    @property
    def value(self) -> str:
        """The state's name as every file spells it: `not-run`."""
        return self._value_

    @property
    def label(self) -> str:
        """`● native`: readable without colour."""
        return f"{self.symbol} {self.value}"


# Every state by name, in the table's order; the ones a probe can record.
STATES = {state.value: state for state in State}
RECORDED = tuple(state.value for state in State if state.recorded)


@dataclass(frozen=True)
class Verdict:
    """A state with its evidence: `facts` are stable across runs and machines, `measurements` are not.

    `retry`: undecided for a timing reason another measurement may settle (a noisy meter), or broken by a reading a
    starved machine can fake (a stream read late looks buffered), so the recorder measures it again
    (harness/recorder.py, ATTEMPTS) and keeps the last attempt's verdict; never set when another attempt would see
    the same.
    """

    state: State
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Any] = field(default_factory=dict)
    retry: bool = False

    def __post_init__(self) -> None:
        if self.retry and self.state not in (State.UNDECIDED, State.BROKEN):
            raise ValueError(f"only an undecided or broken verdict is measured again, not {self.state.value}")
