"""The policy engine every service uses: oslo.policy rule syntax, defaults registered in code
by each service's ``policies.py``, overridden by ``<data_dir>/policy.yaml``.

Syntax: ``role:R``, ``rule:NAME``, ``is_admin:True``, ``system_scope:all``,
``project_id:%(project_id)s``, ``user_id:%(target.user.id)s``, literal matches
(``'member':%(role.name)s``), ``@`` (always), ``!`` (never), ``and``/``or``/``not``, parentheses.
"""

import re
import sys
import time
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
# Upstream every service has its own enforcer, so generic helper rules ("owner",
# "admin_or_owner", "context_is_admin", ...) mean different things in different services:
# Keystone's ``owner`` is the user, Neutron's the project. Each rule therefore belongs to the
# service that registered it, and ``rule:X`` inside it resolves in that service first.
_SCOPED: dict[tuple[str, str], Rule] = {}
_NAMESPACE: dict[str, str] = {}


def _caller_namespace() -> str:
    """``stratus.services.<name>...`` registering → ``<name>``; anything else → ``""``."""
    module = str(sys._getframe(2).f_globals.get("__name__", ""))
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["stratus", "services"] else ""


def register(rules: Iterable[Rule], *, namespace: str | None = None) -> None:
    ns = _caller_namespace() if namespace is None else namespace
    for rule in rules:
        _REGISTRY[rule.name] = rule
        _SCOPED[(ns, rule.name)] = rule
        _NAMESPACE[rule.name] = ns


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


_TEMPLATE_RE = re.compile(r"%\((.+)\)s")


def _lookup(key: str, mapping: Mapping[str, Any]) -> Any:
    """Dotted keys are looked up flat first (``target.user.id``), then nested."""
    if key in mapping:
        return mapping[key]
    value: Any = mapping
    for part in key.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value


_MISSING = object()


def _generic_check(kind: str, match: str) -> Check:
    """Compile one ``kind:match`` check; templates are parsed once, here, not per request."""
    template = _TEMPLATE_RE.fullmatch(match)
    key = template.group(1) if template else None

    def expected_of(target: Target) -> Any:
        return _lookup(key, target) if key is not None else match

    if kind == "role":
        if key is None:
            wanted = match.lower()
            # Credentials carry lower-cased role names (AuthInfo.credentials); the slow path
            # covers hand-made credentials.
            return lambda _t, creds, _e: (
                wanted in creds.get("roles", ())
                or wanted in {str(r).lower() for r in creds.get("roles", ())}
            )

        def role_check(target: Target, creds: Creds, _e: "PolicyEngine") -> bool:
            expected = expected_of(target)
            roles = {str(r).lower() for r in creds.get("roles", ())}
            return expected is not _MISSING and str(expected).lower() in roles

        return role_check
    if kind == "field":
        # Neutron's ``field:<collection>:<attribute>=<value>``, on the target resource.
        _collection, _, rest = match.partition(":")
        attribute, _, value = rest.partition("=")
        wanted_value = value.lower()
        return lambda target, _c, _e: (
            attribute in target and str(target[attribute]).lower() == wanted_value
        )
    if kind == "is_admin":
        truth = match.lower() in ("true", "1")
        return lambda _t, creds, _e: bool(creds.get("is_admin")) is truth
    if kind.startswith("'") and kind.endswith("'"):
        literal = kind[1:-1]

        def literal_check(target: Target, _c: Creds, _e: "PolicyEngine") -> bool:
            expected = expected_of(target)
            return expected is not _MISSING and literal == str(expected)

        return literal_check

    def attr_check(target: Target, creds: Creds, _e: "PolicyEngine") -> bool:
        expected = expected_of(target)
        if expected is _MISSING:
            return False
        actual = _lookup(kind, creds)
        if actual is _MISSING or actual is None:
            return False
        if isinstance(actual, bool) or isinstance(expected, bool):
            return str(actual).lower() == str(expected).lower()
        return str(actual) == str(expected)

    return attr_check


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*; and_expr := not_expr ('and' ...)*."""

    def __init__(self, text: str, namespace: str = "") -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.namespace = namespace

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
            ns = self.namespace
            return lambda t, c, e: e.check(match, t, c, namespace=ns)
        return _generic_check(kind, match)


@dataclass
class PolicyEngine:
    """Evaluates rules by name; overrides from a YAML file win over registered defaults."""

    overrides_file: Path | None = None
    _compiled: dict[tuple[str, str], Check] = field(default_factory=dict)
    _overrides: dict[str, str] = field(default_factory=dict)
    _mtime: float | None = None
    _checked_at: float = 0.0

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
        """Pick up edits of the override file, looking at most once a second."""
        if self.overrides_file is None:
            return
        now = time.monotonic()
        if now - self._checked_at < 1.0:
            return
        self._checked_at = now
        try:
            mtime: float | None = self.overrides_file.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self.load()

    def check_str(self, name: str, namespace: str | None = None) -> str | None:
        """The effective check string: the override file's, else the default of ``name`` in
        ``namespace`` (the service that registered ``name`` when not given)."""
        if name in self._overrides:
            return self._overrides[name]
        rule = self._default(name, namespace)
        return rule.check_str if rule else None

    @staticmethod
    def _default(name: str, namespace: str | None) -> Rule | None:
        if namespace is not None and (namespace, name) in _SCOPED:
            return _SCOPED[(namespace, name)]
        ns = _NAMESPACE.get(name)
        return _SCOPED.get((ns, name)) if ns is not None else None

    def _compiled_rule(self, name: str, namespace: str | None) -> Check:
        key = (namespace or "", name)
        check = self._compiled.get(key)
        if check is None:
            text = self.check_str(name, namespace)
            # References inside a rule resolve in the service the rule came from.
            home = namespace if (namespace, name) in _SCOPED else _NAMESPACE.get(name, "")
            # An unknown rule denies, as oslo.policy does for a missing rule: reference.
            check = (
                _Parser(text, home or "").parse()
                if text is not None
                else (lambda _t, _c, _e: False)
            )
            self._compiled[key] = check
        return check

    def check(
        self, name: str, target: Target, creds: Creds, *, namespace: str | None = None
    ) -> bool:
        return self._compiled_rule(name, namespace)(target, creds, self)

    def enforce(self, name: str, target: Target, creds: Creds) -> bool:
        self._maybe_reload()
        if name not in _REGISTRY and name not in self._overrides:
            raise KeyError(f"policy {name!r} is not registered")
        return self.check(name, target, creds)


def parse(text: str) -> Check:
    """Compile a check string (exposed for tests and `stratus policy list` validation)."""
    return _Parser(text).parse()
