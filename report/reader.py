"""The one reader of results files, per-env (results/<env>.json) and merged (results.json, baseline.json).

It parses and makes inert; report/inputs.py and report/results.py then check what it read against the schemas.
bench/run.py reads the results of its runs with it too, so it imports nothing but the standard library and
contract/evidence.py: the Python that runs tox need not have the report's dependencies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contract.evidence import inert_json


def read_json(path: Path) -> tuple[Any, str | None]:
    """The file's parsed JSON, unchecked, with every string made inert (nothing in results from another machine
    may drive a terminal); or None and why the file cannot be read."""
    try:
        return inert_json(path.read_text(encoding="utf-8")), None
    except OSError as exc:
        return None, f"cannot read it ({exc.strerror})"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); truncated or hand-edited?"
