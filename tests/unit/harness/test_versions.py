"""An installed distribution's version, None for one that is not installed, on Python 3.7's backport too."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import pytest

import harness.versions
from harness.versions import installed


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

    backport = types.ModuleType("importlib_metadata")
    backport.version = version  # type: ignore[attr-defined]
    backport.PackageNotFoundError = PackageNotFoundError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "importlib_metadata", backport)
    monkeypatch.setitem(sys.modules, "importlib.metadata", None)  # as if the standard library had none
    monkeypatch.delattr(importlib, "metadata")
    spec = importlib.util.spec_from_file_location("versions_on_python37", harness.versions.__file__)
    assert spec is not None and spec.loader is not None
    on_python37 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(on_python37)

    assert on_python37.installed("old-server") == "0.5.1"
    assert on_python37.installed("gone") is None
    assert asked == ["old-server", "gone"]
