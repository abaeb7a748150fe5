"""tools/catalogue.py: the async fixes of Django's patch notes (real snippets from the 6.1.3 sdist), and the review."""

from __future__ import annotations

import dataclasses
import json
import tarfile
from pathlib import Path

import pytest

from contract.matrix import PatchFix, ProbeRef, load_matrix
from tests.unit.report.fake_index import JSON, closed_port_url, serve
from tools import catalogue as catalogue_module
from tools.catalogue import Candidate, CatalogueError, catalogue, check_review, main, newest_notes, plain

# docs/releases/4.1.4.txt: an a-method bullet among others.
NOTES_4_1_4 = """\
==========================
Django 4.1.4 release notes
==========================

*December 6, 2022*

Django 4.1.4 fixes several bugs in 4.1.3.

Bugfixes
========

* Fixed a regression in Django 4.1 that caused an unnecessary table rebuild
  when adding a ``ManyToManyField`` on SQLite (:ticket:`34138`).

* Fixed a bug in Django 4.1 that caused a crash using ``acreate()``,
  ``aget_or_create()``, and ``aupdate_or_create()`` asynchronous methods of
  related managers (:ticket:`34139`).

* Fixed a bug in Django 4.1 that caused a crash of ``QuerySet.bulk_create()``
  on fields with ``db_column`` (:ticket:`34171`).
"""

# docs/releases/4.2.2.txt: aggregate() looks like an a-method and is not one.
NOTES_4_2_2 = """\
Bugfixes
========

* Fixed a regression in Django 4.2 that caused a crash of
  ``QuerySet.aggregate()`` with expressions referencing other aggregates
  (:ticket:`34551`).
"""

# docs/releases/4.2.25.txt: a CVE about annotate(), alias() and aggregate(): no async.
NOTES_4_2_25 = """\
CVE-2025-59681: Potential SQL injection in ``QuerySet.annotate()``, ``alias()``, ``aggregate()``, and ``extra()`` on MySQL and MariaDB
======================================================================================================================================

:meth:`.QuerySet.annotate`, :meth:`~.QuerySet.alias`,
:meth:`~.QuerySet.aggregate`, and :meth:`~.QuerySet.extra` methods were subject
to SQL injection in column aliases, using a suitably crafted dictionary, with
dictionary expansion, as the ``**kwargs`` passed to these methods (follow up to
:cve:`2022-28346`).
"""

# docs/releases/6.0.4.txt: an ASGI CVE, a CVE that is not ASGI, and an a-method named by a role (alogin: login is
# code in 1.10.txt).
NOTES_6_0_4 = """\
CVE-2026-3902: ASGI header spoofing via underscore/hyphen conflation
====================================================================

``ASGIRequest`` normalizes header names following WSGI conventions, mapping
hyphens to underscores.

CVE-2026-4277: Privilege abuse in ``GenericInlineModelAdmin``
=============================================================

Add permissions on inline model instances were not validated on submission of
forged ``POST`` data in
:class:`~django.contrib.contenttypes.admin.GenericInlineModelAdmin`.

Bugfixes
========

* Fixed a regression in Django 6.0 where :func:`~django.contrib.auth.alogin`
  and :func:`~django.contrib.auth.alogout` did not respectively set or clear
  ``request.user`` if it had already been materialized (e.g., by sync
  middleware) (:ticket:`37017`).

* Fixed a regression in Django 6.0 in admin forms where
  ``RelatedFieldWidgetWrapper`` incorrectly wrapped all widgets in a
  ``<fieldset>`` (:ticket:`36949`).
"""
NOTES_1_10 = "* Added the optional ``backend`` argument to :func:`django.contrib.auth.login`\n"
# docs/releases/5.2.13.txt: the same CVE fixed in another series.
NOTES_5_2_13 = """\
CVE-2026-3902: ASGI header spoofing via underscore/hyphen conflation
====================================================================

``ASGIRequest`` normalizes header names following WSGI conventions, mapping
hyphens to underscores.
"""

NOTES = {
    "1.10": NOTES_1_10,
    "4.1.4": NOTES_4_1_4,
    "4.2.2": NOTES_4_2_2,
    "4.2.25": NOTES_4_2_25,
    "5.2.13": NOTES_5_2_13,
    "6.0.4": NOTES_6_0_4,
}


def test_async_bullets_and_asgi_cves_are_found_and_look_alikes_are_not():
    found = {candidate.key: candidate for candidate in catalogue(NOTES)}
    assert list(found) == ["#34139", "CVE-2026-3902", "#37017"]
    assert found["#34139"].patches == ("4.1.4",)
    assert found["#34139"].text.startswith("Fixed a bug in Django 4.1 that caused a crash using acreate(),")
    assert found["#34139"].link == "https://code.djangoproject.com/ticket/34139"
    assert found["#37017"].ticket == 37017


def test_a_cve_fixed_in_several_series_is_one_candidate_with_each_patch():
    found = {candidate.key: candidate for candidate in catalogue(NOTES)}
    assert found["CVE-2026-3902"].patches == ("5.2.13", "6.0.4")
    assert found["CVE-2026-3902"].text == "ASGI header spoofing via underscore/hyphen conflation"
    assert found["CVE-2026-3902"].link == "https://www.cve.org/CVERecord?id=CVE-2026-3902"


def test_an_a_method_counts_only_where_the_notes_name_its_sync_twin():
    without_login = {stem: text for stem, text in NOTES.items() if stem != "1.10"}
    assert "#37017" not in {candidate.key for candidate in catalogue(without_login)}


def test_feature_release_notes_and_pre_3_0_patches_are_not_read():
    notes = {"4.1": NOTES_4_1_4, "2.2.9": NOTES_4_1_4, "4.1.4": NOTES_4_2_2}
    assert catalogue(notes) == []


def test_plain_text_drops_the_markup():
    assert plain(":func:`~django.contrib.auth.alogin` and ``x()``") == "alogin and x()"
    assert plain(":meth:`Sitemap.items() <django.contrib.sitemaps.Sitemap.items>` (:ticket:`34088`)") == (
        "Sitemap.items() (#34088)"
    )


def _review(*keys: str) -> list[PatchFix]:
    return [
        PatchFix(ticket=int(key[1:]), cve=None, probes=(ProbeRef("orm.related-managers"),))
        if key.startswith("#")
        else PatchFix(ticket=None, cve=key, unobservable="why")
        for key in keys
    ]


def test_a_candidate_not_reviewed_is_named_with_the_fix():
    found = [Candidate("#34139", ("4.1.4",), "Fixed a crash using acreate()", ticket=34139)]
    with pytest.raises(CatalogueError) as caught:
        check_review(found, [], "the notes")
    assert str(caught.value) == (
        "#34139 (4.1.4: 'Fixed a crash using acreate()') is not reviewed in matrix.yaml. Fix: add it under "
        "`patch_fixes:` with `probes: [ID]` (the probes whose cells show it), `unobservable: WHY` or `dropped: WHY`"
    )


def test_a_review_of_no_candidate_is_named_with_the_fix():
    found = [Candidate("#34139", ("4.1.4",), "text", ticket=34139)]
    with pytest.raises(CatalogueError, match=r"^matrix.yaml reviews #31056, which the notes does not list"):
        check_review(found, _review("#34139", "#31056"), "the notes")
    check_review(found, _review("#34139"), "the notes")


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "releases"
    folder.mkdir()
    for stem, text in NOTES.items():
        (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def reviewing(monkeypatch: pytest.MonkeyPatch):
    """Make the real matrix review exactly the given keys."""

    def review(*keys: str) -> None:
        matrix = dataclasses.replace(load_matrix(), patch_fixes=tuple(_review(*keys)))
        monkeypatch.setattr(catalogue_module, "load_matrix", lambda: matrix)

    return review


def test_main_writes_each_candidate_with_its_review(notes, tmp_path, reviewing, capsys):
    reviewing("#34139", "CVE-2026-3902", "#37017")
    out = tmp_path / "out" / "catalogue.json"
    assert main(["--notes", str(notes), "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [row["key"] for row in data["entries"]] == ["#34139", "CVE-2026-3902", "#37017"]
    cve = data["entries"][1]
    assert cve["fixed_in"] == {"5.2": "5.2.13", "6.0": "6.0.4"}
    assert (cve["kept"], cve["probes"], cve["unobservable"]) == (True, [], "why")
    assert data["entries"][0]["probes"] == ["orm.related-managers"]
    assert "3 async fixes in the notes, 3 kept" in capsys.readouterr().out


def test_main_with_an_unreviewed_candidate_is_one_line_exit_2_and_writes_nothing(notes, tmp_path, reviewing, capsys):
    reviewing("#34139", "CVE-2026-3902")
    out = tmp_path / "catalogue.json"
    assert main(["--notes", str(notes), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("catalogue: #37017 (6.0.4: 'Fixed a regression in Django 6.0 where alogin and")
    assert error.count("\n") == 1
    assert not out.exists()


def test_main_on_a_folder_without_patch_notes_is_one_line_exit_2(tmp_path, capsys):
    assert main(["--notes", str(tmp_path), "--out", str(tmp_path / "c.json")]) == 2
    error = capsys.readouterr().err
    assert "no patch release notes (X.Y.Z.txt) there. Fix: pass the docs/releases folder" in error
    assert error.count("\n") == 1


def test_newest_notes_come_from_the_newest_sdist_once_then_from_the_cache(tmp_path, monkeypatch):
    sdist = tmp_path / "django-6.1.3.tar.gz"
    member = tmp_path / "4.1.4.txt"
    member.write_text(NOTES_4_1_4, encoding="utf-8")
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(member, "django-6.1.3/docs/releases/4.1.4.txt")
        archive.add(member, "django-6.1.3/django/4.1.4.txt")  # not release notes: left out
    files = [{"filename": "django-6.1.3.tar.gz", "url": "/files/django-6.1.3.tar.gz", "hashes": {}}]
    pages = {
        "/simple/django/": (JSON, json.dumps({"versions": ["6.1.3", "6.2a1"], "files": files}).encode()),
        "/files/django-6.1.3.tar.gz": ("application/gzip", sdist.read_bytes()),
    }
    cache = tmp_path / "cache"
    with serve(pages) as url:
        monkeypatch.setenv("UV_INDEX_URL", url)
        version, folder = newest_notes(cache)
        assert version == "6.1.3"
        assert sorted(path.name for path in folder.iterdir()) == [".complete", "4.1.4.txt"]
        pages.pop("/files/django-6.1.3.tar.gz")  # the second time it is not downloaded
        assert newest_notes(cache) == (version, folder)


def test_the_committed_catalogue_holds_matrix_yamls_reviews():
    """report/out/catalogue.json is rerun (`tox -e catalogue`) whenever `patch_fixes:` changes: the sweep reads it."""
    data = json.loads(catalogue_module.CATALOGUE_PATH.read_text(encoding="utf-8"))
    committed = {row["key"]: (row["probes"], row["unobservable"], row["dropped"]) for row in data["entries"]}
    reviewed = {
        fix.key: ([str(ref) for ref in fix.probes], fix.unobservable, fix.dropped) for fix in load_matrix().patch_fixes
    }
    assert committed == reviewed


def test_without_the_index_the_newest_cached_notes_are_read_else_one_line_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UV_INDEX_URL", closed_port_url())
    monkeypatch.setattr(catalogue_module, "CACHE", tmp_path / "cache")
    assert main(["--out", str(tmp_path / "c.json")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("catalogue: cannot read the package index at http://127.0.0.1:") and error.count("\n") == 1
    for version in ("5.2.9", "5.2.10"):
        folder = tmp_path / "cache" / f"django-{version}" / "docs" / "releases"
        folder.mkdir(parents=True)
        (folder / ".complete").write_text(version, encoding="utf-8")
    assert newest_notes() == ("5.2.10", tmp_path / "cache" / "django-5.2.10" / "docs" / "releases")
    assert "the index is unreachable; reading the cached notes of Django 5.2.10" in capsys.readouterr().err
