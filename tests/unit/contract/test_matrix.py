"""matrix.yaml loading: the real file loads; each kind of bad file names the file, line, key and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract.matrix import MATRIX_PATH, ROOT, MatrixError, load_matrix


def test_real_matrix_loads():
    matrix = load_matrix()
    assert [r.version for r in matrix.releases][0] == "2.2"
    assert matrix.release("6.1").env == "dj61"
    assert matrix.release("3.0").requirements["django"] == "3.0.14"
    # A shared pin reaches every release unless overridden.
    assert all(r.pins["daphne"] for r in matrix.releases)


def _broken(tmp_path: Path, old: str, new: str) -> str:
    text = MATRIX_PATH.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in matrix.yaml"
    path = tmp_path / "matrix.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(MatrixError) as caught:
        load_matrix(path)
    return str(caught.value)


def _line_of(needle: str) -> int:
    for number, line in enumerate(MATRIX_PATH.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_yaml_syntax_error_names_line(tmp_path):
    message = _broken(tmp_path, "    django: 3.0.14", "    django: [3.0.14")
    assert "matrix.yaml:" in message
    assert "YAML syntax error" in message
    assert "Fix:" in message


def test_wrong_type_names_key_path_and_line(tmp_path):
    message = _broken(
        tmp_path,
        '    lts: false\n    python: "3.9"\n    pins: *py39\n    overrides:\n      daphne: 4.2.3\n    shipped:\n      django: 3.0.0',
        '    lts: maybe\n    python: "3.9"\n    pins: *py39\n    overrides:\n      daphne: 4.2.3\n    shipped:\n      django: 3.0.0',
    )
    assert f"matrix.yaml:{_line_of('django: 3.0.14') + 3}: releases[1].lts:" in message
    assert "'maybe' is not of type 'boolean'" in message
    assert "Fix: write true or false" in message


def test_missing_key_says_which_to_add(tmp_path):
    message = _broken(tmp_path, "    django: 6.1.3\n", "")
    assert "releases[11]: missing key 'django'. Fix: add `django:` here." in message


def test_unknown_key_lists_allowed_keys(tmp_path):
    message = _broken(
        tmp_path, '    lts: true\n    python: "3.9"', '    lts: true\n    pyhton: "3.9"\n    python: "3.9"'
    )
    assert "releases[0]:" in message
    assert "'pyhton' was unexpected" in message
    assert "allowed: django, end_of_support, lts, overrides, pins, python, released, shipped, version" in message


def test_unknown_django_version(tmp_path):
    message = _broken(tmp_path, "django: 4.0.10", "django: 4.3.1")
    assert (
        f"matrix.yaml:{_line_of('django: 4.0.10')}: releases[4].django: Django 4.3.1 is not a 4.0 release." in message
    )


def test_duplicate_version(tmp_path):
    message = _broken(tmp_path, 'version: "3.1"', 'version: "3.0"')
    assert "releases[2].version: duplicate version '3.0'" in message


def test_duplicate_key_names_both_lines(tmp_path):
    message = _broken(tmp_path, "    django: 2.2.28\n", "    django: 2.2.28\n    django: 2.2.27\n")
    line = _line_of("django: 2.2.28")
    assert f"matrix.yaml:{line + 1}: duplicate key 'django' (first on line {line})" in message


def test_bad_date(tmp_path):
    message = _broken(tmp_path, "released: 2019-12-02", "released: 2019-12")
    assert "releases[1].released:" in message
    assert "Fix: write a date as YYYY-MM-DD" in message


def test_unquoted_version_is_read_as_text(tmp_path):
    # 3.10 unquoted would be the float 3.1 in plain YAML; the loader keeps it as "3.10".
    text = MATRIX_PATH.read_text(encoding="utf-8").replace('python: "3.10"', "python: 3.10")
    path = tmp_path / "matrix.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_matrix(path).release("3.2").python == "3.10"


def test_missing_file(tmp_path):
    with pytest.raises(MatrixError, match="cannot read it"):
        load_matrix(tmp_path / "nope.yaml")


def test_shipped_install_loads_with_its_cutoffs():
    release = load_matrix().release("2.2")
    assert release.shipped_env == "dj22-shipped"
    assert release.shipped is not None
    assert release.shipped.django == "2.2.0"
    # The cut-off defaults to the release date; per-package cut-offs are exceptions to it.
    assert release.shipped.cutoff == release.released
    assert "twisted" in release.shipped.cutoffs


def test_shipped_django_must_be_a_first_release(tmp_path):
    message = _broken(tmp_path, "      django: 3.0.0\n", "      django: 3.0.14\n")
    assert "releases[1].shipped.django: '3.0.14' does not match" in message
    assert "Fix: write the first release of the series, like 5.2.0." in message


def test_shipped_django_of_another_series(tmp_path):
    message = _broken(tmp_path, "      django: 3.0.0\n", "      django: 3.2.0\n")
    assert "releases[1].shipped.django: Django 3.2.0 is not the first 3.0 release. Fix: write 3.0.0." in message


def test_pin_neither_stack_nor_observer(tmp_path):
    message = _broken(tmp_path, "  pymemcache: 4.0.0\n", "  pymemcache: 4.0.0\n  left-pad: 1.0.0\n")
    assert "'left-pad' is neither under `packages: stack:` nor `packages: observers:`" in message
    assert "Fix:" in message


def _bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level a list of `width` aliases of the level below, `width**levels` values."""
    lines = [f"bomb0: &b0 [{', '.join(['lol'] * width)}]"]
    lines += [f"bomb{n}: &b{n} [{', '.join([f'*b{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


# Run in a child with a memory cap: without a limit on aliases the bomb takes minutes and gigabytes.
_LOAD_TIMED = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from pathlib import Path
from contract.matrix import MatrixError, load_matrix
start = time.monotonic()
try:
    load_matrix(Path(sys.argv[1]))
except MatrixError as exc:
    print(exc)
print(f"{time.monotonic() - start:.3f}")
"""


def test_an_alias_bomb_is_refused_at_once_naming_the_line(tmp_path):
    # Used where a string belongs, the bomb once made jsonschema spell out all its values in the error message.
    text = MATRIX_PATH.read_text(encoding="utf-8").replace('python: "3.9"', "python: *b8", 1)
    path = tmp_path / "matrix.yaml"
    path.write_text(_bomb() + text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_TIMED, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-300:]
    message, seconds = done.stdout.strip().splitlines()
    assert float(seconds) < 1, done.stdout
    line = int(message.split("matrix.yaml:")[1].split(":")[0])
    assert 2 <= line <= 9, message  # one of the bomb's lines
    assert "alias" in message and "Fix:" in message


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    text = MATRIX_PATH.read_text(encoding="utf-8")
    path = tmp_path / "matrix.yaml"
    path.write_text(text + "loop: &loop [1, *loop]\n", encoding="utf-8")
    with pytest.raises(MatrixError, match=rf"matrix.yaml:{text.count(chr(10)) + 1}: .*alias.*Fix:"):
        load_matrix(path)


def test_the_aliases_matrix_yaml_uses_still_load():
    assert "pins: *py39" in MATRIX_PATH.read_text(encoding="utf-8")  # what the limit must leave working
    matrix = load_matrix()
    assert matrix.release("3.0").pins == matrix.release("2.2").pins
    assert matrix.release("5.0").pins["asgiref"] == matrix.release("4.1").pins["asgiref"]  # via `<<: *py311`


# --- Known issues (issue 21, item 3): kept beside the probe, typed, each error naming the key and the fix. ---


def test_known_issues_load_typed_with_their_links():
    matrix = load_matrix()
    issue = next(i for i in matrix.known_issues if i.probe == "orm.related-managers")
    assert (issue.releases, issue.ticket, issue.fixed_in) == (("4.1",), 34139, "4.1.4")
    assert issue.ticket_url == "https://code.djangoproject.com/ticket/34139"
    assert issue.fixed_in_url == "https://docs.djangoproject.com/en/stable/releases/4.1.4/"
    # A range names every release from its first to its last; a fix in a patch release spares the later patches.
    sessions = next(i for i in matrix.known_issues if i.probe == "sessions.file")
    assert sessions.releases == ("5.1", "5.2", "6.0", "6.1")
    assert sessions.ticket is None and sessions.workaround
    assert issue.applies("4.1", "4.1.3") and not issue.applies("4.1", "4.1.4") and not issue.applies("4.2", "4.2.0")
    assert issue.applies("4.1", "4.1")  # Django 4.1.0 records itself as 4.1


def test_known_issues_leave_the_matrix_hash_alone():
    from report.inputs import matrix_hash

    matrix = load_matrix()
    assert matrix.known_issues
    assert matrix_hash(matrix) == matrix_hash(matrix.__class__(**{**vars(matrix), "known_issues": ()}))


def test_known_issue_range_backwards(tmp_path):
    message = _broken(tmp_path, 'releases: "5.1-6.1"', 'releases: "6.1-5.1"')
    assert "probes[" in message and "].known_issues[0].releases: the range '6.1-5.1' runs backwards." in message
    assert "Fix: write the older release first, like 5.1-6.1." in message


def test_known_issue_range_of_an_unknown_release(tmp_path):
    message = _broken(tmp_path, 'releases: "5.1-6.1"', 'releases: "5.1-6.3"')
    assert "].known_issues[0].releases: '6.3' is not a release under `releases:`." in message
    assert "Fix: use one of 2.2, 3.0" in message


def test_known_issue_range_that_is_no_range(tmp_path):
    message = _broken(tmp_path, 'releases: "5.1-6.1"', 'releases: "5.1 to 6.1"')
    assert "].known_issues[0].releases:" in message
    assert 'Fix: write a release or a range of releases, quoted like "5.0-5.2", or a list like' in message


def test_known_issue_ticket_must_be_a_trac_number(tmp_path):
    message = _broken(tmp_path, "ticket: 34139", 'ticket: "#34139"')
    assert "].known_issues[0].ticket: '#34139' is not of type 'integer'." in message
    assert "Fix: write the number of a Django Trac ticket, like 34139" in message


def test_known_issue_fixed_before_it_applies(tmp_path):
    message = _broken(tmp_path, "fixed_in: 4.1.4", "fixed_in: 4.0.4")
    assert "].known_issues[0].fixed_in: fixed in 4.0.4, before 4.1, the first release it applies to." in message
    assert "Fix:" in message


def test_known_issue_note_is_one_line(tmp_path):
    message = _broken(tmp_path, "note: every async method", 'note: "two\\nlines" # every async method')
    assert "].known_issues[0].note:" in message and "Fix: write one line" in message


def test_a_runaway_pin_is_one_short_line_naming_the_key(tmp_path):
    digits = "9" * 100_000
    text = MATRIX_PATH.read_text(encoding="utf-8").replace("django: 5.2.", f"django: 5.2.{digits}0#", 1)
    path = tmp_path / "matrix.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MatrixError) as raised:
        load_matrix(path)
    message = str(raised.value)
    assert ".django: '5.2.999" in message and "(100,0" in message
    assert len(message) < 400


def test_a_matrix_over_a_mebibyte_is_refused_before_parsing(tmp_path):
    path = tmp_path / "matrix.yaml"
    path.write_text(MATRIX_PATH.read_text(encoding="utf-8") + "#" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(MatrixError, match=r"matrix.yaml: 1,1\d\d,\d\d\d bytes, over the 1,048,576"):
        load_matrix(path)


# The roadmap's own checks (matrix.yaml `roadmap:`), made by the loader.
ITEM = """  - id: async-request-stack
    title: fully asynchronous request handling stack"""


def test_real_roadmap_loads_and_names_known_probes():
    matrix = load_matrix()
    known = {probe.id for probe in matrix.probes}
    assert matrix.roadmap
    assert all(ref.probe in known for item in matrix.roadmap for ref in item.probes)


def test_unknown_probe_names_the_item(tmp_path):
    message = _broken(
        tmp_path, "    probes: [asgi.request-stack]", "    probes: [asgi.request-stack, orm.no-such-probe]"
    )
    assert "roadmap[" in message and "].probes[1]:" in message
    assert "roadmap item 'async-request-stack' names unknown probe 'orm.no-such-probe'" in message
    assert "Fix: use an id listed under `probes:`" in message


def test_unknown_server_names_the_item(tmp_path):
    message = _broken(tmp_path, "    probes: [asgi.request-stack]", "    probes: [asgi.request-stack@gunicorn]")
    assert "roadmap item 'async-request-stack' narrows probe 'asgi.request-stack' to server 'gunicorn'" in message
    assert "uvicorn, daphne" in message


def test_planned_for_must_be_a_release(tmp_path):
    text = MATRIX_PATH.read_text(encoding="utf-8")
    block = text[text.index(ITEM) :]
    old = block[: block.index('planned_for: "3.0"') + len('planned_for: "3.0"')]
    message = _broken(tmp_path, old, old.replace('"3.0"', '"2.1"'))
    assert "planned_for:" in message
    assert "roadmap item 'async-request-stack' is planned for '2.1', which is not a release" in message
    assert "or null when no plan names a release" in message


def test_documented_release_must_be_a_release(tmp_path):
    message = _broken(
        tmp_path, '      release: "3.0"\n      url: https://docs', '      release: "3.9"\n      url: https://docs'
    )
    assert "documented_in.release:" in message
    assert "is documented in '3.9', which is not a release" in message


def test_duplicate_item(tmp_path):
    message = _broken(tmp_path, "  - id: websocket-in-core", "  - id: async-request-stack")
    assert "duplicate roadmap item 'async-request-stack'" in message


def test_schema_error_names_key_and_fix(tmp_path):
    message = _broken(tmp_path, "    probes: [asgi.request-stack]", "    probes: []")
    assert ".probes: an empty list. Fix: list at least one entry" in message
    message = _broken(tmp_path, ITEM, ITEM + "\n    planed_for: 3.0")
    assert "'planed_for' was unexpected" in message
    message = _broken(tmp_path, "    source: https://www.aeracode.org", "    source: http://www.aeracode.org")
    assert "Fix: write an https:// link" in message


def test_a_bad_value_reached_through_a_merge_key_names_the_mapping_that_merges_it(tmp_path):
    # `pins: &py312` merges py311's block (`<<: *py311`); the line is read from the tree as written, not as merged.
    message = _broken(tmp_path, "        uvicorn: 0.54.0\n", "        uvicorn: [0.54.0]\n")
    assert f"matrix.yaml:{_line_of('pins: &py312')}: releases[" in message
    assert ".pins.uvicorn: ['0.54.0'] is not of type 'string'" in message


def test_core_outside_the_items_probes_names_the_item_and_the_fix(tmp_path):
    message = _broken(
        tmp_path, "    core: [views.async-function, views.async-concurrency]", "    core: [asgi.entrypoint]"
    )
    assert "core[0]:" in message
    assert (
        "roadmap item 'async-views' names 'asgi.entrypoint' as its core, but it is not one of its `probes:`" in message
    )


def test_patch_fixes_load_as_typed_entries():
    fixes = {fix.key: fix for fix in load_matrix().patch_fixes}
    assert [str(ref) for ref in fixes["#34139"].probes] == ["orm.related-managers"]
    assert fixes["CVE-2026-3902"].cve == "CVE-2026-3902"
    assert fixes["#32128"].unobservable and fixes["#32128"].kept
    assert not fixes["#35392"].kept


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  - ticket: 34139\n    probes:",
            "  - ticket: 34139\n    cve: CVE-2022-0001\n    probes:",
            "patch_fixes[9]: names both a ticket and a CVE, or neither. Fix: write `ticket: N`",
        ),
        (
            "  - ticket: 34139\n    probes: [orm.related-managers]",
            "  - ticket: 34139\n    probes: [orm.related-managers]\n    dropped: not async",
            "patch_fixes[9]: #34139 has probes and dropped of probes, unobservable and dropped. Fix: keep it with",
        ),
        (
            "  - ticket: 34139\n    probes: [orm.related-managers]",
            "  - ticket: 34139",
            "patch_fixes[9]: #34139 has none of probes, unobservable and dropped. Fix:",
        ),
        (
            "  - ticket: 34139\n",
            "  - ticket: 34062\n",
            "patch_fixes[9]: #34062 is reviewed twice (also patch_fixes[8]). Fix: keep one entry.",
        ),
        (
            "  - cve: CVE-2026-3902\n",
            "  - cve: 2026-3902\n",
            "patch_fixes[16].cve: '2026-3902' does not match",
        ),
    ],
)
def test_a_bad_patch_fix_names_the_key_and_the_fix(tmp_path, old, new, expected):
    message = _broken(tmp_path, old, new)
    assert f"matrix.yaml:{_line_of(old.splitlines()[0].strip())}: " in message
    assert expected in message


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (
            "    probes: [orm.related-manager]",
            "patch_fixes[9].probes[0]: patch fix #34139 names unknown probe 'orm.related-manager'. Fix: use an id",
        ),
        (
            "    probes: [orm.related-managers@uvicorn]",
            "patch_fixes[9].probes[0]: patch fix #34139 narrows probe 'orm.related-managers' to server 'uvicorn', but "
            "it runs under no server (`servers: false`). Fix: write `orm.related-managers`",
        ),
    ],
)
def test_a_patch_fix_names_known_probes_on_servers_they_run_under(tmp_path, new, expected):
    message = _broken(tmp_path, "  - ticket: 34139\n    probes: [orm.related-managers]", f"  - ticket: 34139\n{new}")
    assert f"matrix.yaml:{_line_of('- ticket: 34139') + 1}: {expected}" in message
