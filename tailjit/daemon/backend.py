"""The daemon's side of the API's `tailjit.api.Backend` port, and the group directory.

Both answer from the tailnet as the reconcile loop last read it (`ReconcileLoop.view`), so an API
call never waits for the Tailscale API: targets are checked against the live policy's hosts and
tags (a grant naming what the policy does not define would make every later write fail
validation), device names become addresses, and what a grant newly opens is computed by the
evaluator on the live policy with and without the grant's entry.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tailjit import acl
from tailjit.daemon.identity import ScimService
from tailjit.daemon.loop import ReconcileLoop, TailnetView, acl_device, without_marked
from tailjit.errors import InvalidInput
from tailjit.hujson import HuJSONError, Value, parse
from tailjit.identity import IdentityEvent, Interaction
from tailjit.ids import GrantId, GroupName, HostAlias, Login
from tailjit.plan import (
    AddEntries,
    DeleteAttribute,
    DesiredGrant,
    LiveEntry,
    MarkerKind,
    Op,
    RemoveEntry,
    SyncGroup,
    grant_entry,
)
from tailjit.requests import GrantMode
from tailjit.store import Store
from tailjit.targets import Target, parse_target
from tailjit.workflow import Workflow

__all__ = ["DaemonBackend", "LiveDirectory", "op_json"]


@functools.lru_cache(maxsize=4)
def _decoded(policy: bytes) -> Mapping[str, Any]:
    try:
        found = parse(policy).to_python()
    except HuJSONError:
        return {}
    return found if isinstance(found, dict) else {}


def _policy_json(view: TailnetView | None) -> Mapping[str, Any]:
    """The live policy as JSON, decoded once per version (read it, never change it)."""
    return {} if view is None else _decoded(view.policy)


class LiveDirectory:
    """Group membership from the ``groups`` of the live tailnet policy (a `Directory`).

    Only logins count: a group inside a group or an autogroup is not expanded here. Parsed
    once per policy version the loop reads.
    """

    def __init__(self, view: Callable[[], TailnetView | None]) -> None:
        self._view = view
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._groups: dict[str, frozenset[Login]] = {}

    def members(self, group: GroupName) -> frozenset[Login]:
        view = self._view()
        with self._lock:
            if view is not None and view.etag != self._etag:
                self._groups = _groups_of(_policy_json(view))
                self._etag = view.etag
            return self._groups.get(str(group), frozenset())


def _groups_of(policy: Mapping[str, Any]) -> dict[str, frozenset[Login]]:
    groups = policy.get("groups")
    if not isinstance(groups, dict):
        return {}
    found: dict[str, frozenset[Login]] = {}
    for name, members in groups.items():
        logins = set()
        for member in members if isinstance(members, list) else ():
            try:
                logins.add(Login(member))
            except (InvalidInput, TypeError):
                continue
        found[name] = frozenset(logins)
    return found


class DaemonBackend:
    """`tailjit.api.Backend` over a running loop; ``workflow`` returns the current service."""

    def __init__(
        self,
        loop: ReconcileLoop,
        workflow: Callable[[], Workflow],
        *,
        identity: Callable[[Sequence[IdentityEvent]], None] = lambda events: None,
        scim: ScimService | None = None,
        slack: Callable[[Interaction], str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._loop = loop
        self._workflow = workflow
        self._identity = identity
        self._scim = scim
        self._slack = slack
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def identity(self, events: Sequence[IdentityEvent]) -> None:
        self._identity(events)

    def count_webhook(self, source: str, outcome: str, reason: str = "") -> None:
        self._loop.metrics.count_webhook(source, outcome, reason)

    def scim(
        self, method: str, path: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, Any] | None]:
        if self._scim is None:
            return 404, None
        result = self._scim.handle(method, path, query, body)
        return result.status, result.body

    def slack_click(self, click: Interaction) -> str:
        return "Slack is not configured" if self._slack is None else self._slack(click)

    def metrics(self) -> tuple[bytes, str]:
        return self._loop.metrics.render()

    @property
    def workflow(self) -> Workflow:
        return self._workflow()

    @property
    def store(self) -> Store:
        return self._loop.store

    def wake(self) -> None:
        self._loop.wake()

    def readiness(self) -> tuple[bool, str]:
        return self._loop.readiness()

    def _view(self) -> TailnetView:
        view = self._loop.view
        if view is None:
            raise InvalidInput(
                "target", "", "the daemon has not read the tailnet policy yet; try again shortly"
            )
        return view

    def resolve_target(self, text: str) -> Target:
        view = self._view()
        policy = _policy_json(view)
        try:
            target: Target | None = parse_target(text)
        except InvalidInput as error:
            target, refusal = None, error
        hosts = policy.get("hosts")
        known = isinstance(hosts, dict) and target is not None and str(target.host) in hosts
        if target is None or (isinstance(target.host, HostAlias) and not known):
            device = _by_device_name(text, view)  # a host alias wins over a device name
            if device is not None:
                return device
            if target is None:
                raise refusal
        _must_exist(target, policy, text)
        return target

    def opens(self, user: Login, target: Target) -> list[dict[str, Any]]:
        view = self._view()
        tailnet = acl.Tailnet(devices=tuple(acl_device(d) for d in view.devices))
        grant = DesiredGrant(
            GrantId.parse("00000000"),
            user,
            target,
            view.at + timedelta(hours=1),
            GrantMode.POLICY,
        )
        try:
            before = self._policy_for(view, user)
            after = before.add_all("/grants", [(None, grant_entry(grant), [])])
            diff = acl.diff(
                acl.Evaluator(before.pack(), tailnet), acl.Evaluator(after.pack(), tailnet), user
            )
        except (acl.PolicyError, acl.UnknownTarget, HuJSONError, ValueError) as error:
            raise InvalidInput("target", str(target), f"cannot evaluate it: {error}") from error
        return [
            {"src": str(user), "dst": f"{c.target}:{c.ports}", "proto": c.proto, "text": str(c)}
            for c in diff.opened
        ]

    def _policy_for(self, view: TailnetView, user: Login) -> Value:
        """The live policy as ``user`` sees it: tailjit's grants of other users left out (they
        cannot change what ``user`` reaches, and a policy with a thousand of them would be
        compiled twice per preview), with a ``grants`` array to add to."""

        def own_or_posture(entry: LiveEntry) -> bool:
            value = entry.value
            return entry.kind is not MarkerKind.GRANT or (
                isinstance(value, dict) and value.get("src") == [str(user)]
            )

        key = self._loop.settings.key
        tree = without_marked(view.policy, key=key, now=view.at, keep=own_or_posture)
        if tree.find("/grants") is None:
            tree = tree.set_member("", "grants", [])
        return tree

    def plan(self) -> Mapping[str, Any]:
        ops = self._loop.plan()
        return {
            "ops": [op_json(op) for op in ops],
            "summary": f"{len(ops)} operation(s)" if ops else "nothing to do",
        }


def op_json(op: Op) -> dict[str, Any]:
    """One planned operation as JSON, with a line for people under ``text``."""
    if isinstance(op, AddEntries):
        grant = op.desired
        return {
            "op": "add",
            "grant_id": str(grant.grant_id),
            "login": str(grant.login),
            "target": str(grant.target),
            "expires": _instant(grant.expires),
            "mode": str(grant.mode),
            "text": f"add grant {grant.grant_id}: {grant.login} -> {grant.target} until "
            f"{_instant(grant.expires)}",
        }
    if isinstance(op, RemoveEntry):
        return {
            "op": "remove",
            "pointer": op.pointer,
            "grant_id": None if op.grant_id is None else str(op.grant_id),
            "reason": op.reason,
            "text": f"remove {op.pointer} ({op.reason})",
        }
    if isinstance(op, SyncGroup):
        members = None if op.members is None else list(op.members)
        what = "release" if members is None else f"write {len(members)} member(s) to"
        return {
            "op": "sync-group",
            "group": op.name,
            "members": members,
            "reason": op.reason,
            "text": f"{what} {op.name} ({op.reason})",
        }
    if isinstance(op, DeleteAttribute):
        return {
            "op": "delete-attribute",
            "device": op.device_id,
            "key": op.key,
            "reason": op.reason,
            "text": f"delete {op.key} on {op.device_id} ({op.reason})",
        }
    return {
        "op": "set-attribute",
        "device": op.device_id,
        "key": op.key,
        "expiry": _instant(op.expiry),
        "text": f"set {op.key} on {op.device_id} until {_instant(op.expiry)}",
    }


def _instant(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _by_device_name(text: str, view: TailnetView) -> Target | None:
    """``text`` with a device name as its host replaced by the device's IPv4 address."""
    rest, colon, ports = text.rpartition(":")
    proto, _, host = rest.rpartition(":") if rest.count(":") == 1 else ("", "", rest)
    if not colon or not host:
        return None
    wanted = host.lower()
    for device in view.devices:
        names = {device.hostname.lower(), device.name.lower(), device.name.split(".")[0].lower()}
        if wanted in names and device.addresses:
            address = next((a for a in device.addresses if ":" not in a), device.addresses[0])
            spelled = address if ":" not in address else f"[{address}]"
            return parse_target(f"{proto + ':' if proto else ''}{spelled}:{ports}")
    return None


def _must_exist(target: Target, policy: Mapping[str, Any], text: str) -> None:
    """Refuse a host alias or tag the live policy does not define."""
    hosts, owners = policy.get("hosts"), policy.get("tagOwners")
    missing = target.undefined_in(
        hosts if isinstance(hosts, dict) else {}, owners if isinstance(owners, dict) else {}
    )
    if missing is not None:
        device = " (nor a device of that name)" if isinstance(target.host, HostAlias) else ""
        raise InvalidInput("target", text, missing + device)
