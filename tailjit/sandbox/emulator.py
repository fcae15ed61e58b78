"""`Emulator`: the emulated API as one object, with no web framework in it.

It owns the state, the access checker, the fault injector, the request log and the webhook
sender, dispatches a `Call` to its endpoint (authentication, scopes, tailnet name, error
mapping), and performs the changes that emit webhooks (policy saves, user changes) so that the
API and the admin path share them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tailjit.sandbox import webhooks
from tailjit.sandbox.acl_checker import AclChecker
from tailjit.sandbox.auth import authenticate, authorize
from tailjit.sandbox.checker import PolicyChecker
from tailjit.sandbox.errors import BadRequest, Forbidden, NotFound, SandboxError
from tailjit.sandbox.faults import FaultInjector, RequestLog
from tailjit.sandbox.messages import Call, Reply, error_reply, message_reply
from tailjit.sandbox.state import PolicyChange, SandboxState
from tailjit.sandbox.tailnet import ROLES

log = logging.getLogger(__name__)

Handler = Callable[["Emulator", Call], Reply]


@dataclass(frozen=True)
class Endpoint:
    """One route: ``auth`` is ``api`` (key or token, with ``scopes``), ``admin`` (the API key
    only) or ``none``."""

    method: str
    template: str
    handler: Handler
    scopes: tuple[str, ...] = ()
    auth: str = "api"


class Emulator:
    def __init__(
        self,
        state: SandboxState,
        *,
        checker: PolicyChecker | None = None,
        faults: FaultInjector | None = None,
        sender: webhooks.WebhookSender | None = None,
    ) -> None:
        self.state = state
        self.checker: PolicyChecker = checker or AclChecker()
        self.faults = faults or FaultInjector()
        self.requests = RequestLog()
        self.sender = sender

    def dispatch(self, endpoint: Endpoint, call: Call) -> Reply:
        """Authenticate, check scopes and the tailnet, run the handler, map errors to replies."""
        try:
            if endpoint.auth != "none":
                principal = authenticate(self.state, call.headers.get("authorization"))
                if endpoint.auth == "admin" and principal.kind != "api_key":
                    raise Forbidden("the admin path needs the sandbox's API key")
                authorize(principal, endpoint.scopes)
                call = replace(call, principal=principal)
            tailnet = call.params.get("tailnet")
            if tailnet is not None and tailnet not in (
                "-",
                self.state.tailnet,
                self.state.tailnet_id,
            ):
                raise NotFound("tailnet not found")
            return endpoint.handler(self, call)
        except SandboxError as exc:
            return error_reply(exc)
        except Exception:
            log.exception("sandbox: %s %s failed", call.method, call.path)
            return message_reply(500, "internal server error")

    # -- changes that emit webhooks ---------------------------------------------------------

    def emit(self, *events: dict[str, Any]) -> None:
        if self.sender is not None:
            self.sender.send(list(events))

    def actor(self, call: Call | None) -> str:
        principal = call.principal if call else None
        if principal is None or principal.kind == "api_key":
            return self.state.key_owner()
        return principal.name

    def policy_changed(self, change: PolicyChange, actor: str) -> None:
        if change.changed:
            self.emit(
                webhooks.policy_update(
                    change.old,
                    change.new,
                    actor=actor,
                    tailnet=self.state.tailnet,
                    when=self.state.clock(),
                )
            )

    def human_edit(self, kind: str) -> PolicyChange:
        """Edit the policy as a person in the admin console would (see `policy.human_edit`)."""
        change = self.state.apply_human_edit(kind)
        self.policy_changed(change, self.state.key_owner())
        return change

    def _user_event(
        self, kind: str, user: dict[str, Any], actor: str, old_role: str | None = None
    ) -> None:
        self.emit(
            webhooks.user_event(
                kind,
                user,
                actor=actor,
                tailnet=self.state.tailnet,
                when=self.state.clock(),
                old_role=old_role,
            )
        )

    def add_user(self, login: str, role: str, name: str, actor: str) -> dict[str, Any]:
        try:
            user = self.state.add_user(login, role, name)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        self._user_event("userCreated", user, actor)
        return user

    def set_role(self, ref: str, role: str, actor: str) -> dict[str, Any]:
        if role not in ROLES:
            raise BadRequest(f"invalid role {role!r}; one of {', '.join(ROLES)}")
        before, after = self.state.update_user(ref, role=role)
        if before["role"] != role:
            self._user_event("userRoleUpdated", after, actor, old_role=before["role"])
        return after

    def set_status(self, ref: str, status: str, actor: str) -> dict[str, Any]:
        before, after = self.state.update_user(ref, status=status)
        if before["status"] != status:
            kind = "userSuspended" if status == "suspended" else "userRestored"
            self._user_event(kind, after, actor)
        return after

    def delete_user(self, ref: str, actor: str) -> dict[str, Any]:
        user = self.state.delete_user(ref)
        self._user_event("userDeleted", user, actor)
        return user

    def add_device(
        self, user: str, hostname: str, tags: tuple[str, ...], os: str, actor: str
    ) -> dict[str, Any]:
        device = self.state.add_device(user, hostname, tags=tags, os=os)
        self.emit(
            webhooks.node_event(
                "nodeCreated",
                device,
                actor=actor,
                tailnet=self.state.tailnet,
                when=self.state.clock(),
            )
        )
        return device

    def delete_device(self, ref: str, actor: str) -> dict[str, Any]:
        device = self.state.delete_device(ref)
        self.emit(
            webhooks.node_event(
                "nodeDeleted",
                device,
                actor=actor,
                tailnet=self.state.tailnet,
                when=self.state.clock(),
            )
        )
        return device
