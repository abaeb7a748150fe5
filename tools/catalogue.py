"""List the async fixes of Django's patch notes, and check that matrix.yaml reviews each one (`patch_fixes:`).

    python -m tools.catalogue                  the notes of the newest Django on the index (its sdist, cached)
    python -m tools.catalogue --notes DIR      a docs/releases folder already on disk
    (or `tox -e catalogue -- ...`)

It reads docs/releases/X.Y.Z.txt of every patch release from 3.0.1 on and lists as a candidate every bullet of a
"Bugfixes" section, and every CVE section, that speaks of async, ASGI, coroutines or awaiting, or names an a-method
(`aX` where the notes also name `X` as code: `acreate()` because of `create()`, not `aggregate()`). A ticket (or CVE)
named in several patches is one candidate with each patch. The sdist comes from the index uv uses (tools/pypi.py)
and is kept, its notes only, under ~/.cache/django-async-matrix/ ($XDG_CACHE_HOME); without the index, the newest
notes there are read.

Every candidate must be reviewed in matrix.yaml and every reviewed entry must still be a candidate; then it writes
report/out/catalogue.json (atomically): each candidate with its patches, text and review.

Exit status: 0; 2 for a candidate not reviewed, a review of no candidate, a bad matrix.yaml or notes folder, or an
unreachable index (one line naming it and the fix).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from contract.atomic import write_all_atomically, write_text_atomically
from contract.matrix import TICKET_URL, Matrix, MatrixError, PatchFix, display_path, load_matrix
from report.patches import CATALOGUE_PATH
from tools import pypi

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "django-async-matrix"
CVE_URL = "https://www.cve.org/CVERecord?id={}"
MAX_SDIST_BYTES = 64 * 1024 * 1024  # Django's is about 11 MB
# A patch release's notes: X.Y.Z with Z >= 1, from 3.0 (Django's first async release) on.
PATCH_NOTES = re.compile(r"(?P<series>(?:[3-9]|[1-9][0-9])\.[0-9]+)\.[1-9][0-9]*")
KEYWORDS = re.compile(r"async|asgi|coroutine|await", re.IGNORECASE)  # async covers asynchronous, asgi asgiref
# A heading: a line of text, then a line of one punctuation character at least as long.
HEADING = re.compile(r"^(?P<title>\S[^\n]*)\n(?P<rule>([=\-~^*+#])\3*)$", re.MULTILINE)
CODE = re.compile(r"``(?P<literal>[^`]+)``|:(?P<name>[a-z]+):`(?P<role>[^`]+)`")
TICKET = re.compile(r":ticket:`(?P<number>[0-9]+)`")
CVE = re.compile(r"^(?P<cve>CVE-[0-9]{4}-[0-9]+):")


class CatalogueError(Exception):
    """The notes or the review cannot be used; the message is one line naming what and the fix."""


@dataclass(frozen=True)
class Candidate:
    """A fix the notes describe as async: its ticket or CVE (`key`, as PatchFix.key spells it), patches and text."""

    key: str
    patches: tuple[str, ...]
    text: str  # the bullet, or the CVE section's heading after `CVE-N:`, as plain text
    ticket: int | None = None
    cve: str | None = None

    @property
    def link(self) -> str:
        return TICKET_URL.format(self.ticket) if self.ticket is not None else CVE_URL.format(self.cve)


def plain(rst: str) -> str:
    """reST inline text as plain text: ``x`` is x, :role:`~a.b` is b, :role:`text <target>` is text, :ticket:`N` #N."""

    def shown(match: re.Match[str]) -> str:
        if match["literal"] is not None:
            return match["literal"]
        role = match["role"]
        if match["name"] in ("ticket", "cve"):
            return f"#{role}" if match["name"] == "ticket" else f"CVE-{role}"
        titled = re.fullmatch(r"(?P<title>.+?)\s*<[^>]+>", role, re.DOTALL)
        if titled:
            return titled["title"]
        return role.rsplit(".", 1)[-1] if role.startswith("~") else role.lstrip(".")

    return " ".join(CODE.sub(shown, rst).split())


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every identifier the notes write as code (``x`` or a role)."""
    names: set[str] = set()
    for text in texts:
        for match in CODE.finditer(text):
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", match["literal"] or match["role"]))
    return frozenset(names)


def is_async(text: str, known: frozenset[str]) -> bool:
    """Whether reST `text` speaks of async, or names an a-method: code `aX` where `X` is also code in the notes."""
    if KEYWORDS.search(text):
        return True
    for match in CODE.finditer(text):
        for name in re.findall(r"\ba[a-z_]+", match["literal"] or match["role"]):
            if name[1:] in known:
                return True
    return False


def sections(text: str) -> list[tuple[str, str]]:
    """(title, body) of each heading of a notes file, in order."""
    headings = [match for match in HEADING.finditer(text) if len(match["rule"]) >= len(match["title"].rstrip())]
    return [
        (heading["title"].strip(), text[heading.end() : headings[i + 1].start() if i + 1 < len(headings) else None])
        for i, heading in enumerate(headings)
    ]


def bullets(body: str) -> list[str]:
    """The top-level bullets (`* ...` and their indented lines) of a section's body, each as reST text on one line."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in body.splitlines():
        if line.startswith("* "):
            current = [line[2:]]
            found.append(current)
        elif current is not None and (line.startswith("  ") or not line.strip()):
            current.append(line)
        else:
            current = None
    return [" ".join(" ".join(lines).split()) for lines in found]


def candidates_in(patch: str, text: str, known: frozenset[str]) -> list[Candidate]:
    """The async candidates of one patch's notes: its async Bugfixes bullets, then its async CVE sections."""
    found = []
    for title, body in sections(text):
        cve = CVE.match(title)
        if cve and is_async(title + "\n" + body, known):
            found.append(Candidate(cve["cve"], (patch,), plain(title[cve.end() :]), cve=cve["cve"]))
        elif title == "Bugfixes":
            for bullet in bullets(body):
                if not is_async(bullet, known):
                    continue
                ticket = TICKET.search(bullet)
                if ticket is None:
                    raise CatalogueError(
                        f"{patch}: the async bullet {textwrap.shorten(plain(bullet), 80)!r} names no ticket, so "
                        "matrix.yaml cannot review it. Fix: teach tools/catalogue.py a key for it"
                    )
                number = int(ticket["number"])
                found.append(Candidate(f"#{number}", (patch,), plain(bullet), ticket=number))
    return found


def catalogue(notes: Mapping[str, str]) -> list[Candidate]:
    """Every async candidate of `notes` (file stem -> text; the patch files from 3.0.1 on are read), oldest first.

    A key named by several patches is one candidate listing each (its text is the oldest patch's).
    """
    known = vocabulary(notes.values())
    merged: dict[str, Candidate] = {}
    for patch in sorted((stem for stem in notes if PATCH_NOTES.fullmatch(stem)), key=Version):
        for found in candidates_in(patch, notes[patch], known):
            old = merged.get(found.key)
            if old is None:
                merged[found.key] = found
            elif patch not in old.patches:
                merged[found.key] = Candidate(old.key, (*old.patches, patch), old.text, old.ticket, old.cve)
    return list(merged.values())


def read_notes(folder: Path) -> dict[str, str]:
    """The release notes of a docs/releases folder: file stem -> text."""
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not any(PATCH_NOTES.fullmatch(path.stem) for path in files):
        raise CatalogueError(
            f"{display_path(folder)}: no patch release notes (X.Y.Z.txt) there. Fix: pass the docs/releases folder "
            "of an unpacked Django sdist, or leave --notes out to fetch the newest"
        )
    return {path.stem: path.read_text(encoding="utf-8") for path in files}


def newest_notes(cache: Path | None = None) -> tuple[str, Path]:
    """The newest final Django on the index and its docs/releases folder, fetched into `cache` (CACHE) once.

    When the index cannot be read, the newest notes already in the cache, saying so on stderr; with none there,
    IndexUnreachable.
    """
    cache = cache or CACHE
    try:
        found = [pypi.parse_version(text) for text in pypi.versions("django")]
    except pypi.IndexUnreachable:
        cached = [complete.parents[2] for complete in cache.glob("django-*/docs/releases/.complete")]
        if not cached:
            raise
        version = max((path.name.removeprefix("django-") for path in cached), key=Version)
        print(f"catalogue: the index is unreachable; reading the cached notes of Django {version}", file=sys.stderr)
        return version, cache / f"django-{version}" / "docs" / "releases"
    version = str(max(found_version for found_version in found if found_version and not found_version.is_prerelease))
    folder = cache / f"django-{version}" / "docs" / "releases"
    complete = folder / ".complete"  # renamed into place after every notes file
    if not complete.is_file():
        url, sha256 = pypi.sdist("django", version)
        data = pypi.download(url, MAX_SDIST_BYTES)
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise CatalogueError(f"{url}: the download does not match the index's sha256. Fix: run it again")
        notes: dict[Path, str | bytes] = {folder / name: text for name, text in _release_notes(data).items()}
        write_all_atomically({**notes, complete: version})
    return version, folder


def _release_notes(sdist: bytes) -> dict[str, str]:
    """docs/releases/*.txt of a Django sdist: file name -> text."""
    with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as archive:
        notes = {}
        for member in archive.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[1:3] == ["docs", "releases"] and len(parts) == 4 and parts[3].endswith(".txt"):
                handle = archive.extractfile(member)
                if handle is not None:
                    notes[parts[3]] = handle.read().decode("utf-8")
    return notes


def check_review(found: Sequence[Candidate], reviewed: Sequence[PatchFix], source: str) -> None:
    """Raise CatalogueError unless `reviewed` covers every candidate and names nothing else."""
    keys = {fix.key for fix in reviewed}
    missing = [candidate for candidate in found if candidate.key not in keys]
    if missing:
        first = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CatalogueError(
            f"{first.key} ({', '.join(first.patches)}: {textwrap.shorten(first.text, 90)!r}) is not reviewed in "
            f"matrix.yaml{more}. Fix: add it under `patch_fixes:` with `probes: [ID]` (the probes whose cells show "
            "it), `unobservable: WHY` or `dropped: WHY`"
        )
    named = {candidate.key for candidate in found}
    gone = [fix.key for fix in reviewed if fix.key not in named]
    if gone:
        raise CatalogueError(
            f"matrix.yaml reviews {', '.join(gone)}, which {source} does not list as an async fix. Fix: remove "
            "the entry from `patch_fixes:`, or correct its ticket or CVE"
        )


def rows(found: Sequence[Candidate], matrix: Matrix) -> list[dict[str, object]]:
    """catalogue.json's entries: each candidate with its review, oldest patch first."""
    reviews = {fix.key: fix for fix in matrix.patch_fixes}
    out: list[dict[str, object]] = []
    for candidate in found:
        review = reviews[candidate.key]
        series: dict[str, str] = {}
        for patch in candidate.patches:
            series.setdefault(patch.rsplit(".", 1)[0], patch)
        out.append(
            {
                "key": candidate.key,
                "ticket": candidate.ticket,
                "cve": candidate.cve,
                "link": candidate.link,
                "patches": list(candidate.patches),
                "fixed_in": series,
                "text": candidate.text,
                "kept": review.kept,
                "probes": [str(ref) for ref in review.probes],
                "unobservable": review.unobservable,
                "dropped": review.dropped,
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.catalogue", description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=Path, help="a docs/releases folder (default: the newest Django's, cached)")
    parser.add_argument("--out", type=Path, default=CATALOGUE_PATH, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        matrix = load_matrix()
        if args.notes is None:
            version, folder = newest_notes()
            source = f"Django {version}'s notes"
        else:
            version, folder = None, args.notes
            source = display_path(folder)
        found = catalogue(read_notes(folder))
        check_review(found, matrix.patch_fixes, source)
        entries = rows(found, matrix)
        write_text_atomically(args.out, json.dumps({"django": version, "entries": entries}, indent=2) + "\n")
    except (CatalogueError, MatrixError, pypi.IndexUnreachable) as exc:
        print(f"catalogue: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"catalogue: {exc.filename}: {exc.strerror}. Fix: make it a readable or writable file", file=sys.stderr)
        return 2
    kept = sum(1 for row in entries if row["kept"])
    print(f"wrote {display_path(args.out)}: {len(found)} async fixes in the notes, {kept} kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
