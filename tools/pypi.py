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
    url = f"{index_url(environ)}{canonicalize_name(name)}/"
    request = urllib.request.Request(url, headers={"Accept": f"{JSON}, text/html;q=0.1"})
    fix = (
        "Fix: check the network and the index URL (the first of UV_DEFAULT_INDEX, UV_INDEX_URL, PIP_INDEX_URL "
        "that is set, else PyPI), then run it again."
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the index uv uses
            body = response.read(MAX_PAGE_BYTES + 1)
            content_type = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection
        raise IndexUnreachable(f"cannot read the package index at {url} (HTTP {exc.code} {exc.reason}). {fix}") from exc
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise IndexUnreachable(f"cannot read the package index at {url} ({reason}). {fix}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:  # timeouts, dropped connections, bad URLs
        raise IndexUnreachable(f"cannot read the package index at {url} ({exc or type(exc).__name__}). {fix}") from exc
    if len(body) > MAX_PAGE_BYTES:
        raise IndexUnreachable(f"the package index page {url} is over {MAX_PAGE_BYTES} bytes. {fix}")
    try:
        found = _json_versions(body) if content_type.endswith("json") else _html_versions(body.decode("utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexUnreachable(f"the package index page {url} is not a simple API page ({exc}). {fix}") from exc
    return [text for text in dict.fromkeys(found) if parse_version(text) is not None]


def _json_versions(body: bytes) -> list[str]:
    data = json.loads(body)
    if "versions" in data:  # PEP 700
        return [str(text) for text in data["versions"]]
    return list(_file_versions(str(entry["filename"]) for entry in data["files"]))


def _html_versions(page: str) -> list[str]:
    parser = _Anchors()
    parser.feed(page)
    return list(_file_versions(parser.texts))


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
    """The texts of a PEP 503 page's links: one file name each."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._inside = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.texts[-1] += data.strip()
