"""A report built from small results files, one of whose reasons tries to inject markup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract.matrix import load_matrix
from report.__main__ import main

INJECTED = '<script>window.injected = true</script><img src=x onerror="window.injected = true">'


def _row(probe: str, server: str | None, state: str, reason: str) -> dict:
    return {
        "id": probe,
        "server": server,
        "state": state,
        "reason": reason,
        "facts": {"server_exception": f"ValueError: {reason}"},
        "measurements": {"loop_thread": 1, "view_thread": 1},
        "duration": 0.1,
        "source_hash": "abc123def456",
        "reproduce": f'tox -e dj52 -- -k "test_x and {server}"',
    }


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory, small_matrix: Path) -> Path:
    """Run `python -m report` on dj52 (with injected markup) and dj61 on the small matrix (tests/unit/conftest.py);
    every other env is missing."""
    root = tmp_path_factory.mktemp("report")
    results = root / "results"
    results.mkdir()
    for env, release, state in (("dj52", "5.2", "native"), ("dj61", "6.1", "absent")):
        rows = [
            _row(probe, server, state, INJECTED if env == "dj52" else "gone")
            # asgi.request-stack decides the roadmap item async-request-stack
            for probe in ("asgi.entrypoint", "asgi.request-stack")
            for server in ("uvicorn", "daphne")
        ]
        data = {
            "schema": 1,
            "env": env,
            "release": release,
            "versions": {"python": "3.13.1", "django": load_matrix().release(release).django},
            "started": "2026-11-25T08:16:30+00:00",
            "duration": 1.0,
            "complete": True,
            "probes": rows,
        }
        (results / f"{env}.json").write_text(json.dumps(data), encoding="utf-8")
    out = root / "out"
    assert main(["--matrix", str(small_matrix), "--results", str(results), "--out", str(out)]) == 0
    return out
