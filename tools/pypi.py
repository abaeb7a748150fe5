"""Read a package's versions from the index uv is configured to use, so that what we check is what uv installs.

The index is the first of UV_DEFAULT_INDEX, UV_INDEX_URL and PIP_INDEX_URL that is set, else PyPI's simple API.
Its page for a package is read in the simple API's JSON form (PEP 691, with PEP 700's `versions` list) or, from
an index that only serves HTML (PEP 503), from its file names.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/simple/"
INDEX_VARIABLES = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")
# Longer than any real version (Django's longest is 8 characters); Version() of a 10-million-digit number takes
# half a second and then fails on Python's integer-conversion limit.
MAX_VERSION_LENGTH = 64
MAX_PAGE_BYTES = 64 * 1024 * 1024  # PyPI's page for Django is under 1 MB
JSON = "application/vnd.pypi.simple.v1+json"


class IndexUnreachable(Exception):
    """The index could not be read; the message is one line naming the URL and the fix."""


def index_url(environ: Mapping[str, str] = os.environ) -> str:
    """The simple API's root URL, ending in `/`: the first index variable that is set, else PyPI."""
    for variable in INDEX_VARIABLES:
        if environ.get(variable, "").strip():
            return environ[variable].strip().rstrip("/") + "/"
    return PYPI


def parse_version(text: str) -> Version | None:
    """`text` as a version, or None when it is not one (or is too long to be a real one)."""
    if len(text) > MAX_VERSION_LENGTH:
        return None
    try:
        return Version(text)
    except (InvalidVersion, ValueError):  # ValueError: more digits than int() converts
        return None


def versions(name: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every valid version of `name` the index lists, as it spells them; raise IndexUnreachable on any failure."""
    url, body, content_type = _page(name, environ)
    try:
        found = _json_versions(body) if content_type.endswith("json") else _html_versions(body.decode("utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexUnreachable(f"the package index page {url} is not a simple API page ({exc}). {FIX}") from exc
    return [text for text in dict.fromkeys(found) if parse_version(text) is not None]


def sdist(name: str, version: str, environ: Mapping[str, str] = os.environ) -> tuple[str, str | None]:
    """The URL of `name==version`'s sdist on the index, and its sha256 when the index gives one.

    Raise IndexUnreachable when the index cannot be read or lists no sdist of that version.
    """
    url, body, content_type = _page(name, environ)
    try:
        links = _json_links(body) if content_type.endswith("json") else _html_links(body.decode("utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexUnreachable(f"the package index page {url} is not a simple API page ({exc}). {FIX}") from exc
    wanted = Version(version)
    for filename, href, sha256 in links:
        try:
            if not filename.endswith(".whl") and parse_sdist_filename(filename)[1] == wanted:
                return urllib.parse.urljoin(url, href), sha256
        except (InvalidSdistFilename, InvalidVersion, ValueError):
            continue
    raise IndexUnreachable(f"the package index page {url} lists no sdist of {name} {version}. {FIX}")


def download(url: str, limit: int) -> bytes:
    """The file at `url` (at most `limit` bytes); raise IndexUnreachable on any failure."""
    return _read(urllib.request.Request(url), limit)[0]


FIX = (
    "Fix: check the network and the index URL (the first of UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL "
    "that is set, else PyPI), then run it again."
)


def _page(name: str, environ: Mapping[str, str]) -> tuple[str, bytes, str]:
    """`name`'s simple API page: its URL, body and content type."""
    url = f"{index_url(environ)}{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": f"{JSON}, text/html;q=0.1"})
    return (url, *_read(request, MAX_PAGE_BYTES))


def _read(request: urllib.request.Request, limit: int) -> tuple[bytes, str]:
    """The body (at most `limit` bytes) and content type of `request`'s response."""
    url = request.full_url
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the index uv uses
            body = response.read(limit + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection
        raise IndexUnreachable(f"cannot read the package index at {url} (HTTP {exc.code} {exc.reason}). {FIX}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise IndexUnreachable(f"cannot read the package index at {url} ({reason}). {FIX}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:  # timeouts, dropped connections, bad URLs
        raise IndexUnreachable(f"cannot read the package index at {url} ({exc or type(exc).__name__}). {FIX}") from exc
    if len(body) > limit:
        raise IndexUnreachable(f"the package index file {url} is over {limit} bytes. {FIX}")
    return body, content_type


def _json_versions(body: bytes) -> list[str]:
    data = json.loads(body)
    if "versions" in data:  # PEP 700
        return [str(text) for text in data["versions"]]
    return list(_file_versions(str(entry["filename"]) for entry in data["files"]))


def _html_versions(page: str) -> list[str]:
    return list(_file_versions(filename for filename, _, _ in _html_links(page)))


def _json_links(body: bytes) -> list[tuple[str, str, str | None]]:
    """(file name, URL, sha256 or None) of each file of a PEP 691 page."""
    return [
        (str(entry["filename"]), str(entry["url"]), entry.get("hashes", {}).get("sha256"))
        for entry in json.loads(body)["files"]
    ]


def _html_links(page: str) -> list[tuple[str, str, str | None]]:
    """(file name, URL, sha256 or None) of each link of a PEP 503 page; the hash comes from a `#sha256=` fragment."""
    parser = _Anchors()
    parser.feed(page)
    links = []
    for text, href in zip(parser.texts, parser.hrefs, strict=True):
        fragment = urllib.parse.urldefrag(href).fragment
        algorithm, _, digest = fragment.partition("=")
        links.append((text, urllib.parse.urldefrag(href).url, digest if algorithm == "sha256" and digest else None))
    return links


def _file_versions(filenames: Iterable[str]) -> Iterable[str]:
    """The versions of the wheels and sdists among `filenames` (other files are skipped)."""
    for filename in filenames:
        try:
            if filename.endswith(".whl"):
                yield str(parse_wheel_filename(filename)[1])
            else:
                yield str(parse_sdist_filename(filename)[1])
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion, ValueError):
            continue


class _Anchors(HTMLParser):
    """The texts (one file name each) and hrefs of a PEP 503 page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.hrefs: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._inside = True
            self.texts.append("")
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.texts[-1] += data.strip()
