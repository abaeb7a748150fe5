"""Two runs of the same env at once never share one SQLite database (it was "attempt to write a readonly database")."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from contract.evidence import ROOT

PRINT_DB = "import project.settings as s; print(s.DATABASES['default']['NAME'], flush=True)"


def _database(**env: str) -> str:
    environ = {key: value for key, value in os.environ.items() if key != "PROBE_DB"}
    environ.update(PYTHONPATH=str(ROOT), **env)
    done = subprocess.run([sys.executable, "-c", PRINT_DB], env=environ, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_each_run_gets_its_own_database_and_it_is_removed_after():
    first, second = _database(), _database()
    assert first != second
    assert not Path(first).parent.exists() and not Path(second).parent.exists()


def test_an_explicit_database_is_kept(tmp_path):
    assert _database(PROBE_DB=str(tmp_path / "db.sqlite3")) == str(tmp_path / "db.sqlite3")


def test_tox_pins_no_database_and_no_temp_folder_per_env():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    assert "PROBE_DB" not in tox["testenv"]["set_env"]
    assert "--basetemp" not in tox["testenv"]["commands"]


def test_a_killed_runs_folder_is_removed_by_the_next_run():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its PID now names no process
    orphan = Path(tempfile.mkdtemp(prefix=f"probe-db-{gone.pid}-"))
    (orphan / "db.sqlite3").write_bytes(b"")
    _database()
    assert not orphan.exists()
