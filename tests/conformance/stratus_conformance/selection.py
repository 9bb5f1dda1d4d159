"""Named test lists: plain id lists (``lists/*.txt``) and RA1's regex-defined cases.

Everything is resolved in Python against the ids the installed Tempest really has, then run
with ``--load-list`` (exact ids). That avoids stestr's regex pitfalls (a full id used as a
regex matches nothing because ``[id-...]`` is a character class) and lets us report ids a list
names that the installed Tempest lacks.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths

_ATTRS = re.compile(r"\[[^\]]*\]$")


def base_id(test_id: str) -> str:
    """``mod.Class.test_x[id-...,smoke]`` → ``mod.Class.test_x``."""
    return _ATTRS.sub("", test_id.strip())


def class_of(test_id: str) -> str:
    return base_id(test_id).rpartition(".")[0]


def read_lines(path: Path) -> list[str]:
    """Non-empty lines with ``#`` comments removed."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@dataclass
class Ra1Case:
    """One Functest smoke-cntt case: include/exclude regexes plus RA1's strict pass rule."""

    name: str
    include: list[str]
    exclude: list[str]
    tests_count: int | None
    deny_skipping: bool
    concurrency: int
    plugin: str


@dataclass
class TestList:
    __test__ = False  # not a pytest class

    name: str
    ids: list[str] = field(default_factory=list)  # as written (full ids or bare)
    case: Ra1Case | None = None
    description: str = ""


@dataclass
class Selection:
    ids: list[str]  # full ids as the installed Tempest names them
    missing: list[str]  # ids the list names that the installed Tempest lacks


def resolve(test_list: TestList, available: list[str]) -> Selection:
    if test_list.case is not None:
        return _resolve_case(test_list.case, available)
    by_base = {base_id(t): t for t in available}
    ids, missing = [], []
    seen = set()
    for wanted in test_list.ids:
        b = base_id(wanted)
        if b in seen:
            continue
        seen.add(b)
        if b in by_base:
            ids.append(by_base[b])
        else:
            missing.append(wanted)
    return Selection(ids, missing)


def _resolve_case(case: Ra1Case, available: list[str]) -> Selection:
    # stestr semantics: include lines joined with "|", re.search on the full id (attrs
    # included); a test is dropped when any exclude line is found in it.
    include = re.compile("|".join(case.include))
    excludes = [re.compile(x) for x in case.exclude]
    ids = [t for t in available if include.search(t) and not any(x.search(t) for x in excludes)]
    return Selection(ids, [])


def load_ra1_cases(root: Path = paths.RA1_DIR) -> list[TestList]:
    spec = yaml.safe_load((root / "cases.yaml").read_text()) or {}
    out = []
    for name, entry in spec.get("cases", {}).items():
        case = Ra1Case(
            name=name,
            include=read_lines(root / f"include_{name}.txt"),
            exclude=read_lines(root / f"exclude_{name}.txt"),
            tests_count=entry.get("tests_count"),
            deny_skipping=bool(entry.get("deny_skipping", True)),
            concurrency=int(entry.get("concurrency", 4)),
            plugin=entry.get("plugin", ""),
        )
        out.append(TestList(name=name, case=case, description=entry.get("description", "")))
    return out


def load_lists(root: Path = paths.LISTS) -> list[TestList]:
    """Every ``lists/*.txt`` (first comment line is the description) and every RA1 case."""
    out = []
    for path in sorted(root.glob("*.txt")):
        first = path.read_text().splitlines()[:1]
        desc = first[0].lstrip("# ").strip() if first and first[0].startswith("#") else ""
        out.append(TestList(name=path.stem, ids=read_lines(path), description=desc))
    if (root / "ra1_cntt" / "cases.yaml").exists():
        out.extend(load_ra1_cases(root / "ra1_cntt"))
    return out


def find_list(name: str, root: Path = paths.LISTS) -> TestList:
    """A list by name (``api_identity``, ``tempest_full_cntt``) or by path to an id file."""
    candidate = Path(name)
    if candidate.suffix == ".txt" and candidate.exists():
        return TestList(name=candidate.stem, ids=read_lines(candidate))
    for tl in load_lists(root):
        if tl.name == name:
            return tl
    known = ", ".join(t.name for t in load_lists(root))
    raise KeyError(f"no test list named {name!r}; known: {known}")


def shard(ids: list[str], index: int, count: int) -> list[str]:
    """A deterministic slice: tests whose stable hash falls in bucket ``index`` of ``count``."""
    import hashlib

    if count <= 1:
        return list(ids)
    return [
        t
        for t in ids
        if int(hashlib.sha256(base_id(t).encode()).hexdigest(), 16) % count == index % count
    ]
