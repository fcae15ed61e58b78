"""The sandbox's access evaluator, backed by `tailjit.acl`: tests on save, preview, and checks.

`AclChecker` is the default `PolicyChecker`: it runs a policy's ``tests`` and ``sshTests`` on
every save and validate (the endpoints turn failures into 400 on POST and a 200 ``message`` on
validate, as Tailscale does), and answers ``/acl/preview``. `check_access` serves the sandbox-only
``GET /sandbox/check?user=...&dst=host:port[&proto=tcp]``: may this user's devices reach
``host:port`` right now, each with its current posture attributes (never, while the user is
suspended).

The tailnet the evaluator sees is the sandbox's own (`tailnet_of`): users with their roles,
devices with owner, tags, addresses, approved routes, and attributes, ``node:os`` and
``node:tsVersion`` derived from the device record as Tailscale reports them. Logins the sandbox
does not know count as plain members, so a posted policy's tests about hypothetical users run as
their author meant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tailjit import acl
from tailjit.hujson import JSON
from tailjit.sandbox.checker import PolicyTest, SshTest, TailnetView, TestFailure
from tailjit.sandbox.errors import BadRequest, NotFound
from tailjit.sandbox.messages import Call, Reply, json_reply
from tailjit.sandbox.policy import PolicyRejected, check_policy

if TYPE_CHECKING:
    from tailjit.sandbox.emulator import Emulator

_OS_NAMES = {"macos": "macos", "ios": "ios", "windows": "windows", "linux": "linux"}


class SourcedPolicy(dict[str, Any]):
    """A checked policy's value that also carries its text, so previews have line numbers."""

    def __init__(self, data: Mapping[str, Any], source: bytes) -> None:
        super().__init__(data)
        self.source = source


def _attributes(device: Mapping[str, Any], custom: Mapping[str, JSON]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    os = str(device.get("os") or "").lower()
    if os:
        attributes["node:os"] = _OS_NAMES.get(os, os)
    version = str(device.get("clientVersion") or "")
    if version:
        attributes["node:tsVersion"] = version.split("-")[0]
    attributes.update({k: v for k, v in custom.items() if isinstance(v, str | int | float)})
    return attributes


def tailnet_of(view: TailnetView) -> acl.Tailnet:
    """The sandbox's users, devices and attributes as the evaluator's `Tailnet`."""
    users = []
    for user in view.users:
        try:
            users.append(
                acl.User(user["loginName"], user.get("role", "member"), user.get("type", "member"))
            )
        except ValueError:
            continue
    devices = []
    routes: list[str] = []
    for device in view.devices:
        custom = view.attributes.get(device.get("nodeId", ""), {})
        devices.append(
            acl.Device(
                device.get("hostname") or device.get("name", ""),
                tuple(device.get("addresses") or ()),
                user=device.get("user"),
                tags=tuple(device.get("tags") or ()),
                attributes=_attributes(device, custom),
                node_id=device.get("nodeId", ""),
                external=bool(device.get("isExternal")),
            )
        )
        routes.extend(r for r in device.get("enabledRoutes") or () if not r.endswith("/0"))
    return acl.Tailnet(tuple(users), tuple(devices), routes=tuple(routes))


def _policy(policy: Mapping[str, Any]) -> acl.Policy:
    if isinstance(policy, SourcedPolicy):
        return acl.load(policy.source)
    return acl.from_value(policy)


def _issues(exc: acl.PolicyError) -> list[TestFailure]:
    return [TestFailure(user="policy", errors=tuple(str(i) for i in exc.issues))]


class AclChecker:
    """A `PolicyChecker` that evaluates access with `tailjit.acl`; thread-safe (nothing shared)."""

    def run_tests(
        self,
        policy: Mapping[str, Any],
        tests: Sequence[PolicyTest],
        ssh_tests: Sequence[SshTest],
        *,
        tailnet: TailnetView,
    ) -> list[TestFailure]:
        if not tests and not ssh_tests:
            return []
        try:
            evaluator = acl.Evaluator(
                _policy({**policy, "tests": [], "sshTests": []}), tailnet_of(tailnet)
            )
        except acl.PolicyError as exc:
            return _issues(exc)
        results = evaluator.run_tests([_network_test(t) for t in tests])
        results += evaluator.run_ssh_tests([_ssh_test(t) for t in ssh_tests])
        return [TestFailure(user=r.src, errors=r.errors) for r in results if r.errors]

    def preview(
        self, policy: Mapping[str, Any], *, kind: str, preview_for: str, tailnet: TailnetView
    ) -> JSON:
        try:
            evaluator = acl.Evaluator(_policy(policy), tailnet_of(tailnet))
            matches = acl.preview(evaluator, kind, preview_for)
        except acl.PolicyError as exc:
            raise BadRequest(str(exc)) from exc
        except (acl.UnknownTarget, ValueError) as exc:
            raise BadRequest(str(exc)) from exc
        found: list[JSON] = []
        for match in matches:
            item: dict[str, JSON] = {
                "users": list(match.users),
                "ports": list(match.ports),
                "lineNumber": match.line,
            }
            if match.postures:
                item["postures"] = list(match.postures)
            found.append(item)
        return {"matches": found, "type": kind, "previewFor": preview_for}


def _network_test(test: PolicyTest) -> acl.PolicyTest:
    return acl.PolicyTest.model_validate(
        {
            "src": test.src,
            "accept": list(test.accept),
            "deny": list(test.deny),
            "proto": test.proto,
            "srcPostureAttrs": dict(test.src_posture_attrs),
        }
    )


def _ssh_test(test: SshTest) -> acl.SshTest:
    return acl.SshTest.model_validate(
        {
            "src": test.src,
            "dst": list(test.dst),
            "accept": list(test.accept),
            "check": list(test.check),
            "deny": list(test.deny),
            "srcPostureAttrs": dict(test.src_posture_attrs),
        }
    )


def check_access(emu: Emulator, call: Call) -> Reply:
    """``GET /sandbox/check``: may each of ``user``'s devices reach ``dst`` (``host:port``) now?"""
    user, dst, proto = call.arg("user"), call.arg("dst"), call.arg("proto") or "tcp"
    if not user or not dst:
        raise BadRequest("user and dst (host:port) are required")
    host, colon, port = dst.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise BadRequest(f'dst "{dst}" must be host:port')
    try:
        policy = check_policy(emu.state.policy_snapshot()[0])
        view = emu.state.view()
        evaluator = acl.Evaluator(acl.load(policy.text), tailnet_of(view))
    except (PolicyRejected, acl.PolicyError) as exc:
        raise BadRequest(f"the current policy cannot be evaluated: {exc}") from exc
    record = next((u for u in view.users if u["loginName"].lower() == user.lower()), None)
    if record is None:
        raise NotFound(f"user {user!r} not found")
    status = record.get("status", "active")
    owned = [
        d
        for d in evaluator.tailnet.devices
        if d.user and d.user.lower() == user.lower() and not d.tags
    ]
    devices = []
    try:
        for device in owned:
            decision = evaluator.may(device, host.strip("[]"), int(port), proto)
            answer = decision.to_json()
            if status != "active":  # a suspended user's devices cannot connect at all
                answer["allowed"], answer["verdict"] = False, "Drop"
            devices.append({"device": device.name, "nodeId": device.node_id, **answer})
    except (acl.UnknownTarget, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    return json_reply(
        {
            "user": user,
            "status": status,
            "dst": dst,
            "proto": proto,
            "allowed": any(d["allowed"] for d in devices),
            "devices": devices,
        }
    )
