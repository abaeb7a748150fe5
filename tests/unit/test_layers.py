"""The plan of the house (docs/development.md): each package imports only the packages below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contract", "harness", "tools", "report", "bench", "requirements", "project", "tests")
# package -> the project packages it may import (itself always)
ALLOWED = {
    "contract": set(),
    "harness": {"contract", "project"},
    "report": {"contract"},
    "tools": {"contract", "report", "harness"},
    "requirements": {"contract", "tools"},
    # bench/run.py reads results files with the report's one reader (report/reader.py), writes with the atomic writer
    "bench": {"contract", "report"},
}


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_stands_below_it(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported(path) - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_layers_are_what_the_guide_draws():
    guide = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    assert "`contract/` imports nothing of the project" in guide
    assert "`report/` imports `contract/` only" in guide
