"""Turn raw observations (logs, exceptions) into evidence that compares across machines and runs."""

from __future__ import annotations

import json
import os
import re
import site
import sys
import sysconfig
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAX_EXCERPT = 2000

# A Python exception line as tracebacks and loggers print it: "ValueError: Django can only ...".
_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt|Operation))(?:: (.*))?$"
)
# Terminal escape sequences and control characters (but tab and newline): a log or exception text carrying them
# would recolour or rewrite the terminal that prints the summary.
_CONTROLS = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")
_PID = re.compile(r"(process|pid|PID)( ?\[?)\d+")
_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")


def _prefixes() -> list[tuple[re.Pattern[str], str]]:
    """Machine-specific path prefixes, longest first, and what to write instead.

    A prefix only matches where a path starts, so the home "/root" is not replaced inside "/tmp/pytest-of-root".
    """
    pairs = [(p, "<site-packages>") for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]}]
    pairs += [(sysconfig.get_paths()["stdlib"], "<stdlib>"), (str(ROOT), "<project>"), (sys.prefix, "<env>")]
    pairs.append((os.path.expanduser("~"), "~"))
    pairs.sort(key=lambda pair: -len(pair[0]))
    return [(re.compile(rf"(?<![\w.~/-]){re.escape(prefix)}(?![\w.-])"), replacement) for prefix, replacement in pairs]


_PREFIXES = _prefixes()


def strip_controls(text: str) -> str:
    """`text` without terminal escape sequences and control characters, tab and newline kept."""
    return _CONTROLS.sub("", text)


def inert(value: Any) -> Any:
    """`value` (parsed JSON) with `strip_controls` applied to every string in it, keys included.

    The report reads results that may come from another machine: nothing in them may drive a terminal.
    """
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {inert(key): inert(item) for key, item in value.items()}
    if isinstance(value, list):
        return [inert(item) for item in value]
    return value


# Where a JSON text can hold a control character `strip_controls` removes: JSON forbids them raw inside strings
# but DEL, so they come from the escapes \b, \f, \r and \u0000-\u001f, \u007f. Newline and tab escapes match
# too: a text that may hold one is walked, one that cannot is not.
_JSON_CONTROL = re.compile(r"\\[bfr]|\\u00[01][0-9a-fA-F]|\\u007[fF]|\x7f")


def inert_json(text: str) -> Any:
    """`inert(json.loads(text))`; a text no escape of which can decode to a control character is only parsed, as
    walking every string of a 3 MB results file to find none took a fifth of building the report."""
    value = json.loads(text)
    return inert(value) if _JSON_CONTROL.search(text) else value


def scrub(text: str) -> str:
    """Remove what differs between machines and runs (paths, PIDs and ports) and what a terminal would obey."""
    text = strip_controls(text)
    for prefix, replacement in _PREFIXES:
        text = prefix.sub(replacement, text)
    text = _PID.sub(lambda m: f"{m.group(1)}{m.group(2)}<pid>", text)
    return _PORT.sub(lambda m: f"{m.group(1)}:<port>", text)


def last_exception(log: str) -> str | None:
    """The last "Type: message" line of a log excerpt, e.g. the one a server prints after a traceback.

    A warning counts only when no error does: Python follows an error about an unawaited coroutine
    with "RuntimeWarning: Enable tracemalloc ...", which says nothing about the failure.
    """
    found = warning = None
    for line in strip_controls(log).splitlines():  # a coloured log line is still an exception line
        stripped = line.strip()
        match = _EXCEPTION_LINE.match(stripped)
        if match and match.group(1).endswith("Warning"):
            warning = stripped
        elif match:
            found = stripped
        elif "Exception inside application: " in stripped:
            found = stripped.split("Exception inside application: ", 1)[1]
    found = found or warning
    return scrub(found) if found else None


def excerpt(log: str, limit: int = MAX_EXCERPT) -> str:
    """The tail of a log, scrubbed and bounded."""
    text = scrub(log.strip())
    return text if len(text) <= limit else "…" + text[-limit:]


def describe(exc: BaseException) -> str:
    """ "Type: message" of an exception (only "Type" when it has no message), scrubbed, as evidence."""
    message = str(exc).strip()
    return scrub(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
