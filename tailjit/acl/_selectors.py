"""Selectors: what a name in ``src``, ``dst``, a test or a host alias stands for.

Each selector becomes either an identity *key* that endpoints carry (``*``, ``login:alice@x``,
``domain:x``, ``group:eng``, ``tag:prod``, ``autogroup:member``, ``role:admin``,
``autogroup:tagged``, ``autogroup:shared``, ``svc:db``), the special ``autogroup:self``, or a set
of address *prefixes* (IPs, CIDRs, host aliases, ``ipset:``, ``autogroup:internet``).
TAILSCALE_API.md §2.2-2.3 and DOC-SYNTAX: groups hold users only; ``user:*@<domain>`` selects a
domain's users; ``autogroup:members`` is the legacy spelling of ``autogroup:member``;
``autogroup:danger-all`` is everything.

`Names` resolves them against one policy's definitions and records an `Issue` (with Tailscale's
wording where known, e.g. ``src=tag not found: "tag:x"``) for anything undefined or malformed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tailjit.acl._addresses import INTERNET, AddressSet, Prefix, parse_prefix
from tailjit.acl._errors import Issue
from tailjit.acl._model import Policy

ROLES = frozenset({"owner", "admin", "it-admin", "network-admin", "billing-admin", "auditor"})
WILDCARD = "*"
SELF = "autogroup:self"


@dataclass(frozen=True, slots=True)
class Selector:
    """A resolved selector: its text, and the key or the prefixes it matches."""

    text: str
    key: str | None = None
    prefixes: tuple[Prefix, ...] = ()


def login_key(login: str) -> str:
    return "login:" + login.lower()


def is_login(name: str) -> bool:
    return "@" in name and not name.startswith(("group:", "tag:", "autogroup:", "ipset:", "svc:"))


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class Names:
    """The names one policy defines, and the selectors they resolve to."""

    def __init__(
        self,
        policy: Policy,
        place: Callable[[str], tuple[int, int]],
        internet: AddressSet = INTERNET,
    ) -> None:
        self.policy = policy
        self.internet = tuple(internet.prefixes())
        self.place = place
        self.issues: list[Issue] = []
        self.hosts: dict[str, tuple[Prefix, ...]] = {}
        self.ipsets: dict[str, tuple[Prefix, ...]] = {}
        self.groups_of: dict[str, set[str]] = {}
        """Lower-cased login to the groups it is a member of."""
        self.autogroups_seen: set[str] = set()
        self._define_hosts()
        self._define_groups()
        for name in policy.tag_owners:
            if not name.startswith("tag:") or name == "tag:":
                self.issue(
                    "invalid",
                    f"/tagOwners/{_escape(name)}",
                    f'tag names must start with "tag:": "{name}"',
                )
        self._define_ipsets()

    def issue(self, code: str, path: str, message: str) -> None:
        self.issues.append(Issue(code, path, message, *self.place(path)))

    # -- definitions -----------------------------------------------------------------------

    def _define_hosts(self) -> None:
        for name, value in self.policy.hosts.items():
            path = f"/hosts/{_escape(name)}"
            if "@" in name:
                self.issue(
                    "invalid",
                    path,
                    f'host names cannot include an @, please change the name for "{name}"',
                )
                continue
            prefix = parse_prefix(value)
            if prefix is None:
                self.issue("invalid", path, f'host "{name}": invalid IP address or CIDR "{value}"')
                continue
            self.hosts[name] = (prefix,)

    def _define_groups(self) -> None:
        for name, members in self.policy.groups.items():
            path = f"/groups/{_escape(name)}"
            if not name.startswith("group:") or name == "group:":
                self.issue("invalid", path, f'group "{name}": group names must start with "group:"')
            for i, member in enumerate(members):
                if not is_login(member):
                    self.issue(
                        "invalid",
                        f"{path}/{i}",
                        f'group "{name}": invalid member "{member}": groups contain users only',
                    )
                    continue
                self.groups_of.setdefault(member.lower(), set()).add(name)

    def _define_ipsets(self) -> None:
        resolving: list[str] = []

        def resolve(name: str) -> tuple[Prefix, ...]:
            if name in self.ipsets:
                return self.ipsets[name]
            if name in resolving:
                self.issue(
                    "invalid", f"/ipsets/{_escape(name)}", f'ipset "{name}": circular reference'
                )
                return ()
            resolving.append(name)
            result = AddressSet()
            for i, entry in enumerate(self.policy.ipsets[name]):
                path = f"/ipsets/{_escape(name)}/{i}"
                verb, _, operand = entry.strip().partition(" ")
                if verb not in ("add", "remove") or not operand.strip():
                    verb, operand = "add", entry
                operand = operand.strip()
                if operand.startswith("ipset:") and operand in self.policy.ipsets:
                    part = AddressSet(resolve(operand))
                else:
                    part = AddressSet(self._addresses(operand, path, "ipset") or ())
                if verb == "add":
                    result.update(part)
                else:
                    result.difference_update(part)
            resolving.pop()
            self.ipsets[name] = tuple(result.prefixes())
            return self.ipsets[name]

        for name in self.policy.ipsets:
            if not name.startswith("ipset:"):
                self.issue(
                    "invalid",
                    f"/ipsets/{_escape(name)}",
                    f'ipset names must start with "ipset:": "{name}"',
                )
            resolve(name)

    def _addresses(self, name: str, path: str, field: str) -> tuple[Prefix, ...] | None:
        """The prefixes an IP, CIDR, host alias, ipset or autogroup:internet stands for."""
        if name == "autogroup:internet":
            return self.internet
        if name in self.hosts:
            return self.hosts[name]
        if name.startswith("ipset:"):
            if name not in self.policy.ipsets:
                self.issue("undefined", path, f'{field}=ipset not found: "{name}"')
                return None
            return self.ipsets.get(name, ())
        prefix = parse_prefix(name) if name and (name[0].isdigit() or ":" in name) else None
        if prefix is not None:
            return (prefix,)
        if name not in self.policy.hosts:
            self.issue("undefined", path, f'{field}=host not found: "{name}"')
        return None

    # -- selectors --------------------------------------------------------------------------

    def selector(self, name: str, path: str, field: str, *, dst: bool = False) -> Selector | None:
        """Resolve one ``src``/``dst`` selector; None (and an issue) if it is not valid."""
        if name == WILDCARD:
            return Selector(name, key=WILDCARD)
        if is_login(name):
            if name.startswith("user:*@"):
                return Selector(name, key="domain:" + name[7:].lower())
            return Selector(name, key=login_key(name))
        kind, colon, rest = name.partition(":")
        if kind == "group" and colon:
            if name not in self.policy.groups:
                self.issue("undefined", path, f'{field}=group not found: "{name}"')
                return None
            return Selector(name, key=name)
        if kind == "tag" and colon:
            if name not in self.policy.tag_owners:
                self.issue("undefined", path, f'{field}=tag not found: "{name}"')
                return None
            return Selector(name, key=name)
        if kind == "svc" and colon and rest:
            if not dst:
                self.issue("invalid", path, f'{field}="{name}": services can only be destinations')
                return None
            return Selector(name, key=name)
        if kind == "autogroup" and colon:
            return self._autogroup(name, rest, path, field, dst=dst)
        prefixes = self._addresses(name, path, field)
        return None if prefixes is None else Selector(name, prefixes=prefixes)

    def _autogroup(
        self, name: str, rest: str, path: str, field: str, *, dst: bool
    ) -> Selector | None:
        self.autogroups_seen.add(rest)
        if rest in ("member", "members"):
            return Selector(name, key="autogroup:member")
        if rest in ROLES:
            return Selector(name, key="role:" + rest)
        if rest in ("tagged", "shared"):
            return Selector(name, key=name)
        if rest == "danger-all":
            return Selector(name, key=WILDCARD)
        if rest == "internet":
            return Selector(name, prefixes=self.internet)
        if rest == "self":
            if not dst:
                self.issue(
                    "invalid", path, f'{field}="{name}": autogroup:self can only be a destination'
                )
                return None
            return Selector(name, key=SELF)
        self.issue("undefined", path, f'{field}=autogroup not found: "{name}"')
        return None
