"""The policy engine every service uses: oslo.policy rule syntax, defaults registered in code
by each service's ``policies.py``, overridden by ``<data_dir>/policy.yaml``.

Syntax: ``role:R``, ``rule:NAME``, ``is_admin:True``, ``system_scope:all``,
``project_id:%(project_id)s``, ``user_id:%(target.user.id)s``, literal matches
(``'member':%(role.name)s``), ``@`` (always), ``!`` (never), ``and``/``or``/``not``, parentheses.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Creds = Mapping[str, Any]
Target = Mapping[str, Any]
Check = Callable[[Target, Creds, "PolicyEngine"], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """A policy default: its upstream name, check string and a line saying what it guards."""

    name: str
    check_str: str
    description: str = ""
    operations: tuple[tuple[str, str], ...] = ()
    scope_types: tuple[str, ...] = ()


_REGISTRY: dict[str, Rule] = {}


def register(rules: Iterable[Rule]) -> None:
    for rule in rules:
        _REGISTRY[rule.name] = rule


def registered() -> dict[str, Rule]:
    return dict(_REGISTRY)


class PolicyParseError(ValueError):
    pass


_TOKEN_RE = re.compile(r"\s*(\(|\)|(?:%\([^)]*\)s|[^\s()])+)")


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            break
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def _resolve(template: str, target: Target) -> Any:
    """Expand ``%(a.b)s`` against target; dotted keys are looked up flat first, then nested."""
    match = re.fullmatch(r"%\((.+)\)s", template)
    if not match:
        return template
    key = match.group(1)
    if key in target:
        return target[key]
    value: Any = target
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


_MISSING = object()


def _field_check(match: str) -> Check:
    """Neutron's ``field:<collection>:<attribute>=<value>`` check on the target resource."""
    _collection, _, rest = match.partition(":")
    attribute, _, expected = rest.partition("=")

    def check(target: Target, _creds: Creds, _engine: "PolicyEngine") -> bool:
        if attribute not in target:
            return False
        return str(target[attribute]).lower() == expected.lower()

    return check


def _generic_check(kind: str, match: str) -> Check:
    if kind == "field":
        return _field_check(match)

    def check(target: Target, creds: Creds, _engine: "PolicyEngine") -> bool:
        if kind == "role":
            roles = {str(r).lower() for r in creds.get("roles", ())}
            expected = _resolve(match, target)
            return expected is not _MISSING and str(expected).lower() in roles
        expected = _resolve(match, target)
        if expected is _MISSING:
            return False
        # Literal on the left: 'member':%(role.name)s
        if kind.startswith("'") and kind.endswith("'"):
            return str(kind[1:-1]) == str(expected)
        if kind == "is_admin":
            return bool(creds.get("is_admin")) is (str(expected).lower() in ("true", "1"))
        actual = _resolve(f"%({kind})s", creds)
        if actual is _MISSING or actual is None:
            return False
        if isinstance(actual, bool) or isinstance(expected, bool):
            return str(actual).lower() == str(expected).lower()
        return str(actual) == str(expected)

    return check


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*; and_expr := not_expr ('and' ...)*."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> Check:
        if not self.tokens:
            return lambda _t, _c, _e: True
        check = self._or()
        if self.pos != len(self.tokens):
            raise PolicyParseError(f"unexpected {self.tokens[self.pos]!r}")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self) -> Check:
        parts = [self._and()]
        while self._peek() == "or":
            self.pos += 1
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: any(p(t, c, e) for p in parts)

    def _and(self) -> Check:
        parts = [self._not()]
        while self._peek() == "and":
            self.pos += 1
            parts.append(self._not())
        if len(parts) == 1:
            return parts[0]
        return lambda t, c, e: all(p(t, c, e) for p in parts)

    def _not(self) -> Check:
        if self._peek() == "not":
            self.pos += 1
            inner = self._not()
            return lambda t, c, e: not inner(t, c, e)
        return self._atom()

    def _atom(self) -> Check:
        token = self._peek()
        if token is None:
            raise PolicyParseError("unexpected end of rule")
        self.pos += 1
        if token == "(":
            inner = self._or()
            if self._peek() != ")":
                raise PolicyParseError("missing )")
            self.pos += 1
            return inner
        if token == "@":
            return lambda _t, _c, _e: True
        if token == "!":
            return lambda _t, _c, _e: False
        if ":" not in token:
            raise PolicyParseError(f"bad check {token!r}")
        kind, match = token.split(":", 1)
        if kind == "rule":
            return lambda t, c, e: e.check(match, t, c)
        return _generic_check(kind, match)


@dataclass
class PolicyEngine:
    """Evaluates rules by name; overrides from a YAML file win over registered defaults."""

    overrides_file: Path | None = None
    _compiled: dict[str, Check] = field(default_factory=dict)
    _overrides: dict[str, str] = field(default_factory=dict)
    _mtime: float | None = None

    def load(self) -> None:
        self._compiled.clear()
        self._overrides = {}
        self._mtime = None
        if self.overrides_file and self.overrides_file.is_file():
            self._mtime = self.overrides_file.stat().st_mtime
            data = yaml.safe_load(self.overrides_file.read_text()) or {}
            if isinstance(data, dict):
                self._overrides = {str(k): str(v) for k, v in data.items()}

    def _maybe_reload(self) -> None:
        if self.overrides_file is None:
            return
        try:
            mtime: float | None = self.overrides_file.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self.load()

    def check_str(self, name: str) -> str | None:
        if name in self._overrides:
            return self._overrides[name]
        rule = _REGISTRY.get(name)
        return rule.check_str if rule else None

    def _compiled_rule(self, name: str) -> Check:
        check = self._compiled.get(name)
        if check is None:
            text = self.check_str(name)
            # An unknown rule denies, as oslo.policy does for a missing rule: reference.
            check = _Parser(text).parse() if text is not None else (lambda _t, _c, _e: False)
            self._compiled[name] = check
        return check

    def check(self, name: str, target: Target, creds: Creds) -> bool:
        return self._compiled_rule(name)(target, creds, self)

    def enforce(self, name: str, target: Target, creds: Creds) -> bool:
        self._maybe_reload()
        if name not in _REGISTRY and name not in self._overrides:
            raise KeyError(f"policy {name!r} is not registered")
        return self.check(name, target, creds)


def parse(text: str) -> Check:
    """Compile a check string (exposed for tests and `stratus policy list` validation)."""
    return _Parser(text).parse()
