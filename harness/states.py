"""The states a probe can record, and the verdict a rule hands to the recorder."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class State(str, Enum):
    NATIVE = "native"  # works, and the work ran on the event loop thread
    THREADED = "threaded"  # async API, but the work was observed on another thread
    BLOCKING = "blocking"  # works on the loop thread, but stalls the loop: other requests wait
    ABSENT = "absent"  # not there (import, attribute or route missing; protocol refused)
    BROKEN = "broken"  # there, but fails
    NOT_RUN = "not-run"  # the probe could not run (harness error, env crash, missing interpreter)
    UNDECIDED = "undecided"  # it ran, but the observation does not settle the verdict


@dataclass(frozen=True)
class Verdict:
    """A state with its evidence: `facts` are stable across runs and machines, `measurements` are not."""

    state: State
    reason: str
    facts: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Any] = field(default_factory=dict)
