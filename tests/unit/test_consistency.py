"""matrix.yaml, tox.ini, requirements/ and the probe suite agree; a mismatch names the env and key."""

from __future__ import annotations

import ast
import configparser
import itertools
import re
from pathlib import Path

import pytest

from contract.matrix import ROOT, load_matrix

MATRIX = load_matrix()
RELEASES = {release.env: release for release in MATRIX.releases}
# Every env with its Python and its top-level pins: the latest install and the as-shipped one of each release.
INSTALLS = {
    **{env: (release.python, release.requirements) for env, release in RELEASES.items()},
    **{
        release.shipped_env: (release.shipped.python, {"django": release.shipped.django})
        for release in MATRIX.releases
        if release.shipped is not None
    },
}


def _expand(text: str) -> list[str]:
    """tox's generative names: "dj{22,30}" -> ["dj22", "dj30"]."""
    parts = re.split(r"\{([^}]*)\}", text)
    choices = [[p] if i % 2 == 0 else p.split(",") for i, p in enumerate(parts)]
    return ["".join(combo).strip() for combo in itertools.product(*choices)]


def _tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    return parser


def _factor_map(value: str) -> dict[str, str]:
    """A tox factor-conditional value ("dj{22,30}-!shipped: python3.9" lines) as {env: value}."""
    mapping: dict[str, str] = {}
    for line in value.strip().splitlines():
        factors, _, setting = line.partition(":")
        factors = factors.strip()
        if factors.endswith("-!shipped"):  # the latest envs: djXY without the `shipped` factor
            factors = factors[: -len("-!shipped")]
        for env in _expand(factors):
            assert env not in mapping, f"tox.ini [testenv] names {env} twice"
            mapping[env] = setting.strip()
    return mapping


def test_env_list_has_every_release():
    envs = {env for line in _tox()["tox"]["env_list"].split() for env in _expand(line)}
    missing = set(INSTALLS) - envs
    extra = {e for e in envs if e.startswith("dj")} - set(INSTALLS)
    assert not missing, f"tox.ini [tox] env_list lacks {sorted(missing)} that matrix.yaml lists"
    assert not extra, f"tox.ini [tox] env_list has {sorted(extra)} that matrix.yaml does not list"


def test_labels_split_the_two_axes():
    labels = dict(line.split("=", 1) for line in _tox()["tox"]["labels"].strip().splitlines())
    expanded = {
        name.strip(): {env for part in re.split(r",(?![^{]*\})", envs) for env in _expand(part.strip())}
        for name, envs in labels.items()
    }
    assert expanded["latest"] == set(RELEASES), "tox.ini label `latest` must be exactly the djXY envs"
    assert expanded["shipped"] == set(INSTALLS) - set(RELEASES), "tox.ini label `shipped` must be the djXY-shipped envs"
    assert expanded["probes"] == set(INSTALLS), "tox.ini label `probes` must be both axes"


@pytest.mark.parametrize("env", sorted(INSTALLS))
def test_base_python_matches_matrix(env):
    base_python = _factor_map(_tox()["testenv"]["base_python"])
    expected = f"python{INSTALLS[env][0]}"
    assert base_python.get(env) == expected, (
        f"tox.ini [testenv] base_python for {env} is {base_python.get(env)!r}; matrix.yaml says {expected!r}"
    )


@pytest.mark.parametrize("env", sorted(INSTALLS))
def test_lock_file_has_every_pin(env):
    assert _tox()["testenv"]["deps"].strip() == "-r {env:PROBE_REQUIREMENTS:requirements}{/}{env_name}.txt"
    python, pins = INSTALLS[env]
    lock = (ROOT / "requirements" / f"{env}.txt").read_text(encoding="utf-8")
    assert f"for Python {python};" in lock, (
        f"requirements/{env}.txt was compiled for another Python; run `tox -e compile`"
    )
    for name, version in pins.items():
        # uv writes 3.0.0 as 3.0, as PyPI lists it
        version = re.sub(r"(\.0)+$", "", version) if env.endswith("-shipped") else version
        assert re.search(rf"^{re.escape(name)}==({re.escape(version)})(\.0)*\s", lock, re.M | re.I), (
            f"requirements/{env}.txt does not pin {name}=={version} as matrix.yaml says; run `tox -e compile`"
        )


@pytest.mark.parametrize("release", [r for r in MATRIX.releases if r.shipped], ids=lambda r: r.shipped_env)
def test_shipped_lock_file_holds_the_stack_as_of_its_day(release):
    """The shipped lock file says its cut-offs, and holds every stack package its latest env has, but not newer."""
    lock = (ROOT / "requirements" / f"{release.shipped_env}.txt").read_text(encoding="utf-8")
    assert f"as shipped: the stack resolved as of {release.shipped.cutoff}" in lock, (
        f"requirements/{release.shipped_env}.txt was not resolved with the cut-off in matrix.yaml; run `tox -e compile`"
    )
    for name in release.requirements:
        if name not in release.shipped.without:
            assert re.search(rf"^{re.escape(name)}==", lock, re.M | re.I), (
                f"requirements/{release.shipped_env}.txt lacks {name}; run `tox -e compile` or list it under `without`"
            )


def test_tools_lock_file_has_every_pin():
    lock = (ROOT / "requirements" / "tools.txt").read_text(encoding="utf-8")
    for name, version in MATRIX.tools_pins.items():
        assert re.search(rf"^{re.escape(name)}=={re.escape(version)}\b", lock, re.M | re.I), (
            f"requirements/tools.txt lacks {name}=={version}; run `tox -e compile`"
        )


def _probe_ids_in_suite() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "probes").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.mark.probe":
                identifier = node.args[0].value  # type: ignore[attr-defined]
                assert identifier not in found, (
                    f"probe {identifier!r} is decided by two tests: {found[identifier]} and {path.name}"
                )
                found[identifier] = path.name
    return found


def test_every_probe_is_declared_and_run():
    in_suite = set(_probe_ids_in_suite())
    declared = {probe.id for probe in MATRIX.probes}
    assert not in_suite - declared, (
        f"tests/probes mark {sorted(in_suite - declared)} but matrix.yaml `probes:` lacks them"
    )
    assert not declared - in_suite, (
        f"matrix.yaml `probes:` lists {sorted(declared - in_suite)} but no test in tests/probes decides them"
    )


def test_python_version_file_lists_every_matrix_python():
    listed = Path(ROOT / ".python-version").read_text(encoding="utf-8").split()
    needed = {python for python, _ in INSTALLS.values()} | {MATRIX.tools_python}
    assert needed <= set(listed), (
        f".python-version lacks {sorted(needed - set(listed))}: pyenv would not expose those interpreters to tox"
    )
    assert set(listed) <= needed, (
        f".python-version lists {sorted(set(listed) - needed)}, which no env of matrix.yaml uses"
    )


def test_ci_runs_exactly_the_readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    readme_commands = [
        line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.startswith("tox")
    ]
    ci_commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.startswith("tox")
    ]
    assert ci_commands == readme_commands, f".ci/run runs {ci_commands} but README.md gives {readme_commands}"


@pytest.mark.parametrize("env", sorted(RELEASES))
def test_overrides_reach_the_install(env):
    """matrix.yaml `overrides` are in the lock's overrides file, and tox.ini hands it to uv (UV_OVERRIDE)."""
    overrides = RELEASES[env].overrides
    path = ROOT / "requirements" / f"{env}.overrides.txt"
    set_env = _tox()["testenv"]["set_env"]
    tox_lines = [line for line in set_env.splitlines() if "UV_OVERRIDE" in line]
    handed = {e for line in tox_lines for e in _expand(line.split(":")[0].strip().removesuffix("-!shipped"))}
    if not overrides:
        assert not path.exists(), (
            f"requirements/{env}.overrides.txt exists but matrix.yaml has no overrides; run `tox -e compile`"
        )
        assert env not in handed, f"tox.ini sets UV_OVERRIDE for {env}, which matrix.yaml gives no overrides"
        return
    lines = path.read_text(encoding="utf-8").split()
    assert lines == [f"{name}=={version}" for name, version in sorted(overrides.items())], (
        f"requirements/{env}.overrides.txt disagrees with matrix.yaml `overrides`; run `tox -e compile`"
    )
    assert env in handed, f"tox.ini [testenv] set_env lacks `UV_OVERRIDE` for {env}: uv would refuse its lock file"
