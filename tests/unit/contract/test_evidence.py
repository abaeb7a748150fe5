"""Evidence compares across machines: no paths, PIDs or ports; exceptions are found in logs."""

from __future__ import annotations

import json
import os
import sys

import pytest

from contract.evidence import ROOT, describe, excerpt, inert, inert_json, last_exception, scrub


def test_scrub_removes_machine_paths_pids_and_ports():
    text = f'File "{ROOT}/project/asgi.py", line 3; {sys.prefix}/bin/python; {os.path.expanduser("~")}/x\nStarted server process [4242] on 127.0.0.1:51234'
    assert (
        scrub(text)
        == 'File "<project>/project/asgi.py", line 3; <env>/bin/python; ~/x\nStarted server process [<pid>] on 127.0.0.1:<port>'
    )


def test_scrub_only_replaces_whole_path_prefixes():
    home = os.path.expanduser("~")
    assert scrub(f"/tmp/pytest-of-{os.path.basename(home)}/x") == f"/tmp/pytest-of-{os.path.basename(home)}/x"


def test_last_exception_takes_the_final_exception_line():
    log = "Traceback (most recent call last):\n  File x\nKeyError: 'a'\nINFO: later\nValueError: Django can only handle ASGI/HTTP connections, not websocket.\n"
    assert last_exception(log) == "ValueError: Django can only handle ASGI/HTTP connections, not websocket."


def test_last_exception_reads_dotted_types_and_daphne_lines():
    assert (
        last_exception("django.core.exceptions.SynchronousOnlyOperation: You cannot call this")
        == "django.core.exceptions.SynchronousOnlyOperation: You cannot call this"
    )
    assert last_exception("2026 ERROR Exception inside application: boom") == "boom"


def test_last_exception_prefers_an_error_to_a_later_warning():
    error = "ValueError: The view didn't return an HttpResponse object. It returned an unawaited coroutine instead."
    log = f"{error}\nRuntimeWarning: Enable tracemalloc to get the object allocation traceback\n"
    assert last_exception(log) == error
    assert last_exception("RuntimeWarning: Enable tracemalloc") == "RuntimeWarning: Enable tracemalloc"


def test_last_exception_is_none_without_one():
    assert last_exception("INFO: Application startup complete.\nHTTP/1.1 200 OK") is None


def test_excerpt_is_bounded_and_keeps_the_tail():
    text = excerpt("a" * 50 + "END", limit=10)
    assert text == "…" + ("a" * 7 + "END")


def test_describe():
    assert describe(ValueError("x")) == "ValueError: x"
    assert describe(KeyboardInterrupt()) == "KeyboardInterrupt"  # no message, no colon after the type
    assert describe(TimeoutError("  ")) == "TimeoutError"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"env\\u001b[2J": ["a\\u0007b", 1]}', {"env": ["ab", 1]}),  # \u escapes, in a key too
        ('["a\\u001Bb", "c\\u007Fd", "e\x7ff"]', ["ab", "cd", "ef"]),  # upper case hex; DEL escaped and raw
        ('["a\\bb", "c\\fd", "e\\rf"]', ["ab", "cd", "ef"]),  # the short escapes of control characters
        ('["a\\nb", "c\\td", "e\\u000af"]', ["a\nb", "c\td", "e\nf"]),  # newline and tab stay
        ('["a\\\\u001bb", "c\\\\bd"]', ["a\\u001bb", "c\\bd"]),  # an escaped backslash: text, not an escape
        ('{"reason": "served", "stall_ms": 1.5}', {"reason": "served", "stall_ms": 1.5}),
    ],
)
def test_inert_json_parses_and_strips_what_a_terminal_would_obey(text, expected):
    assert inert_json(text) == expected == inert(json.loads(text))
