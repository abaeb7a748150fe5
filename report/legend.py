"""How each state reads without colour (a symbol and a word) and what it means; every output uses this."""

from __future__ import annotations

SYMBOLS = {
    "native": "●",
    "threaded": "◐",
    "blocking": "◒",
    "partial": "◔",
    "absent": "○",
    "broken": "✗",
    "undecided": "?",
    "not-run": "–",
}

MEANINGS = {
    "native": "works, and the work ran on the event loop thread",
    "threaded": "async API, but the work was observed on another thread",
    "blocking": "works on the loop thread, but stalls the loop: other requests wait",
    "partial": "roadmap items only: some deciding probes work, others are absent",
    "absent": "not there (import, attribute or route missing; protocol refused)",
    "broken": "there, but fails",
    "undecided": "it ran, but the observation did not settle the verdict (see the samples)",
    "not-run": "the probe could not run (missing interpreter, crash, bad results file): see the reason",
}


def label(state: str) -> str:
    """`● native`: readable without colour."""
    return f"{SYMBOLS[state]} {state}"
