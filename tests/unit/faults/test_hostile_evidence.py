"""Hostile evidence: markup, quotes, terminal escapes, rich markup, very long lines and bytes that are not UTF-8.

The harness scrubs what it records; the report also distrusts results (they may come from another machine):
the HTML shows them as text, the Markdown table stays a table, and the terminal summary neither obeys nor crashes.
"""

from __future__ import annotations

import json

from contract.evidence import last_exception, scrub
from contract.matrix import load_matrix
from harness.processes.servers import Server
from report.__main__ import main

ESC = "\x1b"
HOSTILE = (
    f"<script>alert(1)</script> \"quoted\" 'single' | pipe {ESC}[31mred{ESC}[0m {ESC}]0;title\x07 [/] [bold]x[/bold]"
    + "\r\nsecond line\x00 \ufffd "
    + "long" * 2500
)


def _results(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    row = {
        "id": "asgi.entrypoint",
        "server": "uvicorn",
        "state": "broken",
        "reason": HOSTILE,
        "facts": {"server_exception": HOSTILE},
        "measurements": {},
        "duration": 0.1,
        "source_hash": "abc123def456",
        "reproduce": 'tox -e dj52 -- -k "x"',
    }
    data = {
        "schema": 1,
        "env": "dj52",
        "release": "5.2",
        "versions": {"python": "3.13.1", "django": load_matrix().release("5.2").django},  # as matrix.yaml pins
        "started": "2026-11-25T08:16:30+00:00",
        "duration": 1.0,
        "complete": False,  # so the summary prints the env's problem line too
        "probes": [row],
    }
    (results / "dj52.json").write_text(json.dumps(data), encoding="utf-8")
    return results


def test_report_keeps_hostile_reasons_as_inert_text(tmp_path, capsys, small_matrix):
    out = tmp_path / "out"
    assert main(["--matrix", str(small_matrix), "--results", str(_results(tmp_path)), "--out", str(out)]) == 0
    terminal = capsys.readouterr().out
    assert ESC not in terminal and "\x07" not in terminal

    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # A control character left in the page is inert text; the Chromium test (test_page.py) covers rendering.

    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert ESC not in markdown and "\x00" not in markdown
    header = next(line for line in markdown.splitlines() if line.startswith("| Probe | Server |"))
    row = next(line for line in markdown.splitlines() if line.startswith("| `asgi.entrypoint`"))
    # Same number of unescaped cell separators as the header: the hostile text did not add a column or a line.
    assert row.replace("\\|", "").count("|") == header.count("|")


def test_a_server_log_with_escapes_and_bad_bytes_becomes_clean_evidence(tmp_path):
    log = tmp_path / "server.log"
    log.write_bytes(b"INFO started\n" + f"{ESC}[31mValueError: bad ".encode() + b"\xff\xfe byte\x07\n")
    server = Server("uvicorn", "app", process=None, log_path=log)  # type: ignore[arg-type]
    text = server.log()
    found = last_exception(text)
    assert found == "ValueError: bad \ufffd\ufffd byte"


def test_scrub_drops_terminal_controls_but_keeps_lines():
    assert scrub(f"a{ESC}[1;31mb{ESC}[0m\tc\nd\x00e\x7f") == "ab\tc\nde"
