"""The Markdown report's text helpers: what results put in a table cell stays one cell of plain text."""

from __future__ import annotations

from report.markdown_text import cell_text, code, either, header, plain, safe_url, table


def test_cell_text_keeps_a_row_one_row_and_markup_text():
    assert cell_text("a | b\n<script>\x1b[31m\\") == "a \\| b &lt;script&gt;\\\\"


def test_plain_text_cannot_become_a_link_code_or_emphasis():
    assert plain("[a](javascript:x) `c` *d*") == "\\[a\\](javascript:x) \\`c\\` \\*d\\*"


def test_code_cannot_end_early():
    assert code("a`b|c") == "`a'b\\|c`"


def test_only_plain_https_links_are_safe():
    assert safe_url("https://docs.djangoproject.com/en/stable/releases/4.1.4/")
    assert not safe_url("javascript:alert(1)")
    assert not safe_url("https://x.example/a) [b](c")


def test_either_lists_states_with_or():
    assert either(("native", "threaded", "blocking")) == "native, threaded or blocking"
    assert either(("native",)) == "native"


def test_a_release_header_names_its_date_lts_and_support():
    release = {"version": "5.2", "released": "2025-04-02", "lts": True, "supported": True}
    assert header(release) == "5.2 (2025-04-02, LTS, supported)"
    assert header({**release, "lts": False, "supported": False}) == "5.2 (2025-04-02, EOL)"


def test_a_table_has_a_header_a_rule_and_a_line_per_row():
    assert table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |"
