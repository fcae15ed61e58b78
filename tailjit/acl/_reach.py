"""What a user can reach, and what a policy change opens or closes for them.

``reach`` lists, rule by rule, every destination the user's (hypothetical) device may open
connections to, with the protocols and ports and the postures that gate it. ``diff`` compares
two policies' reach for one user, port range by port range: this is what an approver is shown
("this grant newly opens tag:prod tcp:5432 while posture:tailjit_g7 holds") and what proves
after expiry that access is gone. Destinations are compared in a canonical form (a tag, a
login, an autogroup, a CIDR), so a host alias and the address it names count as one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tailjit.acl._ports import ICMP, ICMPV6, PORTED, TCP, UDP, PortRange
from tailjit.acl._posture import AttrValue
from tailjit.acl._rules import Rule, RuleRef, Target
from tailjit.acl._selectors import SELF

if TYPE_CHECKING:
    from tailjit.acl._evaluator import EndpointRef, Evaluator

_PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmp", 132: "sctp"}


@dataclass(frozen=True, slots=True)
class Access:
    """One destination a user may reach through one rule."""

    target: str
    """The destination as the rule writes it (``tag:prod``, ``db-prod``, ``autogroup:self``)."""
    ports: str
    rule: RuleRef
    postures: tuple[str, ...] = ()
    """Postures of which one must hold (empty: none, or met by the attributes given)."""
    via: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "target": self.target,
            "ports": self.ports,
            "rule": f"{self.rule.section}[{self.rule.index}]",
            "line": self.rule.line,
        }
        if self.postures:
            out["srcPosture"] = list(self.postures)
        if self.via:
            out["via"] = list(self.via)
        return out


@dataclass(frozen=True, slots=True)
class Change:
    """A port range on a destination that a change opens or closes."""

    target: str
    proto: str
    ports: str
    postures: tuple[str, ...] = ()
    rules: tuple[RuleRef, ...] = ()
    """The rules (of the policy that has the access) that give it."""

    def __str__(self) -> str:
        condition = f" while {' or '.join(self.postures)}" if self.postures else ""
        return f"{self.target} {self.proto}:{self.ports}{condition}"


@dataclass(frozen=True, slots=True)
class ReachDiff:
    user: str
    opened: tuple[Change, ...]
    closed: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.opened or self.closed)


def _targets(
    evaluator: Evaluator, user: EndpointRef, attrs: Mapping[str, AttrValue] | None
) -> Iterator[tuple[Rule, Target, tuple[str, ...]]]:
    """The user's rules and their targets, with the postures still to be met."""
    side = evaluator._side(user, attrs)
    endpoint = side.endpoint
    sources = evaluator.rules.sources_of(endpoint)
    for rule_id in sorted(sources):
        rule = evaluator.rules.rules[rule_id]
        postures = tuple(p.name for p in rule.postures)
        if postures and attrs is not None:
            if not evaluator._posture(side, rule):
                continue
            postures = ()
        elif not endpoint.posture_checked:
            postures = ()
        for target in rule.targets:
            if target.selector.key == SELF and (endpoint.login is None or endpoint.tags):
                continue
            yield rule, target, postures


def reach(
    evaluator: Evaluator, user: EndpointRef, attrs: Mapping[str, AttrValue] | None = None
) -> tuple[Access, ...]:
    """Everything ``user`` may reach, rule by rule. With ``attrs``, only what those posture
    attributes allow; without, posture-gated access is listed with its postures."""
    return tuple(
        Access(
            target.selector.text,
            ", ".join(str(p) for p in target.ports),
            rule.ref,
            postures,
            rule.via,
        )
        for rule, target, postures in _targets(evaluator, user, attrs)
    )


def _canonical(target: Target) -> list[str]:
    selector = target.selector
    if selector.key is not None:
        key = selector.key
        if key.startswith("login:"):
            return [key[len("login:") :]]
        if key.startswith("domain:"):
            return ["user:*@" + key[len("domain:") :]]
        if key.startswith("role:"):
            return ["autogroup:" + key[len("role:") :]]
        return [key]
    if selector.text == "autogroup:internet":
        return [selector.text]
    return [str(p) for p in selector.prefixes]


Coverage = dict[tuple[str, tuple[str, ...], str], list[tuple[int, int, RuleRef]]]


def _intervals(ports: PortRange) -> list[tuple[str, int, int]]:
    out = []
    for proto in sorted(ports.protocols):
        name = _PROTO_NAMES.get(proto, f"proto {proto}")
        lo, hi = (ports.lo, ports.hi) if proto in PORTED else (0, 65535)
        if (name, lo, hi) not in out:
            out.append((name, lo, hi))
    return out


def coverage(evaluator: Evaluator, user: EndpointRef) -> Coverage:
    found: Coverage = {}
    for rule, target, postures in _targets(evaluator, user, None):
        for name in _canonical(target):
            for ports in target.ports:
                for proto, lo, hi in _intervals(ports):
                    found.setdefault((name, postures, proto), []).append((lo, hi, rule.ref))
    return found


def _merge(spans: list[tuple[int, int, RuleRef]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi, _ in sorted(spans, key=lambda s: (s[0], s[1])):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _subtract(have: list[tuple[int, int]], minus: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for lo, hi in have:
        start = lo
        for cut_lo, cut_hi in minus:
            if cut_hi < start or cut_lo > hi:
                continue
            if cut_lo > start:
                out.append((start, cut_lo - 1))
            start = max(start, cut_hi + 1)
            if start > hi:
                break
        if start <= hi:
            out.append((start, hi))
    return out


def _changes(mine: Coverage, theirs: Coverage) -> list[Change]:
    changes = []
    for key in sorted(mine):
        spans = mine[key]
        left = _subtract(_merge(spans), _merge(theirs.get(key, [])))
        target, postures, proto = key
        for lo, hi in left:
            rules = tuple(sorted({r for a, b, r in spans if a <= hi and b >= lo}, key=str))
            ports = "*" if (lo, hi) == (0, 65535) else (str(lo) if lo == hi else f"{lo}-{hi}")
            changes.append(Change(target, proto, ports, postures, rules))
    return changes


def diff(before: Evaluator, after: Evaluator, user: str) -> ReachDiff:
    """What ``after`` opens (``opened``) and closes (``closed``) for ``user`` compared with
    ``before``; access under a posture condition is compared with the same condition."""
    old, new = coverage(before, user), coverage(after, user)
    return ReachDiff(user, tuple(_changes(new, old)), tuple(_changes(old, new)))
