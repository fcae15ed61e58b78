"""Outbound webhooks, built and signed exactly as Tailscale does (TAILSCALE_API.md §7).

The body is a JSON array of events (events queued together go out in one request). The header
is ``Tailscale-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``,
where ``t`` is the time of the (first) event. Delivery runs on a background thread with a short
timeout and a few retries on failure; a failure is logged and recorded, never raised.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from tailjit.instants import format_instant, parse_instant
from tailjit.sandbox.config import WebhookTarget
from tailjit.sandbox.tailnet import ROLE_TITLES

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Tailscale-Webhook-Signature"
ADMIN_URL = "https://login.tailscale.com/admin"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event(
    kind: str, *, tailnet: str, message: str, data: Mapping[str, Any] | None, when: datetime
) -> dict[str, Any]:
    return {
        "timestamp": format_instant(when),
        "version": 1,
        "type": kind,
        "tailnet": tailnet,
        "message": message,
        "data": dict(data) if data is not None else None,
    }


def policy_update(
    old: bytes, new: bytes, *, actor: str, tailnet: str, when: datetime
) -> dict[str, Any]:
    data = {
        "newPolicy": new.decode("utf-8", "replace"),
        "oldPolicy": old.decode("utf-8", "replace"),
        "url": f"{ADMIN_URL}/acls",
        "actor": actor,
    }
    return event(
        "policyUpdate", tailnet=tailnet, message="Tailnet policy file updated", data=data, when=when
    )


def user_event(
    kind: str,
    user: Mapping[str, Any],
    *,
    actor: str,
    tailnet: str,
    when: datetime,
    old_role: str | None = None,
) -> dict[str, Any]:
    """A ``user*`` event: Created, Suspended, Restored, Deleted or RoleUpdated."""
    login = user["loginName"]
    data: dict[str, Any] = {
        "user": login,
        "url": f"{ADMIN_URL}/users?q={urllib.parse.quote(login, safe='')}",
        "actor": actor,
    }
    verb = {
        "userCreated": "created",
        "userSuspended": "suspended",
        "userRestored": "restored",
        "userDeleted": "deleted",
        "userRoleUpdated": "role changed",
    }[kind]
    if kind == "userRoleUpdated":
        data["oldRoles"] = [ROLE_TITLES[old_role or "member"]]
        data["newRoles"] = [ROLE_TITLES[user["role"]]]
    return event(kind, tailnet=tailnet, message=f"User {login} {verb}", data=data, when=when)


def node_event(
    kind: str, device: Mapping[str, Any], *, actor: str, tailnet: str, when: datetime
) -> dict[str, Any]:
    """``nodeCreated`` or ``nodeDeleted``."""
    data = {
        "nodeID": device["nodeId"],
        "deviceName": device["name"],
        "managedBy": ", ".join(device["tags"]) or device["user"],
        "actor": actor,
        "url": f"{ADMIN_URL}/machines/{device['addresses'][0]}",
    }
    verb = "created" if kind == "nodeCreated" else "deleted"
    return event(
        kind, tailnet=tailnet, message=f"Node {device['name']} {verb}", data=data, when=when
    )


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: where, how many events, and the status or the error."""

    url: str
    events: int
    attempt: int
    status: int | None
    error: str | None


class WebhookSender:
    """Delivers events to every target from one background thread."""

    def __init__(
        self,
        targets: Sequence[WebhookTarget],
        *,
        timeout: float = 2.0,
        attempts: int = 3,
        retry_wait: float = 0.2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.targets = tuple(targets)
        self._attempts = max(1, attempts)
        self._retry_wait = retry_wait
        self._timeout, self._transport = timeout, transport
        self._client: httpx.Client | None = None  # made on first delivery (loading CAs is slow)
        self._queue: queue.Queue[list[dict[str, Any]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._deliveries: list[Delivery] = []
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._client is not None:
            self._client.close()

    def send(self, events: list[dict[str, Any]]) -> None:
        if not self.targets or not events:
            return
        with self._idle:
            self._pending += 1
        self._queue.put(events)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been delivered or given up on."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def deliveries(self) -> list[Delivery]:
        with self._idle:
            return list(self._deliveries)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            taken = 1
            while True:  # batch whatever else is already queued, as Tailscale may
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch = batch + more
                taken += 1
            try:
                for target in self.targets:
                    self._deliver(target, batch)
            except Exception:  # the sender must outlive any bug in one delivery
                log.exception("webhook delivery failed unexpectedly")
            with self._idle:
                self._pending -= taken
                self._idle.notify_all()

    def _deliver(self, target: WebhookTarget, events: list[dict[str, Any]]) -> None:
        body = json.dumps(events, separators=(",", ":")).encode()
        timestamp = int(parse_instant(events[0]["timestamp"]).timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(target.secret, timestamp, body),
        }
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout, transport=self._transport)
        for attempt in range(1, self._attempts + 1):
            status: int | None = None
            error: str | None = None
            try:
                status = self._client.post(target.url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with self._idle:
                self._deliveries.append(Delivery(target.url, len(events), attempt, status, error))
            if status is not None and 200 <= status < 300:
                return
            log.warning(
                "webhook to %s failed (attempt %d): %s",
                target.url,
                attempt,
                error or f"HTTP {status}",
            )
            if self._stopping.wait(self._retry_wait * 2 ** (attempt - 1)):
                return
