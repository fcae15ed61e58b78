"""A policy compiled for questions: its access rules, every issue, and indexes by source and
destination.

``grants`` and legacy ``acls`` become the same `Rule`: sources, targets (a destination selector
with the protocols and ports it opens), the postures that gate it, and where it is in the file.
Grants are a union (TAILSCALE_API.md §2.2): there is no deny and no order, so the question "may
A reach B" is "is there a rule whose sources hold A and whose targets hold B on that port". The
indexes answer it without scanning: sources and targets are filed under the identity key or the
address prefixes of their selector, and an endpoint looks up only its own keys and addresses.

``app``-only grants open no network access; ``via`` restricts which router carries the traffic,
not whether the pair may talk, so it is reported but not evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from tailjit.acl._addresses import INTERNET, AddressSet, PrefixIndex, parse_prefix
from tailjit.acl._endpoints import Endpoint
from tailjit.acl._errors import Issue
from tailjit.acl._model import Acl, Grant, Policy
from tailjit.acl._ports import (
    PORTED,
    PortError,
    PortRange,
    acl_ports,
    grant_ip,
    split_hostport,
)
from tailjit.acl._posture import Posture, PostureError, parse_assertion
from tailjit.acl._selectors import Names, Selector


@dataclass(frozen=True, slots=True)
class RuleRef:
    """Where a rule is: ``grants[3]`` or ``acls[0]``, and its line (0 without the text)."""

    section: str
    index: int
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.section}[{self.index}]"
        return f"{where} (line {self.line})" if self.line else where


@dataclass(frozen=True)
class Target:
    """One destination of a rule: its selector, the ports it opens, and how it was written."""

    rule: int
    selector: Selector
    ports: tuple[PortRange, ...]
    text: str

    def allows(self, proto: int, port: int) -> bool:
        for r in self.ports:
            if proto in r.protocols and (proto not in PORTED or r.lo <= port <= r.hi):
                return True
        return False

    @cached_property
    def ports_text(self) -> str:
        return ", ".join(str(p) for p in self.ports)


@dataclass(frozen=True, slots=True)
class Rule:
    ref: RuleRef
    sources: tuple[Selector, ...]
    targets: tuple[Target, ...]
    postures: tuple[Posture, ...]
    """Any of these must hold for the source (empty: no posture condition)."""
    via: tuple[str, ...] = ()


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def internet_for(routes: Iterable[str]) -> AddressSet:
    """``autogroup:internet`` less a tailnet's subnet routes (see `Tailnet.routes`)."""
    internet = AddressSet(INTERNET.prefixes())
    for route in routes:
        prefix = parse_prefix(route)
        if prefix is not None and prefix.length > 0:
            internet.remove(prefix)
    return internet


class Rules:
    """The compiled rules of one policy and their indexes; ``issues`` lists what is wrong."""

    def __init__(self, policy: Policy, internet: AddressSet = INTERNET) -> None:
        source = policy.source
        self.place: Callable[[str], tuple[int, int]] = (
            source.position if source is not None else (lambda path: (0, 0))
        )
        self.names = Names(policy, self.place, internet)
        self.issues: list[Issue] = self.names.issues
        self.policy = policy
        self.postures = self._postures()
        default = self._posture_refs(
            policy.default_src_posture, "/defaultSrcPosture", "defaultSrcPosture"
        )
        self.default_postures = default
        self.rules: list[Rule] = []
        lines = source.element_lines("/grants") if source else []
        for i, grant in enumerate(policy.grants):
            self._grant(i, grant, lines[i] if i < len(lines) else 0)
        lines = source.element_lines("/acls") if source else []
        for i, acl in enumerate(policy.acls):
            self._acl(i, acl, lines[i] if i < len(lines) else 0)
        if {"member", "members"} <= self.names.autogroups_seen:
            self.issue("invalid", "", "autogroup:member and autogroup:members cannot both be used")
        self._index()

    def issue(self, code: str, path: str, message: str) -> None:
        self.issues.append(Issue(code, path, message, *self.place(path)))

    # -- postures ---------------------------------------------------------------------------

    def _postures(self) -> dict[str, Posture]:
        postures = {}
        for name, lines in self.policy.postures.items():
            path = f"/postures/{_escape(name)}"
            if not name.startswith("posture:"):
                self.issue("invalid", path, f'posture names must start with "posture:": "{name}"')
            assertions = []
            for i, text in enumerate(lines):
                try:
                    assertions.append(parse_assertion(text))
                except PostureError as exc:
                    self.issue("invalid", f"{path}/{i}", f'posture "{name}": {exc}')
            postures[name] = Posture(name, tuple(assertions))
        return postures

    def _posture_refs(self, names: Iterable[str], path: str, field: str) -> tuple[Posture, ...]:
        found = []
        for i, name in enumerate(names):
            posture = self.postures.get(name)
            if posture is None:
                self.issue("undefined", f"{path}/{i}", f'{field}=posture not found: "{name}"')
            else:
                found.append(posture)
        return tuple(found)

    def _rule_postures(self, names: tuple[str, ...], path: str) -> tuple[Posture, ...]:
        """A rule's own ``srcPosture`` replaces ``defaultSrcPosture`` (it is not added to it)."""
        if names:
            return self._posture_refs(names, f"{path}/srcPosture", "srcPosture")
        return self.default_postures

    # -- rules ------------------------------------------------------------------------------

    def _sources(self, names: Iterable[str], path: str) -> tuple[Selector, ...]:
        found = (self.names.selector(n, f"{path}/{i}", "src") for i, n in enumerate(names))
        return tuple(s for s in found if s is not None)

    def _grant(self, index: int, grant: Grant, line: int) -> None:
        path = f"/grants/{index}"
        if not grant.src:
            self.issue("invalid", f"{path}/src", "grant: src must be a non-empty list")
        if not grant.dst:
            self.issue("invalid", f"{path}/dst", "grant: dst must be a non-empty list")
        if grant.ip is None and grant.app is None:
            self.issue("invalid", path, "grant: must specify ip, app, or both")
        ports = []
        for i, entry in enumerate(grant.ip or ()):
            try:
                ports.append(grant_ip(entry))
            except PortError as exc:
                self.issue("invalid", f"{path}/ip/{i}", f'ip="{entry}": {exc}')
        for i, via in enumerate(grant.via):
            if not via.startswith("tag:"):
                self.issue(
                    "invalid", f"{path}/via/{i}", f'via="{via}": only tags may be used in via'
                )
            else:
                self.names.selector(via, f"{path}/via/{i}", "via")
        sources = self._sources(grant.src, f"{path}/src")
        postures = self._rule_postures(grant.src_posture, path)
        rule_id = len(self.rules)
        targets = []
        for i, name in enumerate(grant.dst):
            selector = self.names.selector(name, f"{path}/dst/{i}", "dst", dst=True)
            if selector is not None and ports:
                targets.append(Target(rule_id, selector, tuple(ports), name))
        ref = RuleRef("grants", index, line)
        self.rules.append(Rule(ref, sources, tuple(targets), postures, grant.via))

    def _acl(self, index: int, acl: Acl, line: int) -> None:
        path = f"/acls/{index}"
        if acl.action != "accept":
            self.issue(
                "invalid", f"{path}/action", f'action="{acl.action}": only "accept" is supported'
            )
        dst_field = "dst" if acl.dst is not None else "ports"
        sources = self._sources(acl.sources, f"{path}/{'src' if acl.src is not None else 'users'}")
        postures = self._rule_postures(acl.src_posture, path)
        rule_id = len(self.rules)
        targets = []
        for i, text in enumerate(acl.destinations):
            where = f"{path}/{dst_field}/{i}"
            parts = split_hostport(text)
            if parts is None:
                self.issue("invalid", where, f'dst="{text}": hostport must contain a colon (":")')
                continue
            try:
                ports = acl_ports(parts[1], acl.proto)
            except PortError as exc:
                self.issue("invalid", where, f'dst="{text}": {exc}')
                continue
            selector = self.names.selector(parts[0], where, "dst", dst=True)
            if selector is not None:
                targets.append(Target(rule_id, selector, ports, text))
        self.rules.append(Rule(RuleRef("acls", index, line), sources, tuple(targets), postures))

    # -- indexes ----------------------------------------------------------------------------

    def _index(self) -> None:
        self.src_by_key: dict[str, list[tuple[int, Selector]]] = {}
        self.src_by_prefix: PrefixIndex[tuple[int, Selector]] = PrefixIndex()
        self.dst_by_key: dict[str, list[Target]] = {}
        self.dst_by_prefix: PrefixIndex[Target] = PrefixIndex()
        for rule_id, rule in enumerate(self.rules):
            if not rule.targets:
                continue
            for selector in rule.sources:
                if selector.key is not None:
                    self.src_by_key.setdefault(selector.key, []).append((rule_id, selector))
                for prefix in selector.prefixes:
                    self.src_by_prefix.add(prefix, (rule_id, selector))
            for target in rule.targets:
                if target.selector.key is not None:
                    self.dst_by_key.setdefault(target.selector.key, []).append(target)
                for prefix in target.selector.prefixes:
                    self.dst_by_prefix.add(prefix, target)

    def sources_of(self, endpoint: Endpoint) -> dict[int, Selector]:
        """The rules whose sources hold ``endpoint``, each with the selector that does."""
        found: dict[int, Selector] = {}
        by_key = self.src_by_key
        for key in endpoint.keys:
            for rule_id, selector in by_key.get(key, ()):
                found.setdefault(rule_id, selector)
        for prefix in endpoint.addresses:
            for rule_id, selector in self.src_by_prefix.lookup(prefix):
                found.setdefault(rule_id, selector)
        return found

    def targets_of(self, endpoint: Endpoint) -> dict[int, list[Target]]:
        """The targets that hold ``endpoint``, by rule."""
        found: dict[int, list[Target]] = {}
        by_key = self.dst_by_key
        for key in endpoint.keys:
            for target in by_key.get(key, ()):
                found.setdefault(target.rule, []).append(target)
        for prefix in endpoint.addresses:
            for target in self.dst_by_prefix.lookup(prefix):
                same_rule = found.setdefault(target.rule, [])
                if target not in same_rule:
                    same_rule.append(target)
        return found
