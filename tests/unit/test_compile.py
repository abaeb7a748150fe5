"""requirements/compile.py: the arguments that cut the resolver off at a release's day, and what each env asks for."""

from __future__ import annotations

import datetime as dt
import importlib.util
import subprocess
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from contract.matrix import ROOT, Shipped, load_matrix


def _compile_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compile_requirements", ROOT / "requirements" / "compile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILE = _compile_module()


def test_cutoff_is_the_release_day_then_each_package_exception_sorted():
    shipped = Shipped(
        django="2.2.0",
        python="3.7",
        cutoff=dt.date(2019, 4, 1),
        cutoffs={"twisted": dt.date(2019, 8, 31), "atomicwrites": dt.date(2022, 7, 9)},
    )
    assert COMPILE.cutoff_arguments(shipped) == [
        "--exclude-newer",
        "2019-04-01",
        "--exclude-newer-package",
        "atomicwrites=2022-07-09",
        "--exclude-newer-package",
        "twisted=2019-08-31",
    ]


def test_cutoff_without_exceptions():
    shipped = Shipped(django="5.2.0", python="3.13", cutoff=dt.date(2025, 4, 2))
    assert COMPILE.cutoff_arguments(shipped) == ["--exclude-newer", "2025-04-02"]


def test_shipped_inputs_split_stack_and_observers_unpinned_with_django_at_x_y_0():
    matrix = load_matrix()
    release = matrix.release("3.0")
    stack, observers = COMPILE.shipped_inputs(matrix, release)
    assert "django==3.0.0" in stack
    assert "twisted[tls,http2]" in stack  # the extras the latest env has
    assert "uvicorn" in stack and "asgiref" in stack
    assert not [line for line in stack if "==" in line and not line.startswith("django==")]
    assert sorted(observers) == sorted(name for name in release.requirements if name in matrix.observers)
    assert not set(observers) & set(stack)


def test_shipped_inputs_leave_out_what_the_release_cannot_install():
    matrix = load_matrix()
    release = matrix.release("3.0")
    shipped = Shipped(django="3.0.0", python="3.7", cutoff=release.released, without={"hypercorn": "none that day"})
    stack, _ = COMPILE.shipped_inputs(matrix, type(release)(**{**release.__dict__, "shipped": shipped}))
    assert "hypercorn" not in stack


def test_pinned_reads_a_lock_file():
    lock = "# header\nDjango==3.0 \\\n    --hash=sha256:ab\ntwisted[tls]==19.10.0 ; python_version < '3.8'\nasgiref==3.2.3\n"
    assert COMPILE.pinned(lock) == ["django==3.0", "asgiref==3.2.3"]


def test_a_lock_file_names_the_scratch_files_uv_was_given_without_their_folder():
    lock = (
        "asgiref==3.8.1 \\\n    --hash=sha256:abc\n    # via\n    #   -c /tmp/tmpzogrct87/constraints.txt\n"
        "    #   channels\nsqlparse==0.4.4\n    # via --override /tmp/compile-x1/tmp9/overrides.txt\n"
    )
    assert COMPILE.scratch_free(lock) == (
        "asgiref==3.8.1 \\\n    --hash=sha256:abc\n    # via\n    #   -c constraints.txt\n"
        "    #   channels\nsqlparse==0.4.4\n    # via --override overrides.txt\n"
    )


def test_no_committed_lock_file_names_a_machine_path():
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert COMPILE.scratch_free(text) == text and "/tmp/" not in text, f"{path.name}: run `tox -e compile`"


def test_every_release_has_both_envs():
    envs = COMPILE.envs(load_matrix())
    assert envs[:2] == ["dj22", "dj22-shipped"]
    assert envs[-2:] == ["observer-h2", "tools"]


def test_the_http2_observer_asks_for_the_tools_httpx_with_http2_and_h2():
    tools = load_matrix().tools_pins
    assert COMPILE.observer_lines(load_matrix()) == [f"h2=={tools['h2']}", f"httpx[http2]=={tools['httpx']}"]


def test_the_http2_observer_needs_both_pins_under_tools(monkeypatch, tmp_path, capsys):
    matrix = load_matrix()
    monkeypatch.setattr(COMPILE, "load_matrix", lambda path: replace(matrix, tools_pins={"httpx": "0.28.1"}))
    assert COMPILE.main([*_fake_uv(monkeypatch, tmp_path, lambda command: None)[:-1], "observer-h2"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "compile.py: matrix.yaml `tools: pins:` lacks h2, which the HTTP/2 observer (requirements/observer-h2.txt) "
        "installs. Fix: pin it there."
    )


def test_the_committed_http2_observer_lock_pins_them_for_the_tools_python():
    matrix = load_matrix()
    lock = (ROOT / "requirements" / "observer-h2.txt").read_text(encoding="utf-8")
    assert lock.startswith(COMPILE.header(matrix.tools_python, COMPILE.OBSERVER_NOTE))
    for name in COMPILE.OBSERVER_PACKAGES:
        pin = f"{name}=={matrix.tools_pins[name]}"
        assert pin in COMPILE.pinned(lock), f"requirements/observer-h2.txt lacks {pin}; run `tox -e compile`"


def test_latest_mode_asks_for_the_newest_patch_of_the_series_and_unpinned_dependencies():
    release = load_matrix().release("5.2")
    lines = COMPILE.newest_inputs(release)
    assert "django>=5.2,<5.3" in lines
    assert "uvicorn" in lines and "twisted[tls,http2]" in lines
    assert not [line for line in lines if "==" in line]


def _fake_uv(monkeypatch, tmp_path, effect):
    """compile.py's main with `uv` "found" and each uv call replaced by `effect(command)`."""
    monkeypatch.setattr(COMPILE.shutil, "which", lambda name: "/bin/uv")
    monkeypatch.setattr(COMPILE, "run", lambda command, **options: effect(command))
    return ["--into", str(tmp_path), "dj52"]


def test_an_interrupted_compile_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    def interrupted(command):
        raise KeyboardInterrupt

    assert COMPILE.main(_fake_uv(monkeypatch, tmp_path, interrupted)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "compile.py: interrupted; no lock file was changed. Fix: run it again."


def test_a_failing_uv_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    def failing(command):
        raise subprocess.CalledProcessError(2, command)

    assert COMPILE.main(_fake_uv(monkeypatch, tmp_path, failing)) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"compile.py: uv could not lock {tmp_path / 'dj52.txt'} (exit 2; its error is above), ")


def _locks(folder):
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("fault", [KeyboardInterrupt, subprocess.CalledProcessError(1, ["uv"])])
def test_a_compile_that_stops_at_the_second_env_changes_no_lock_file(monkeypatch, tmp_path, fault):
    into = tmp_path / "requirements"
    into.mkdir()
    (into / "dj51.txt").write_text("django==5.1.1\n", encoding="utf-8")
    (into / "dj52.txt").write_text("django==5.2.1\n", encoding="utf-8")
    before = _locks(into)

    def second_fails(command):
        if Path(command[-1]).name == "dj52.txt":
            raise fault
        Path(command[-1]).write_text("django==5.1.9\n", encoding="utf-8")

    monkeypatch.setattr(COMPILE.shutil, "which", lambda name: "/bin/uv")
    monkeypatch.setattr(COMPILE, "run", lambda command, **options: second_fails(command))
    assert COMPILE.main(["--into", str(into), "dj51", "dj52"]) == 2
    assert _locks(into) == before


def test_every_lock_file_is_written_once_all_compiled_with_its_header(monkeypatch, tmp_path, capsys):
    into = tmp_path / "requirements"
    into.mkdir()
    (into / "dj52.txt").write_text("django==5.2.1\nasgiref==3.8.1\n", encoding="utf-8")
    seen = []

    def uv(command):
        output = Path(command[-1])
        seen.append(output.read_text(encoding="utf-8") if output.exists() else None)
        output.write_text(f"django=={output.stem}\n", encoding="utf-8")

    written = []
    monkeypatch.setattr(COMPILE, "write_all_atomically", lambda files: written.append(dict(files)))
    monkeypatch.setattr(COMPILE.shutil, "which", lambda name: "/bin/uv")
    monkeypatch.setattr(COMPILE, "run", lambda command, **options: uv(command))
    assert COMPILE.main(["--into", str(into), "dj52", "tools"]) == 0
    # uv saw the committed lock file of dj52 (whose other pins it keeps) and none for tools
    assert seen == ["django==5.2.1\nasgiref==3.8.1\n", None]
    matrix = load_matrix()
    assert written == [
        {
            into / "dj52.txt": f"{COMPILE.header(matrix.release('5.2').python)}django==dj52\n",
            into / "tools.txt": f"{COMPILE.header(matrix.tools_python)}django==tools\n",
        }
    ]
    assert capsys.readouterr().out.splitlines() == [f"wrote {into / 'dj52.txt'}", f"wrote {into / 'tools.txt'}"]


def test_a_latest_env_writes_its_overrides_file_and_one_without_overrides_loses_it(monkeypatch, tmp_path):
    into = tmp_path / "requirements"
    into.mkdir()
    (into / "dj52.overrides.txt").write_text("asgiref==3.8.1\n", encoding="utf-8")  # 5.2 no longer overrides
    monkeypatch.setattr(COMPILE.shutil, "which", lambda name: "/bin/uv")
    monkeypatch.setattr(COMPILE, "run", lambda command, **options: Path(command[-1]).write_text("django\n"))
    assert COMPILE.main(["--into", str(into), "dj22", "dj52"]) == 0
    overrides = load_matrix().release("2.2").overrides
    assert overrides and not load_matrix().release("5.2").overrides
    assert (into / "dj22.overrides.txt").read_text(encoding="utf-8") == "".join(
        f"{line}\n" for line in COMPILE.requirement_lines(overrides)
    )
    assert not (into / "dj52.overrides.txt").exists()
