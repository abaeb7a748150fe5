"""Load and validate matrix.yaml; every error names the file, the line, the key path and the fix."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from contract.schemas import errors

ROOT = Path(__file__).resolve().parent.parent
MATRIX_PATH = ROOT / "matrix.yaml"
# The two installs of each release (matrix.yaml): the latest patch with today's pins, and X.Y.0 as it shipped.
LATEST, SHIPPED = "latest", "shipped"
# The as-shipped env of release djXY is djXY-shipped.
SHIPPED_SUFFIX = "-shipped"
# The servers tests/probes/conftest.py runs every `servers: true` probe under (a test keeps them equal).
SERVERS = ("uvicorn", "daphne")


class MatrixError(Exception):
    """matrix.yaml is malformed; the message says where and how to fix it."""


@dataclass(frozen=True)
class Shipped:
    """A release as it shipped: X.Y.0 on `python`, its stack resolved as of `cutoff` (uv's --exclude-newer).

    `cutoffs` are per-package exceptions (a package of that day that cannot install here), `observers_cutoff` the
    cut-off of the observer tooling (None: their newest versions that fit), `overrides` replace every requirement
    on a package (uv's --override), and `without` names packages the env leaves out, with the reason.
    """

    django: str
    python: str
    cutoff: dt.date
    cutoffs: dict[str, dt.date] = field(default_factory=dict)
    observers_cutoff: dt.date | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    without: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Release:
    """One feature release. Its own fields are the latest install (newest patch, today's pins); `shipped` the other."""

    version: str
    django: str
    released: dt.date
    end_of_support: dt.date
    lts: bool
    python: str
    pins: dict[str, str]
    shipped: Shipped | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    # which install this is: "latest" (the fields above) or "shipped" (made by `as_shipped`)
    axis: str = LATEST

    @property
    def env(self) -> str:
        """The tox env name of this install: "5.2" -> "dj52" (latest) or "dj52-shipped" (as shipped)."""
        return "dj" + self.version.replace(".", "") + (SHIPPED_SUFFIX if self.axis == SHIPPED else "")

    @property
    def shipped_env(self) -> str:
        """The tox env name of the as-shipped install: "5.2" -> "dj52-shipped"."""
        return "dj" + self.version.replace(".", "") + SHIPPED_SUFFIX

    def as_shipped(self) -> Release:
        """This release as shipped: X.Y.0 on its shipped Python, env djXY-shipped (its pins come from the lock file)."""
        if self.shipped is None:
            raise ValueError(f"release {self.version} has no `shipped:` install in matrix.yaml")
        return replace(
            self, django=self.shipped.django, python=self.shipped.python, pins={}, overrides={}, axis=SHIPPED
        )

    @property
    def requirements(self) -> dict[str, str]:
        """Every top-level pin of this env, Django included."""
        return {"django": self.django, **self.pins}


@dataclass(frozen=True)
class Probe:
    id: str
    area: str
    title: str
    servers: bool


TICKET_URL = "https://code.djangoproject.com/ticket/{}"
RELEASE_NOTES_URL = "https://docs.djangoproject.com/en/stable/releases/{}/"


def version_key(version: str) -> tuple[int, ...]:
    """`4.1` and `4.1.0` sort alike, before `4.1.4`: Django 4.1.0 records itself as 4.1."""
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


@dataclass(frozen=True)
class KnownIssue:
    """A known problem of one probe's subject on some releases (matrix.yaml, `known_issues:` beside the probe).

    `releases` are feature releases ("5.0"); `fixed_in` the release that fixed it (a patch like "4.1.4", or a feature
    release like "5.0"), so the issue applies to an install of a listed release older than that. `ticket` is a Django
    Trac number, `note` and `workaround` one line each (text, shown escaped like a probe's).
    """

    probe: str
    releases: tuple[str, ...]
    note: str
    ticket: int | None = None
    fixed_in: str | None = None
    workaround: str | None = None

    @property
    def ticket_url(self) -> str | None:
        return TICKET_URL.format(self.ticket) if self.ticket is not None else None

    @property
    def fixed_in_url(self) -> str | None:
        return RELEASE_NOTES_URL.format(self.fixed_in) if self.fixed_in is not None else None

    def applies(self, release: str, django: str | None) -> bool:
        """Whether the install of feature release `release` at Django `django` (None: unknown) has this issue."""
        if release not in self.releases:
            return False
        if self.fixed_in is None or django is None:
            return True
        return version_key(django) < version_key(self.fixed_in)

    def to_data(self) -> dict[str, Any]:
        """The issue as plain data (results.json, the page's script), its links spelled out."""
        return {
            "probe": self.probe,
            "releases": list(self.releases),
            "note": self.note,
            "ticket": self.ticket,
            "ticket_url": self.ticket_url,
            "fixed_in": self.fixed_in,
            "fixed_in_url": self.fixed_in_url,
            "workaround": self.workaround,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> KnownIssue:
        """The parse boundary for `to_data`'s output: a ticket or fix that is not one is left out (no link)."""
        ticket, fixed_in, workaround = data.get("ticket"), data.get("fixed_in"), data.get("workaround")
        return cls(
            str(data["probe"]),
            tuple(str(release) for release in data["releases"]),
            str(data["note"]),
            ticket if isinstance(ticket, int) and not isinstance(ticket, bool) and ticket > 0 else None,
            fixed_in if isinstance(fixed_in, str) and re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", fixed_in) else None,
            str(workaround) if workaround else None,
        )


def known_issues(data: Mapping[str, Any]) -> tuple[KnownIssue, ...]:
    """The known issues of merged data (its `known_issues`, KnownIssue.to_data's output); none when it has none."""
    return tuple(KnownIssue.from_data(issue) for issue in data.get("known_issues", []))


@dataclass(frozen=True)
class ProbeRef:
    """One deciding probe of a roadmap item: a probe id, optionally narrowed to one server."""

    probe: str
    server: str | None = None

    @classmethod
    def parse(cls, text: str) -> ProbeRef:
        probe, _, server = text.partition("@")
        return cls(probe, server or None)

    def __str__(self) -> str:
        return f"{self.probe}@{self.server}" if self.server else self.probe


@dataclass(frozen=True)
class Documented:
    """Where Django's release notes announce an item: the release and a link to the section."""

    release: str
    url: str


@dataclass(frozen=True)
class RoadmapItem:
    id: str
    title: str
    planned_by: str
    source: str
    planned_for: str | None
    shipped_means: str
    probes: tuple[ProbeRef, ...]
    documented_in: Documented | None
    # The deciding probes that are the item's documented core (empty: all of them); report/roadmap.py ships the item
    # on the first release where its core works.
    core: tuple[ProbeRef, ...] = ()


@dataclass(frozen=True)
class PatchFix:
    """A reviewed async fix from Django's patch notes (matrix.yaml, `patch_fixes:`), named by ticket or CVE.

    A kept fix names the probes whose cells show it (`probes`) or why none can (`unobservable`); a `dropped` one says
    why the notes' candidate is no async bug. Exactly one of `ticket`/`cve` and one of the three is set.
    """

    ticket: int | None
    cve: str | None
    probes: tuple[ProbeRef, ...] = ()
    unobservable: str | None = None
    dropped: str | None = None

    @property
    def key(self) -> str:
        """`#34139` or `CVE-2026-3902`: how tools/catalogue.py names a candidate."""
        return f"#{self.ticket}" if self.ticket is not None else str(self.cve)

    @property
    def kept(self) -> bool:
        return self.dropped is None


@dataclass(frozen=True)
class Matrix:
    path: Path
    releases: tuple[Release, ...]
    tools_python: str
    tools_pins: dict[str, str]
    probes: tuple[Probe, ...]
    roadmap: tuple[RoadmapItem, ...] = ()
    # package names: the stack under test, and the observers (test runner, probe clients) that may be newer
    stack: tuple[str, ...] = ()
    observers: tuple[str, ...] = ()
    # per feature release, the Pythons Django supports (a release's `python` and its shipped one must be one)
    supported_pythons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # every probe's `known_issues:`, in probe order; apart from `probes` so that notes leave the matrix hash alone
    known_issues: tuple[KnownIssue, ...] = ()
    # the reviewed async fixes of Django's patch notes, in file order
    patch_fixes: tuple[PatchFix, ...] = ()

    def on_axis(self, axis: str) -> Matrix:
        """The matrix of one axis: "latest" as written, or "shipped" with every release as it shipped."""
        if axis == LATEST:
            return self
        if axis != SHIPPED:
            raise ValueError(f"unknown axis {axis!r}: use {LATEST!r} or {SHIPPED!r}")
        return replace(self, releases=tuple(release.as_shipped() for release in self.releases))

    @property
    def envs(self) -> frozenset[str]:
        """Every probe env of both axes."""
        return frozenset(name for r in self.releases for name in (r.env, r.shipped_env))

    def release(self, version: str) -> Release:
        for release in self.releases:
            if release.version == version:
                return release
        raise KeyError(version)


# matrix.yaml shares pin blocks through anchors and aliases (about 250 values in all). Aliases of aliases multiply:
# nine levels of nine ("billion laughs") stand for 387 million values, which took minutes and gigabytes to check.
MAX_ALIASED_VALUES = 10_000
# matrix.yaml is about 30 KB; a runaway file (a 10 MB value) would take seconds to parse and check.
MAX_BYTES = 1024 * 1024


class _Loader(yaml.composer.Composer, yaml._yaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """A safe loader that keeps `3.10` and `2019-04-01` as text, rejects duplicate keys and limits what aliases
    expand to.

    libyaml (CParser) scans and parses, ten times faster than PyYAML's pure-Python parser; PyYAML's Composer builds
    the nodes from its events, so that every alias passes through `compose_node` below.
    """

    def __init__(self, stream: Any) -> None:
        yaml._yaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.name: str = stream.name  # what PyYAML's own Reader would call the file, for the messages below
        self._open: set[str] = set()  # the anchors of the nodes being composed
        self._sizes: dict[int, int] = {}  # id(node): how many values it stands for, aliases expanded
        self._aliased = 0  # how many values the aliases so far stand for

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            where = f"{self.name}:{event.start_mark.line + 1}" if event.start_mark else self.name
            if event.anchor in self._open:
                raise MatrixError(
                    f"{where}: alias *{event.anchor} inside its own anchor &{event.anchor} stands for endless "
                    "values. Fix: alias a block outside the one it names."
                )
            node = super().compose_node(parent, index)  # the anchored node itself
            self._aliased += _size(node, self._sizes) if node else 0
            if self._aliased > MAX_ALIASED_VALUES:
                raise MatrixError(
                    f"{where}: aliases up to here stand for more than {MAX_ALIASED_VALUES} values (aliases of "
                    "aliases multiply: an alias bomb?). Fix: write the values out, or alias only small blocks."
                )
            return node
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            return super().compose_node(parent, index)
        self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.discard(anchor)


def _size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values `node` stands for, aliases expanded; counted once per node (`sizes`), so a bomb costs nothing."""
    if id(node) not in sizes:
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        sizes[id(node)] = 1 + sum(_size(child, sizes) for child in children)
    return sizes[id(node)]


# Unquoted 3.10 would load as the float 3.1, and dates as datetime objects; keep both as text.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise MatrixError(
                f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key {key!r} "
                f"(first on line {seen[key]}). Fix: keep one of them."
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node)


# types-PyYAML bounds a loader to its own classes' combinations, which this one is not
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[type-var]


def load_matrix(path: Path = MATRIX_PATH) -> Matrix:
    """Parse, validate and type matrix.yaml; raise MatrixError naming line, key and fix."""
    name = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MatrixError(f"{name}: cannot read it ({exc.strerror}). Fix: run from the project root.") from exc
    if len(raw) > MAX_BYTES:
        raise MatrixError(
            f"{name}: {len(raw):,} bytes, over the {MAX_BYTES:,} a matrix can need (this one is about 30 KB). "
            "Fix: restore it (`git checkout -- matrix.yaml`) and redo the edit."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MatrixError(
            f"{name}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x}). Fix: save the file as UTF-8 "
            "(an editor's 'encoding' setting, or `iconv -f latin1 -t utf-8`)."
        ) from exc
    try:
        parsed, root = _parse(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        raise MatrixError(f"{where}: YAML syntax error: {exc.problem}. Fix: correct the YAML syntax there.") from exc
    data = copy.deepcopy(parsed)  # the checks and the model below get values of their own
    if data is None:
        raise MatrixError(
            f"{name}: the file is empty. Fix: restore it (`git checkout -- matrix.yaml`); it needs the keys "
            "schema, pins, packages, releases, tools, probes and roadmap (README: Adding a Django release)."
        )
    _validate_schema(data, root, name)
    matrix = _build(path, data)
    _check_semantics(matrix, root, name)
    return matrix


@functools.lru_cache(maxsize=8)
def _parse(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """The values of `text` and its node tree (for line numbers), parsed once per text and name: parsing is most
    of a load, and the self-tests load the same matrix.yaml about 180 times.

    Callers get a deep copy of the values; the nodes are only read. A text that fails to parse is not cached.
    The text is scanned once. Building the values flattens merge keys (`<<:`) into their mappings in place; the
    mappings get their pairs as written back, as the line numbers are read from the tree as written.
    """
    loader = _Loader(_named(text, name))
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        mappings: dict[int, tuple[yaml.MappingNode, list[Any]]] = {}
        _mappings(root, mappings)
        data = loader.construct_document(root)
        for node, pairs in mappings.values():
            node.value = pairs
        return data, root
    finally:
        loader.dispose()


def _mappings(node: yaml.Node, found: dict[int, tuple[yaml.MappingNode, list[Any]]]) -> None:
    """Every mapping under `node`, by id, with a copy of its pairs; an aliased node is visited once."""
    if isinstance(node, yaml.MappingNode):
        if id(node) in found:
            return
        found[id(node)] = (node, list(node.value))
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        return
    for child in children:
        _mappings(child, found)


def _named(text: str, name: str) -> Any:
    """A stream whose `name` PyYAML puts in marks, so errors name the file."""
    stream = io.StringIO(text)
    stream.name = name
    return stream


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _validate_schema(data: Any, root: yaml.Node | None, name: str) -> None:
    found = sorted(errors(data, "matrix.schema.json"), key=lambda e: list(map(str, e.absolute_path)))
    if not found:
        return
    error = found[0]
    path = list(error.absolute_path)
    raise MatrixError(f"{name}:{_line(root, path)}: {key_path(path) or '(top level)'}: {_problem(error)}")


def _problem(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"missing key {missing!r}. Fix: add `{missing}:` here."
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        return f"{error.message}. Fix: remove the key or correct its spelling (allowed: {allowed})."
    hint = schema.get("description")
    if error.validator == "minItems":
        return f"an empty list. Fix: list at least one entry{f' ({hint})' if hint else ''}."
    fix = f" Fix: write {hint}." if hint else ""
    return f"{_shortened(error.message)}.{fix}"


def _shortened(message: str, keep: int = 200) -> str:
    """A schema message quotes the bad value whole: keep its start, so a runaway value stays one readable line."""
    return message if len(message) <= keep else f"{message[:keep]}... ({len(message):,} characters)"


def key_path(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(root: yaml.Node | None, path: list[Any]) -> int:
    """The 1-based line of the deepest node on `path` that exists."""
    node = root
    line = 1
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _build(path: Path, data: dict[str, Any]) -> Matrix:
    shared = data["pins"]
    releases = tuple(
        Release(
            version=r["version"],
            django=r["django"],
            released=dt.date.fromisoformat(r["released"]),
            end_of_support=dt.date.fromisoformat(r["end_of_support"]),
            lts=r["lts"],
            python=r["python"],
            pins={**shared, **r["pins"]},
            shipped=_shipped(r["shipped"], dt.date.fromisoformat(r["released"])),
            overrides=dict(r.get("overrides", {})),
        )
        for r in data["releases"]
    )
    probes = tuple(Probe(**{key: value for key, value in p.items() if key != "known_issues"}) for p in data["probes"])
    versions = [r["version"] for r in data["releases"]]
    known_issues = tuple(
        KnownIssue(
            probe=p["id"],
            releases=_releases(issue["releases"], versions),
            note=issue["note"],
            ticket=issue.get("ticket"),
            fixed_in=issue.get("fixed_in"),
            workaround=issue.get("workaround"),
        )
        for p in data["probes"]
        for issue in p.get("known_issues", [])
    )
    supported = {version: tuple(pythons) for version, pythons in data["supported_pythons"].items()}
    roadmap = tuple(
        RoadmapItem(
            id=item["id"],
            title=item["title"],
            planned_by=item["planned_by"],
            source=item["source"],
            planned_for=item["planned_for"],
            shipped_means=item["shipped_means"],
            probes=tuple(ProbeRef.parse(ref) for ref in item["probes"]),
            documented_in=Documented(**item["documented_in"]) if item["documented_in"] else None,
            core=tuple(ProbeRef.parse(ref) for ref in item.get("core", [])),
        )
        for item in data.get("roadmap", [])
    )
    patch_fixes = tuple(
        PatchFix(
            ticket=fix.get("ticket"),
            cve=fix.get("cve"),
            probes=tuple(ProbeRef.parse(ref) for ref in fix.get("probes", [])),
            unobservable=fix.get("unobservable"),
            dropped=fix.get("dropped"),
        )
        for fix in data.get("patch_fixes", [])
    )
    packages = data["packages"]
    return Matrix(
        path,
        releases,
        data["tools"]["python"],
        dict(data["tools"]["pins"]),
        probes,
        roadmap,
        stack=tuple(packages["stack"]),
        observers=tuple(packages["observers"]),
        supported_pythons=supported,
        known_issues=known_issues,
        patch_fixes=patch_fixes,
    )


def _releases(written: str | list[str], versions: list[str]) -> tuple[str, ...]:
    """A known issue's `releases:` as the releases it names: "5.0-5.2" is 5.0 to 5.2 in matrix.yaml's order (none
    when it runs backwards), a list or a single release names itself. _check_known_issues reports what is no release."""
    if isinstance(written, list):
        return tuple(written)
    first, _, last = written.partition("-")
    if not last:
        return (first,)
    if first not in versions or last not in versions:
        return (first, last)
    return tuple(versions[versions.index(first) : versions.index(last) + 1])


def _shipped(data: dict[str, Any], released: dt.date) -> Shipped:
    observers = data.get("observers_cutoff")
    return Shipped(
        django=data["django"],
        python=data["python"],
        cutoff=dt.date.fromisoformat(data.get("cutoff", str(released))),
        cutoffs={name: dt.date.fromisoformat(day) for name, day in data.get("cutoffs", {}).items()},
        observers_cutoff=dt.date.fromisoformat(observers) if observers else None,
        overrides=dict(data.get("overrides", {})),
        without=dict(data.get("without", {})),
    )


def _check_semantics(matrix: Matrix, root: yaml.Node | None, name: str) -> None:
    def fail(path: list[Any], message: str) -> MatrixError:
        return MatrixError(f"{name}:{_line(root, path)}: {key_path(path)}: {message}")

    seen: dict[str, int] = {}
    for index, release in enumerate(matrix.releases):
        if release.version in seen:
            raise fail(
                ["releases", index, "version"],
                f"duplicate version {release.version!r} (also releases[{seen[release.version]}]). Fix: list each Django release once.",
            )
        seen[release.version] = index
        if not release.django.startswith(release.version + "."):
            raise fail(
                ["releases", index, "django"],
                f"Django {release.django} is not a {release.version} release. Fix: pin a {release.version}.N release or correct `version`.",
            )
        shipped = release.shipped
        if shipped is not None and not shipped.django.startswith(release.version + "."):
            raise fail(
                ["releases", index, "shipped", "django"],
                f"Django {shipped.django} is not the first {release.version} release. Fix: write {release.version}.0.",
            )
        if release.end_of_support <= release.released:
            raise fail(
                ["releases", index, "end_of_support"], "ends before the release date. Fix: swap or correct the dates."
            )
        _check_python(matrix, release, ["releases", index], fail)
    versions = [tuple(int(p) for p in r.version.split(".")) for r in matrix.releases]
    if versions != sorted(versions):
        raise fail(["releases"], "releases are not in ascending version order. Fix: sort them oldest first.")
    _check_packages(matrix, fail)
    ids: set[str] = set()
    for index, probe in enumerate(matrix.probes):
        if probe.id in ids:
            raise fail(["probes", index, "id"], f"duplicate probe id {probe.id!r}. Fix: give each probe one entry.")
        ids.add(probe.id)
    _check_roadmap(matrix, fail)
    _check_known_issues(matrix, root, fail)
    _check_patch_fixes(matrix, fail)


def _check_python(
    matrix: Matrix, release: Release, where: list[Any], fail: Callable[[list[Any], str], MatrixError]
) -> None:
    """A release runs only on a Python Django supports for it (`supported_pythons:`, from Django's FAQ)."""
    supported = matrix.supported_pythons.get(release.version)
    if supported is None:
        raise fail(
            [*where, "version"],
            f"Django {release.version} is not under `supported_pythons:`. Fix: add the Pythons it supports "
            "(Django's FAQ: 'What Python version can I use with Django?').",
        )
    pairs = [([*where, "python"], release.python)]
    if release.shipped is not None:
        pairs.append(([*where, "shipped", "python"], release.shipped.python))
    for path, python in pairs:
        if python not in supported:
            raise fail(
                path,
                f"Django {release.version} does not support Python {python} (it supports {', '.join(supported)}, "
                "per `supported_pythons:`). Fix: pick one of those.",
            )


def _check_packages(matrix: Matrix, fail: Callable[[list[Any], str], MatrixError]) -> None:
    """Every pinned package is either stack under test or an observer, never both: the shipped axis needs to know."""
    both = set(matrix.stack) & set(matrix.observers)
    if both:
        raise fail(["packages"], f"{sorted(both)} listed as both stack and observers. Fix: keep each in one list.")
    known = {*matrix.stack, *matrix.observers}
    for index, release in enumerate(matrix.releases):
        for name in release.requirements:
            if name not in known:
                raise fail(
                    ["releases", index, "pins"],
                    f"{name!r} is neither under `packages: stack:` nor `packages: observers:`. Fix: add it to the "
                    "stack (resolved as of the release day on the shipped axis) or to the observers.",
                )


def _check_roadmap(matrix: Matrix, fail: Callable[[list[Any], str], MatrixError]) -> None:
    """Each item is unique, names known probes (and servers they run under) and real releases."""
    probes = {probe.id: probe for probe in matrix.probes}
    versions = [release.version for release in matrix.releases]
    seen: set[str] = set()
    for index, item in enumerate(matrix.roadmap):
        where = ["roadmap", index]
        if item.id in seen:
            raise fail([*where, "id"], f"duplicate roadmap item {item.id!r}. Fix: give each item one entry.")
        seen.add(item.id)
        for ref_index, ref in enumerate(item.probes):
            _check_ref(ref, probes, f"roadmap item {item.id!r}", [*where, "probes", ref_index], fail)
        for ref_index, ref in enumerate(item.core):
            if ref not in item.probes:
                raise fail(
                    [*where, "core", ref_index],
                    f"roadmap item {item.id!r} names {str(ref)!r} as its core, but it is not one of its `probes:`. Fix: list it under `probes:` too, or name one of {', '.join(map(str, item.probes))}.",
                )
        if item.planned_for is not None and item.planned_for not in versions:
            raise fail(
                [*where, "planned_for"],
                f"roadmap item {item.id!r} is planned for {item.planned_for!r}, which is not a release under `releases:`. Fix: use one of {', '.join(versions)}, or null when no plan names a release.",
            )
        if item.documented_in is not None and item.documented_in.release not in versions:
            raise fail(
                [*where, "documented_in", "release"],
                f"roadmap item {item.id!r} is documented in {item.documented_in.release!r}, which is not a release under `releases:`. Fix: use one of {', '.join(versions)}.",
            )


def _check_ref(
    ref: ProbeRef,
    probes: Mapping[str, Probe],
    owner: str,
    where: list[Any],
    fail: Callable[[list[Any], str], MatrixError],
) -> None:
    """`ref` names a probe under `probes:` and, if narrowed, a server it runs under."""
    probe = probes.get(ref.probe)
    if probe is None:
        raise fail(
            where,
            f"{owner} names unknown probe {ref.probe!r}. Fix: use an id listed under `probes:` or add the probe there first.",
        )
    if ref.server is not None and (not probe.servers or ref.server not in SERVERS):
        runs_under = ", ".join(SERVERS) if probe.servers else "no server (`servers: false`)"
        raise fail(
            where,
            f"{owner} narrows probe {ref.probe!r} to server {ref.server!r}, but it runs under {runs_under}. Fix: write `{ref.probe}` or a server it runs under.",
        )


def _check_known_issues(matrix: Matrix, root: yaml.Node | None, fail: Callable[[list[Any], str], MatrixError]) -> None:
    """Each known issue names real releases (a range oldest first) and, if fixed, a fix no older than them."""
    versions = [release.version for release in matrix.releases]
    index_of = {probe.id: index for index, probe in enumerate(matrix.probes)}
    counts: dict[str, int] = {}
    for issue in matrix.known_issues:
        counts[issue.probe] = counts.get(issue.probe, -1) + 1
        where = ["probes", index_of[issue.probe], "known_issues", counts[issue.probe]]
        written = _scalar(root, [*where, "releases"]) or ""
        named = written.split("-") if "-" in written else list(issue.releases)
        for release in named:
            if release not in versions:
                raise fail(
                    [*where, "releases"],
                    f"{release!r} is not a release under `releases:`. Fix: use one of {', '.join(versions)}.",
                )
        if not issue.releases:
            first, last = named
            raise fail(
                [*where, "releases"],
                f"the range {written!r} runs backwards. Fix: write the older release first, like {last}-{first}.",
            )
        if issue.fixed_in is not None and version_key(issue.fixed_in) < version_key(issue.releases[0]):
            raise fail(
                [*where, "fixed_in"],
                f"fixed in {issue.fixed_in}, before {issue.releases[0]}, the first release it applies to. Fix: "
                "correct `fixed_in` (the release whose notes name the fix) or `releases`.",
            )


def _check_patch_fixes(matrix: Matrix, fail: Callable[[list[Any], str], MatrixError]) -> None:
    """Each reviewed fix names one ticket or CVE, once, and says one thing: its probes (known ones, on servers they run
    under), why unobservable, or dropped."""
    probes = {probe.id: probe for probe in matrix.probes}
    seen: dict[str, int] = {}
    for index, fix in enumerate(matrix.patch_fixes):
        where: list[Any] = ["patch_fixes", index]
        if (fix.ticket is None) == (fix.cve is None):
            raise fail(
                where,
                "names both a ticket and a CVE, or neither. Fix: write `ticket: N` (a Trac number) or `cve: CVE-YYYY-N`, "
                "as `python -m tools.catalogue` lists the candidate.",
            )
        if fix.key in seen:
            raise fail(where, f"{fix.key} is reviewed twice (also patch_fixes[{seen[fix.key]}]). Fix: keep one entry.")
        seen[fix.key] = index
        said = [
            name
            for name, value in (("probes", fix.probes), ("unobservable", fix.unobservable), ("dropped", fix.dropped))
            if value
        ]
        if len(said) != 1:
            raise fail(
                where,
                f"{fix.key} has {' and '.join(said) or 'none'} of probes, unobservable and dropped. Fix: keep it with "
                "`probes: [ID, ...]` (the probes whose cells show it) or `unobservable: WHY`, or drop it with "
                "`dropped: WHY`; exactly one.",
            )
        for ref_index, ref in enumerate(fix.probes):
            _check_ref(ref, probes, f"patch fix {fix.key}", [*where, "probes", ref_index], fail)


def _scalar(root: yaml.Node | None, path: list[Any]) -> str | None:
    """The text of the scalar at `path` as written, or None where there is none (a list, or nothing)."""
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None
