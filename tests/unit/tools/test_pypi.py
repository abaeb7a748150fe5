"""tools/pypi.py: the index uv is configured to use, read in JSON or HTML form, and one line when it cannot be."""

from __future__ import annotations

import json

import pytest

from tests.unit.report.fake_index import JSON, closed_port_url, json_page, serve
from tools.pypi import PYPI, IndexUnreachable, download, index_url, parse_version, sdist, versions


def test_the_first_index_variable_that_is_set_wins_else_pypi():
    assert index_url({}) == PYPI
    assert index_url({"PIP_INDEX_URL": "http://pip/simple"}) == "http://pip/simple/"
    both = {"PIP_INDEX_URL": "http://pip/simple", "UV_INDEX_URL": "http://uv/simple/"}
    assert index_url(both) == "http://uv/simple/"
    assert index_url({**both, "UV_DEFAULT_INDEX": "http://default/simple"}) == "http://default/simple/"
    assert index_url({"UV_DEFAULT_INDEX": " ", "UV_INDEX_URL": ""}) == PYPI


def test_versions_come_from_the_configured_index_in_json_form():
    with serve({"/simple/django/": json_page("5.2.18", "5.2.19", "6.0a1")}) as url:
        assert versions("Django", {"UV_INDEX_URL": url}) == ["5.2.18", "5.2.19", "6.0a1"]


def test_an_html_only_index_gives_the_versions_of_its_files():
    page = (
        b'<html><body><a href="Django-5.2.18.tar.gz#sha256=0">Django-5.2.18.tar.gz</a>'
        b'<a href="x">django-5.2.19-py3-none-any.whl</a><a href="y">Django-5.2.19.tar.gz</a>'
        b'<a href="z">README.txt</a></body></html>'
    )
    with serve({"/simple/django/": ("text/html", page)}) as url:
        assert versions("django", {"PIP_INDEX_URL": url}) == ["5.2.18", "5.2.19"]


def test_versions_that_are_not_versions_are_left_out():
    huge = "5.2." + "1" * 10_000
    with serve({"/simple/django/": json_page("5.2.18", "garbage", huge, "5.2.19")}) as url:
        assert versions("django", {"UV_INDEX_URL": url}) == ["5.2.18", "5.2.19"]


@pytest.mark.parametrize("text", ["garbage", "", "5.2." + "1" * 10_000, "5.2." + "1" * 5000])
def test_parse_version_refuses_what_is_not_a_sane_version(text):
    assert parse_version(text) is None


def test_an_unreachable_index_is_one_line_naming_the_url():
    url = closed_port_url()
    with pytest.raises(IndexUnreachable) as caught:
        versions("django", {"UV_INDEX_URL": url})
    message = str(caught.value)
    assert message.startswith(f"cannot read the package index at {url}/django/ (Connection refused). Fix: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    "page", [("text/html", b"\xff\xfe"), ("application/vnd.pypi.simple.v1+json", b"{not json"), None]
)
def test_a_page_that_is_missing_or_not_a_simple_api_page_is_one_line(page):
    with serve({"/simple/django/": page} if page else {}) as url, pytest.raises(IndexUnreachable) as caught:
        versions("django", {"UV_INDEX_URL": url})
    assert f"{url}/django/" in str(caught.value)
    assert "Fix: " in str(caught.value)
    assert "\n" not in str(caught.value)


def test_sdist_gives_the_url_and_hash_of_a_json_page_and_the_file_downloads():
    files = [
        {"filename": "django-6.1.3-py3-none-any.whl", "url": "/files/w.whl", "hashes": {"sha256": "aa"}},
        {"filename": "django-6.1.3.tar.gz", "url": "/files/django-6.1.3.tar.gz", "hashes": {"sha256": "bb"}},
    ]
    page = (JSON, json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode())
    with serve({"/simple/django/": page, "/files/django-6.1.3.tar.gz": ("application/gzip", b"tarball")}) as url:
        found, sha256 = sdist("Django", "6.1.3", {"UV_INDEX_URL": url})
        assert (found, sha256) == (url.replace("/simple", "/files/django-6.1.3.tar.gz"), "bb")
        assert download(found, limit=100) == b"tarball"
        with pytest.raises(IndexUnreachable, match="is over 3 bytes"):
            download(found, limit=3)


def test_sdist_reads_an_html_page_relative_link_and_hash_fragment():
    page = b'<a href="../../files/Django-3.1.3.tar.gz#sha256=cc">Django-3.1.3.tar.gz</a><a href="x">Django-3.1.2.tar.gz</a>'
    with serve({"/simple/django/": ("text/html", page)}) as url:
        found, sha256 = sdist("django", "3.1.3", {"PIP_INDEX_URL": url})
        assert (found, sha256) == (url.replace("/simple", "/files/Django-3.1.3.tar.gz"), "cc")
        with pytest.raises(IndexUnreachable, match="lists no sdist of django 3.1.9"):
            sdist("django", "3.1.9", {"PIP_INDEX_URL": url})
