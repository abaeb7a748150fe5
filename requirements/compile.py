"""Regenerate the requirements/*.txt lock files from matrix.yaml (`tox -e compile`).

    python -m requirements.compile                  every lock file (from the repository's root; `tox -e compile`)
    python -m requirements.compile dj30 dj30-shipped only these envs (`tools` for the tool envs)
    python -m requirements.compile --matrix M --into D dj52    from another matrix.yaml, into another folder
                                                    (`upstream update` compiles there first, then swaps)

Every lock file is compiled in a scratch folder first and written only once all of them compiled: a failed or
interrupted compile changes none (and leaves no scratch folder).

A latest env (djXY) locks the release's pins. An as-shipped env (djXY-shipped) is resolved in two steps so that
only the observers may be newer than the release day: first the stack under test alone, with uv's resolver cut-off
at the release date (`--exclude-newer`, per-package `--exclude-newer-package`); then the stack plus the observers,
the stack held at exactly what the first step chose (`--constraint`).

`observer-h2` is the HTTP/2 client's own venv (harness/observers/observerenv.py): httpx with h2 as the tools pin them,
on the tools' Python, so that an as-shipped env whose own httpx predates HTTP/2 prior knowledge is still observed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from contract.atomic import write_all_atomically
from contract.matrix import MATRIX_PATH, Matrix, MatrixError, Release, Shipped, display_path, load_matrix
from tools.scratch import run, scratch_folder

HERE = Path(__file__).resolve().parent
# Extras that a pin needs to be useful: daphne serves TLS-less HTTP but imports twisted's TLS bits.
EXTRAS = {"twisted": "twisted[tls,http2]"}
# The lock file of the HTTP/2 client's venv, and what it installs: the tools' pins of these packages.
OBSERVER_ENV = "observer-h2"
OBSERVER_PACKAGES = {"h2": "h2", "httpx": "httpx[http2]"}
OBSERVER_NOTE = "The probes' HTTP/2 client (harness/observers/h2client.py) in its own venv: httpx and h2 as tools pins."
# uv's "via" comments name the scratch files it was given (-c, --override) by their full, random path.
_SCRATCH_INPUT = re.compile(r"(?<=[ \t])/\S+/((?:constraints|overrides)\.txt)$", re.M)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="*", help="the envs to compile (default: all), like dj30 dj30-shipped tools")
    parser.add_argument(
        "--newest",
        metavar="DIR",
        type=Path,
        help="latest mode: lock every latest env's newest Django patch and newest dependencies into DIR instead "
        "(committed files stay as they are)",
    )
    parser.add_argument("--matrix", type=Path, default=MATRIX_PATH, help="the matrix.yaml to read (default: ours)")
    parser.add_argument("--into", type=Path, default=HERE, help="the folder to write to (default: requirements/)")
    args = parser.parse_args(argv)
    uv = shutil.which("uv")
    if uv is None:
        print("compile.py: `uv` is not on PATH. Fix: `pip install uv` or run `tox -e compile`.", file=sys.stderr)
        return 2
    try:
        matrix = load_matrix(args.matrix)
    except MatrixError as exc:
        print(f"compile.py: {exc}", file=sys.stderr)
        return 2
    known = envs(matrix)
    unknown = [env for env in args.envs if env not in known]
    if unknown:
        print(f"compile.py: unknown env {', '.join(unknown)}. Fix: use one of {', '.join(known)}.", file=sys.stderr)
        return 2
    if args.newest:  # latest mode locks the latest envs only
        names = [release.env for release in matrix.releases if not args.envs or release.env in args.envs]
    else:
        names = args.envs or known
    target = args.newest or args.into
    try:
        with scratch_folder("compile-") as staged:
            _compile_envs(uv, matrix, names, args.newest is not None, target, staged)
    except KeyboardInterrupt:
        print("compile.py: interrupted; no lock file was changed. Fix: run it again.", file=sys.stderr)
        return 2
    except (MatrixError, LockFailed) as exc:
        print(f"compile.py: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = display_path(Path(exc.filename)) if exc.filename else display_path(target)
        print(f"compile.py: cannot write {where}: {exc.strerror or exc}; no lock file was changed.", file=sys.stderr)
        return 2
    return 0


class LockFailed(Exception):
    """uv could not lock an env; the message names its lock file and the fix."""


def _compile_envs(uv: str, matrix: Matrix, names: list[str], newest: bool, into: Path, staged: Path) -> None:
    """Lock `names` in `staged`, then write them all into `into` at once: a failed or interrupted compile changes
    no lock file, so the lock files never disagree with each other or with matrix.yaml."""
    for env in names:
        output = staged / f"{env}.txt"
        try:
            if newest:
                release = next(r for r in matrix.releases if r.env == env)
                _compile(uv, output, release.python, newest_inputs(release), overrides=release.overrides)
                continue
            seed = into / output.name
            if seed.is_file():  # uv keeps the pins an existing lock file has beyond matrix.yaml's
                shutil.copyfile(seed, output)
            compile_env(uv, matrix, env, output)
        except subprocess.CalledProcessError as exc:
            raise LockFailed(
                f"uv could not lock {display_path(into / output.name)} (exit {exc.returncode}; its error is above), "
                "so no lock file was changed. Fix: check the network and the package index uv uses "
                "(UV_DEFAULT_INDEX, UV_INDEX_URL), then run it again."
            ) from exc
    written = {into / path.name: path.read_text(encoding="utf-8") for path in sorted(staged.glob("*.txt"))}
    write_all_atomically(written)
    for env in names:  # a latest env left without overrides loses its overrides file (tox.ini then points at none)
        gone = into / f"{env}.overrides.txt"
        if not newest and gone not in written:
            gone.unlink(missing_ok=True)
    for path in written:
        print(f"wrote {display_path(path)}")


def newest_inputs(release: Release) -> list[str]:
    """Latest mode's requirement lines: the newest patch of the series, and every pinned package unpinned."""
    major, minor = (int(part) for part in release.version.split("."))
    return [
        f"django>={release.version},<{major}.{minor + 1}" if name == "django" else EXTRAS.get(name, name)
        for name in sorted(release.requirements)
    ]


def envs(matrix: Matrix) -> list[str]:
    """Every env with a lock file: per release its latest and its as-shipped env, then the observer's, then `tools`."""
    names = []
    for release in matrix.releases:
        names.append(release.env)
        if release.shipped is not None:
            names.append(release.shipped_env)
    return [*names, OBSERVER_ENV, "tools"]


def observer_lines(matrix: Matrix) -> list[str]:
    """The HTTP/2 observer's requirement lines: OBSERVER_PACKAGES at the versions `tools: pins:` gives them."""
    missing = sorted(name for name in OBSERVER_PACKAGES if name not in matrix.tools_pins)
    if missing:
        raise MatrixError(
            f"matrix.yaml `tools: pins:` lacks {', '.join(missing)}, which the HTTP/2 observer "
            f"(requirements/{OBSERVER_ENV}.txt) installs. Fix: pin it there."
        )
    return [f"{line}=={matrix.tools_pins[name]}" for name, line in sorted(OBSERVER_PACKAGES.items())]


def compile_env(uv: str, matrix: Matrix, env: str, output: Path) -> None:
    """Write `output`, the hash-pinned lock file of `env`."""
    if env == "tools":
        _compile(uv, output, matrix.tools_python, requirement_lines(matrix.tools_pins))
        return
    if env == OBSERVER_ENV:
        _compile(uv, output, matrix.tools_python, observer_lines(matrix), note=OBSERVER_NOTE)
        return
    release = next(r for r in matrix.releases if env in (r.env, r.shipped_env))
    if env == release.env:
        _compile(uv, output, release.python, requirement_lines(release.requirements), overrides=release.overrides)
        _write_overrides(output.with_suffix(".overrides.txt"), release.overrides)
        return
    assert release.shipped is not None
    compile_shipped(uv, matrix, release, output)


def compile_shipped(uv: str, matrix: Matrix, release: Release, output: Path) -> None:
    """The as-shipped lock file: the stack as of the release day, then the observers around it."""
    shipped = release.shipped
    assert shipped is not None
    stack, observers = shipped_inputs(matrix, release)
    with tempfile.TemporaryDirectory() as scratch:
        resolved = Path(scratch) / "stack.txt"
        _compile(
            uv,
            resolved,
            shipped.python,
            stack,
            extra=cutoff_arguments(shipped),
            overrides=shipped.overrides,
            hashes=False,
        )
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("\n".join(pinned(resolved.read_text(encoding="utf-8"))) + "\n", encoding="utf-8")
        observer_cutoff = ["--exclude-newer", str(shipped.observers_cutoff)] if shipped.observers_cutoff else []
        # uv keeps the pins of an existing output file; the shipped axis must be resolved afresh every time.
        output.unlink(missing_ok=True)
        _compile(
            uv,
            output,
            shipped.python,
            [*stack, *observers],
            extra=["--constraint", str(constraints), *observer_cutoff],
            overrides=shipped.overrides,
            note=shipped_note(release),
        )


def _write_overrides(path: Path, overrides: Mapping[str, str]) -> None:
    """The overrides an env's install needs too (tox.ini points UV_OVERRIDE at it); no file when there are none."""
    if overrides:
        path.write_text("\n".join(requirement_lines(overrides)) + "\n", encoding="utf-8")


def shipped_inputs(matrix: Matrix, release: Release) -> tuple[list[str], list[str]]:
    """The requirement lines of an as-shipped env: (stack under test, observers).

    The same packages as the latest env, unpinned (the resolver cut-off chooses), with Django at X.Y.0;
    `without` leaves packages out.
    """
    shipped = release.shipped
    assert shipped is not None
    names = [name for name in sorted(release.requirements) if name not in shipped.without]
    stack = [
        f"django=={shipped.django}" if name == "django" else EXTRAS.get(name, name)
        for name in names
        if name in matrix.stack
    ]
    observers = [EXTRAS.get(name, name) for name in names if name in matrix.observers]
    return stack, observers


def cutoff_arguments(shipped: Shipped) -> list[str]:
    """uv's resolver cut-off: the release day for everything, then each per-package exception."""
    arguments = ["--exclude-newer", str(shipped.cutoff)]
    for name, day in sorted(shipped.cutoffs.items()):
        arguments += ["--exclude-newer-package", f"{name}={day}"]
    return arguments


def shipped_note(release: Release) -> str:
    """The lock file's second header line: what the shipped resolution was cut off at."""
    shipped = release.shipped
    assert shipped is not None
    parts = [f"Django {shipped.django} as shipped: the stack resolved as of {shipped.cutoff}"]
    parts += [f"{name} as of {day}" for name, day in sorted(shipped.cutoffs.items())]
    observers = f"as of {shipped.observers_cutoff}" if shipped.observers_cutoff else "newest that fit"
    return "; ".join(parts) + f"; observers {observers}."


def pinned(lock: str) -> list[str]:
    """The `name==version` lines of a compiled requirements file."""
    return [f"{name.lower()}=={version}" for name, version in _PIN.findall(lock)]


def requirement_lines(pins: Mapping[str, str]) -> list[str]:
    return [f"{EXTRAS.get(name, name)}=={version}" for name, version in sorted(pins.items())]


def _compile(
    uv: str,
    output: Path,
    python: str,
    lines: list[str],
    *,
    extra: Sequence[str] = (),
    overrides: Mapping[str, str] | None = None,
    hashes: bool = True,
    note: str = "",
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        override_arguments: list[str] = []
        if overrides:
            override_file = Path(scratch) / "overrides.txt"
            override_file.write_text("\n".join(requirement_lines(overrides)) + "\n", encoding="utf-8")
            override_arguments = ["--override", str(override_file)]
        # Resolving with the real interpreter keeps markers such as Requires-Python exact.
        command = [
            uv,
            "pip",
            "compile",
            "--quiet",
            *(["--generate-hashes"] if hashes else []),
            "--no-header",
            "--python",
            f"python{python}",
            "--python-preference",
            "only-system",
            *extra,
            *override_arguments,
            "-",
            "-o",
            str(output),
        ]
        # uv dies with us: an interrupted or killed compile leaves no resolver running.
        run(command, check=True, cwd=HERE.parent, input="\n".join(lines) + "\n", text=True)
    if hashes:
        output.write_text(header(python, note) + scratch_free(output.read_text(encoding="utf-8")), encoding="utf-8")


def scratch_free(lock: str) -> str:
    """`lock` with the scratch files its comments name (`-c`, `--override`) named without their random folder: a
    lock file carries no machine path, and compiling it again gives the same text."""
    return _SCRATCH_INPUT.sub(r"\1", lock)


def header(python: str, note: str = "") -> str:
    """A lock file's first lines: where it comes from, and the note (if any)."""
    lines = f"# Generated by `tox -e compile` from matrix.yaml for Python {python}; do not edit.\n"
    return lines + (f"# {note}\n" if note else "")


if __name__ == "__main__":
    raise SystemExit(main())
