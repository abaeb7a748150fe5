"""The one reader of results files: inert JSON, or one line saying why the file cannot be read."""

from __future__ import annotations

from report.reader import read_json


def test_a_results_file_is_read_with_every_string_made_inert(tmp_path):
    path = tmp_path / "dj52.json"
    path.write_text('{"env\\u001b[2J": ["a\\u0007b", 1]}', encoding="utf-8")
    assert read_json(path) == ({"env": ["ab", 1]}, None)


def test_a_file_that_cannot_be_read_says_why(tmp_path):
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"probes": [', encoding="utf-8")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"reason": "caf\xe9"}')
    assert read_json(tmp_path / "missing.json") == (None, "cannot read it (No such file or directory)")
    assert read_json(latin) == (None, "not UTF-8 text (invalid continuation byte)")
    data, problem = read_json(truncated)
    assert data is None
    assert problem == "not valid JSON (line 1, column 13: Expecting value); truncated or hand-edited?"
