"""Which results file speaks for each env, when results come from many folders, machines or runs.

`python -m report a/ b/dj52.json c/results.json` takes any mix of per-env files (results/<env>.json, as the
recorder writes them), folders of them (one CI job's artifact each), and merged files (a report/out/results.json
from another machine). Two results for the same env are an error unless `prefer` says which wins: a
silent pick would hide that two machines disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from contract.matrix import SHIPPED_SUFFIX, Matrix, display_path, key_path
from contract.rows import SCHEMA_VERSION, row_of
from contract.schemas import errors
from report.model import ReportData
from report.reader import read_json

# A per-env file's name: djXY (the latest axis) or djXY-shipped (the as-shipped axis).
ENV_NAME = re.compile(rf"^dj[0-9]+({SHIPPED_SUFFIX})?$")
# How to settle two results for one env: the run that started later, or the source named later.
PREFERENCES = ("newest", "last")


class IncompatibleResults(Exception):
    """Results that cannot be merged: two for one env, or another schema or matrix.yaml; the message says the fix."""


@dataclass(frozen=True)
class Source:
    """One env's results: the parsed per-env data, or the text of a file that did not parse."""

    env: str
    path: Path
    order: int  # position among the sources given, for `prefer="last"`
    data: Any = None  # the parsed JSON (possibly malformed: results.py validates it)
    error: str | None = None  # why the file could not be parsed

    @property
    def started(self) -> str:
        return str(self.data.get("started", "")) if isinstance(self.data, dict) else ""


def schema_error(data: Any, schema_name: str) -> str | None:
    """`key.path: what is wrong` for the shallowest place `data` breaks schemas/<schema_name>, or None."""
    found = sorted(errors(data, schema_name), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if not found:
        return None
    return f"{key_path(list(found[0].absolute_path)) or '(top level)'}: {found[0].message}"


def validate_merged(data: Any, name: str, fix: str) -> ReportData:
    """A merged results file (results.json, baseline.json) of this schema; raise IncompatibleResults otherwise."""
    if not isinstance(data, dict) or "cells" not in data:
        raise IncompatibleResults(
            f"{name}: not a merged results file (no `cells`): compare report/out/results.json files"
        )
    if data.get("schema") != SCHEMA_VERSION:
        raise IncompatibleResults(
            f"{name}: schema {data.get('schema')!r}, but this report reads schema {SCHEMA_VERSION}. Fix: {fix}."
        )
    problem = schema_error(data, "merged.schema.json")
    if problem:
        raise IncompatibleResults(f"{name}: {problem} (contract/schemas/merged.schema.json). Fix: {fix}.")
    return cast(ReportData, data)


def matrix_hash(matrix: Matrix) -> str:
    """A short hash of matrix.yaml's releases and probes: results built from the same ones can be merged."""
    content = {
        "releases": [
            {**asdict(r), "released": str(r.released), "end_of_support": str(r.end_of_support)} for r in matrix.releases
        ],
        "probes": [asdict(p) for p in matrix.probes],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:12]


def gather(matrix: Matrix, paths: Sequence[Path], prefer: str | None = None) -> dict[str, Source]:
    """One source per env found under `paths`; raise IncompatibleResults on a clash `prefer` does not settle.

    A file named twice (`--results a --results ./a/`, or a folder and a file in it) is read once: it is one source.
    """
    chosen: dict[str, Source] = {}
    read: set[Path] = set()
    for order, path in enumerate(paths):
        if not path.exists():
            raise IncompatibleResults(f"{display_path(path)}: no such file or folder")
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            if file.resolve() in read:
                continue
            read.add(file.resolve())
            for source in _sources(matrix, file, order):
                chosen[source.env] = _settle(chosen.get(source.env), source, prefer)
    return chosen


def _sources(matrix: Matrix, path: Path, order: int) -> list[Source]:
    data, error = read_json(path)
    if error is not None:
        return [Source(path.stem, path, order, error=error)]
    if isinstance(data, dict) and "cells" in data:
        return [Source(env, path, order, rows) for env, rows in env_results(check_merged(matrix, path, data)).items()]
    # A per-env file's name decides its env (results.py then checks the `env` inside agrees), unless it was renamed.
    env = path.stem if ENV_NAME.match(path.stem) or not isinstance(data, dict) else str(data.get("env"))
    return [Source(env, path, order, data)]


def check_merged(matrix: Matrix, path: Path, data: Any) -> ReportData:
    """A merged results file of this schema, built from this matrix.yaml's releases and probes."""
    name = display_path(path)
    theirs, ours = data.get("matrix_hash"), matrix_hash(matrix)
    # Another matrix explains every other difference in shape, so it is named first.
    if data.get("schema") == SCHEMA_VERSION and theirs != ours:
        raise IncompatibleResults(
            f"{name}: built from another matrix.yaml (releases and probes hash {theirs}, here {ours}). "
            "Fix: merge its per-env files from results/ instead, or check out the commit it was built from."
        )
    return validate_merged(data, name, "rebuild it with this checkout (`python -m report <its results folder>`)")


def env_results(data: ReportData) -> dict[str, dict[str, object]]:
    """Turn a merged results file back into the per-env files it was built from (the envs that ran); report/results.py
    checks each as it checks a file (validate_results)."""
    found: dict[str, dict[str, object]] = {}
    for release in data["releases"]:
        if release["status"] not in ("complete", "incomplete"):
            continue
        # Cells the report filled in for probes without a row carry no source hash: they were never recorded.
        rows = [
            row_of(cell)
            for cell in data["cells"]
            if cell["release"] == release["version"] and cell["source_hash"] is not None
        ]
        found[release["env"]] = {
            "schema": SCHEMA_VERSION,
            "env": release["env"],
            "release": release["version"],
            "versions": release["versions"],
            "started": release["started"],
            "duration": release["duration"],
            "timings": release.get("timings", {}),
            "complete": release["status"] == "complete",
            "probes": rows,
        }
    return found


def _settle(held: Source | None, new: Source, prefer: str | None) -> Source:
    if held is None:
        return new
    if prefer == "last":
        return new if new.order >= held.order else held
    if prefer == "newest":
        return new if _when(new) >= _when(held) else held
    raise IncompatibleResults(
        f"two results for {new.env}: {display_path(held.path)} (started {held.started or 'unknown'}) and "
        f"{display_path(new.path)} (started {new.started or 'unknown'}). Fix: pass only one, or say which wins "
        "with `--prefer newest` (the later run) or `--prefer last` (the later argument)."
    )


def _when(source: Source) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(source.started)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
