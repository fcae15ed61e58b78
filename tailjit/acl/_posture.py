"""Device posture: assertions about a device's attributes, postures and ``srcPosture``.

TAILSCALE_API.md §3.5:
- a posture (``"posture:<name>": [assertion, ...]``) holds when **all** its assertions hold;
  ``srcPosture: [p1, p2]`` holds when **any** listed posture holds;
- operators ``==``, ``!=``, ``IN``, ``NOT IN``, ``IS SET``, ``NOT SET``, and ``<``, ``<=``, ``>``,
  ``>=`` for numbers and the version attributes ``node:osVersion`` / ``node:tsVersion``, which
  compare as Tailscale versions;
- an attribute the device does not have fails every operator, ``!=`` and ``NOT IN`` included;
  only ``IS SET`` and ``NOT SET`` test presence (so ``NOT SET`` holds exactly when it is absent:
  the docs do not spell this interaction out, UNCONFIRMED);
- literals: booleans bare (``== true``), strings single-quoted, lists ``['a', 'b']``.

Word operators are accepted in any case (a doc example writes ``in``; UNCONFIRMED), and a bare
attribute (``"node:tsAutoUpdate"``, as in Tailscale's default policy template) means ``== true``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

AttrValue = str | bool | int | float
Literal = AttrValue | tuple[AttrValue, ...]

VERSION_ATTRIBUTES = frozenset({"node:osversion", "node:tsversion"})

_ASSERTION = re.compile(
    r"^\s*(?P<attr>[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_:.]+)"
    r"(?:\s+(?P<op>IS\s+SET|NOT\s+SET|NOT\s+IN|IN|==|!=|<=|>=|<|>)(?P<value>.*?))?\s*$",
    re.IGNORECASE,
)
_SCALAR = re.compile(
    r"\s*(?:'(?P<s>[^']*)'|\"(?P<d>[^\"]*)\"|(?P<n>-?[0-9]+(?:\.[0-9]+)?)|(?P<b>true|false))\s*"
)
_VERSION_PART = re.compile(r"[0-9]+")


class PostureError(ValueError):
    """An assertion that does not parse; the message says why."""


def _scalar(text: str) -> AttrValue:
    match = _SCALAR.fullmatch(text)
    if match is None:
        raise PostureError(f"invalid value {text.strip()!r}")
    if match["s"] is not None or match["d"] is not None:
        return match["s"] if match["s"] is not None else match["d"]
    if match["b"] is not None:
        return match["b"] == "true"
    number = match["n"]
    return float(number) if "." in number else int(number)


def _literal(text: str) -> Literal:
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        inner = stripped[1:-1].strip().rstrip(",")
        return tuple(_scalar(part) for part in inner.split(",")) if inner else ()
    return _scalar(stripped)


def version_key(text: str) -> tuple[int, ...]:
    """Tailscale-style version order: the dotted numbers before any ``-`` suffix, compared as
    numbers, missing parts as zero (``1.60`` == ``1.60.0`` < ``1.60.1`` < ``1.100``)."""
    head = re.split(r"[-+ ]", text.strip(), maxsplit=1)[0]
    parts = [int(m.group()) if (m := _VERSION_PART.match(p)) else 0 for p in head.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _same(a: AttrValue, b: AttrValue) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


@dataclass(frozen=True, slots=True)
class Assertion:
    """One line of a posture: ``<attribute> <operator> [<value>]``."""

    text: str
    attribute: str
    op: str
    value: Literal | None = None

    def holds(self, attrs: Mapping[str, AttrValue]) -> bool:
        present = self.attribute in attrs
        if self.op == "IS SET":
            return present
        if self.op == "NOT SET":
            return not present
        if not present:
            return False
        actual = attrs[self.attribute]
        value = self.value
        if self.op in ("IN", "NOT IN"):
            assert isinstance(value, tuple)
            found = any(_same(actual, v) for v in value)
            return found if self.op == "IN" else not found
        assert value is not None
        assert not isinstance(value, tuple)
        if self.op == "==":
            return _same(actual, value)
        if self.op == "!=":
            return not _same(actual, value)
        return _compare(self.attribute, actual, value, self.op)


def _compare(attribute: str, actual: AttrValue, value: AttrValue, op: str) -> bool:
    left: tuple[int, ...] | float
    right: tuple[int, ...] | float
    if attribute.lower() in VERSION_ATTRIBUTES:
        left, right = version_key(str(actual)), version_key(str(value))
    elif (
        isinstance(actual, int | float)
        and isinstance(value, int | float)
        and not isinstance(actual, bool)
        and not isinstance(value, bool)
    ):
        left, right = actual, value
    else:
        return False
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def parse_assertion(text: str) -> Assertion:
    """Parse one assertion; raise `PostureError` if it is not one."""
    match = _ASSERTION.match(text)
    if match is None:
        raise PostureError(f'invalid assertion "{text}"')
    attribute, op = match["attr"], match["op"]
    if op is None:
        return Assertion(text, attribute, "==", True)
    op = " ".join(op.upper().split())
    raw = match["value"] or ""
    if op in ("IS SET", "NOT SET"):
        if raw.strip():
            raise PostureError(f'invalid assertion "{text}": {op} takes no value')
        return Assertion(text, attribute, op)
    try:
        value = _literal(raw)
    except PostureError as exc:
        raise PostureError(f'invalid assertion "{text}": {exc}') from None
    if (op in ("IN", "NOT IN")) != isinstance(value, tuple):
        want = "a list" if op in ("IN", "NOT IN") else "a single value"
        raise PostureError(f'invalid assertion "{text}": {op} takes {want}')
    return Assertion(text, attribute, op, value)


@dataclass(frozen=True, slots=True)
class Posture:
    """A named posture: all of its assertions must hold."""

    name: str
    assertions: tuple[Assertion, ...]

    def holds(self, attrs: Mapping[str, AttrValue]) -> bool:
        return all(a.holds(attrs) for a in self.assertions)

    def failing(self, attrs: Mapping[str, AttrValue]) -> tuple[Assertion, ...]:
        """The assertions that do not hold for ``attrs``."""
        return tuple(a for a in self.assertions if not a.holds(attrs))
