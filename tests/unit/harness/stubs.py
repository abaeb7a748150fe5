"""Stand-in modules for what the tools env lacks (Django, websockets, Python 3.7's importlib_metadata), and a fresh
copy of a harness module imported against them, for the tests of harness modules that need those packages."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest


def install(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: object) -> types.ModuleType:
    """Put a module `name` with `attributes` in sys.modules until the test ends, with its parent packages (plain
    modules, unless installed before) and as an attribute of its parent, as an import would."""
    module = types.ModuleType(name)
    for attribute, value in attributes.items():
        setattr(module, attribute, value)
    monkeypatch.setitem(sys.modules, name, module)
    parent, _, child = name.rpartition(".")
    if parent:
        above = sys.modules.get(parent) or install(monkeypatch, parent)
        monkeypatch.setattr(above, child, module, raising=False)
    return module


def fresh_import(name: str) -> types.ModuleType:
    """Module `name` executed anew from its file as a private module (not put in sys.modules), so that its imports
    see the stand-ins installed now; `name` itself need not be importable without them."""
    found = importlib.util.find_spec(name)
    assert found is not None and found.origin is not None
    spec = importlib.util.spec_from_file_location(f"{name}_under_test", found.origin)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
