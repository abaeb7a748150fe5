"""An installed distribution's version, None for one that is not installed, on Python 3.7's backport too."""

from __future__ import annotations

import importlib
import sys

import pytest

from harness.observers.versions import installed
from tests.unit.harness.stubs import fresh_import, install


def test_an_installed_distribution_gives_its_version():
    assert installed("pytest") == pytest.__version__


def test_the_name_is_the_distribution_not_the_import_package():
    # PyYAML installs the import package `yaml`: only the distribution's name finds its version.
    assert installed("PyYAML") == importlib.import_module("yaml").__version__
    assert installed("yaml") is None


def test_a_distribution_that_is_not_installed_is_none():
    assert installed("no-such-distribution-anywhere") is None


def test_without_importlib_metadata_the_backport_answers(monkeypatch):
    """Python 3.7 has no importlib.metadata: the module falls back to the importlib_metadata backport."""

    class PackageNotFoundError(Exception):
        pass

    asked = []

    def version(name: str) -> str:
        asked.append(name)
        if name == "old-server":
            return "0.5.1"
        raise PackageNotFoundError(name)

    install(monkeypatch, "importlib_metadata", version=version, PackageNotFoundError=PackageNotFoundError)
    monkeypatch.setitem(sys.modules, "importlib.metadata", None)  # as if the standard library had none
    monkeypatch.delattr(importlib, "metadata")
    on_python37 = fresh_import("harness.observers.versions")

    assert on_python37.installed("old-server") == "0.5.1"
    assert on_python37.installed("gone") is None
    assert asked == ["old-server", "gone"]
