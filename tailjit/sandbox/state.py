"""`SandboxState`: the emulated tailnet in memory, guarded by one lock, saved on every change.

Requests are served concurrently, so every read and write takes the lock; every change is
written to the state directory (atomically) before the lock is released, so a restart, or a
crash at any instant, finds the last answered state. Expired attributes and tokens are swept
at the start of every operation, against the injected clock.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tailjit.instants import format_instant, parse_instant
from tailjit.sandbox.attributes import AttributeTable, attributes_body, check_key, parse_expiry
from tailjit.sandbox.checker import TailnetView
from tailjit.sandbox.clock import Clock
from tailjit.sandbox.config import (
    DEFAULT_TAILNET,
    DEFAULT_TAILNET_ID,
    OAuthClient,
    SandboxConfig,
    new_api_key,
    random_token,
)
from tailjit.sandbox.errors import NotFound, PreconditionFailed
from tailjit.sandbox.policy import DEFAULT_POLICY, TS_DEFAULT, etag, human_edit
from tailjit.sandbox.seed import SeedContent, seed_content
from tailjit.sandbox.store import StateDir
from tailjit.sandbox.tailnet import make_device, make_user


@dataclass(frozen=True)
class PolicyChange:
    old: bytes
    new: bytes

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class Principal:
    """Who is calling: the API key (all scopes) or an OAuth client's token (its scopes)."""

    kind: str  # "api_key" | "oauth"
    name: str  # the key's owner login, or the OAuth client id
    scopes: tuple[str, ...]


class SandboxState:
    """Users, devices, attributes, policy, credentials. Create with `SandboxState.open`."""

    def __init__(
        self,
        files: StateDir,
        data: dict[str, Any],
        policy: bytes,
        *,
        clock: Clock,
        config: SandboxConfig,
    ) -> None:
        self.files = files
        self.clock = clock
        self.config = config
        self.lock = threading.RLock()
        self.policy = policy
        self.policy_is_default: bool = data["policy_is_default"]
        self.tailnet: str = data["tailnet"]
        self.tailnet_id: str = data["tailnet_id"]
        self.api_key: str = data["api_key"]
        self.oauth_clients = [
            OAuthClient(c["client_id"], c["client_secret"], tuple(c["scopes"]))
            for c in data["oauth_clients"]
        ]
        self.tokens: dict[str, dict[str, Any]] = data["tokens"]
        self.users: list[dict[str, Any]] = data["users"]
        self.devices: list[dict[str, Any]] = data["devices"]
        self.attributes = AttributeTable.from_json(data["attributes"])
        self.counters: dict[str, int] = data["counters"]

    @classmethod
    def open(
        cls,
        directory: Path | StateDir,
        *,
        clock: Clock,
        config: SandboxConfig | None = None,
        seed: str = "demo",
        policy: bytes | None = None,
    ) -> SandboxState:
        """Load the state in ``directory``, or create it from ``seed`` (and ``policy``).

        ``seed`` and ``policy`` only apply to a directory that holds no state yet. The caller
        must have checked ``policy`` (see `policy.check_policy`).
        """
        config = config or SandboxConfig()
        files = directory if isinstance(directory, StateDir) else StateDir(directory)
        if files.initialized():
            text, data = files.load()
        else:
            content = seed_content(seed, tailnet_id=DEFAULT_TAILNET_ID, now=clock())
            text, data = _fresh(content, policy)
        if config.api_key is not None:
            data["api_key"] = config.api_key
        if config.oauth_clients is not None:
            data["oauth_clients"] = [c.to_json() for c in config.oauth_clients]
        state = cls(files, data, text, clock=clock, config=config)
        with state.lock:
            files.save_policy(state.policy)
            state._save()
        return state

    # -- persistence ------------------------------------------------------------------------

    def _save(self) -> None:
        self.files.save_state(
            {
                "version": 1,
                "policy_is_default": self.policy_is_default,
                "tailnet": self.tailnet,
                "tailnet_id": self.tailnet_id,
                "api_key": self.api_key,
                "oauth_clients": [c.to_json() for c in self.oauth_clients],
                "tokens": self.tokens,
                "users": self.users,
                "devices": self.devices,
                "attributes": self.attributes.to_json(),
                "counters": self.counters,
            }
        )

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the lock, sweep what expired, and save once the block has changed things."""
        with self.lock:
            self._sweep()
            yield
            self._save()

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self.lock:
            self._sweep()
            yield

    def _sweep(self) -> None:
        now = self.clock()
        removed = self.attributes.sweep(now, self.config.attribute_expiry_lag)
        stale = [t for t, info in self.tokens.items() if parse_instant(info["expires"]) <= now]
        for token in stale:
            del self.tokens[token]
        if removed or stale:
            self._save()

    # -- policy -----------------------------------------------------------------------------

    def policy_snapshot(self) -> tuple[bytes, str]:
        with self.reading():
            return self.policy, etag(self.policy)

    def replace_policy(
        self,
        text: bytes | None,
        if_match: str | None,
        check: Callable[[bytes], None] = lambda text: None,
    ) -> PolicyChange:
        """Compare-and-swap the policy. ``text`` None resets it to the default.

        ``if_match`` must equal the current quoted ETag, or be ``"ts-default"`` while the policy
        is the untouched default; then ``check`` runs (it raises to refuse the text).
        """
        with self.changing():
            if if_match is not None and not (
                if_match == etag(self.policy) or (if_match == TS_DEFAULT and self.policy_is_default)
            ):
                raise PreconditionFailed()
            new = DEFAULT_POLICY if text is None else text
            check(new)
            change = PolicyChange(self.policy, new)
            if change.changed or text is None:
                self.files.save_policy(new)
                self.policy = new
                self.policy_is_default = text is None
            return change

    def apply_human_edit(self, kind: str) -> PolicyChange:
        with self.changing():
            self.counters["edits"] = self.counters.get("edits", 0) + 1
            new = human_edit(self.policy, self.counters["edits"], kind)
            change = PolicyChange(self.policy, new)
            self.files.save_policy(new)
            self.policy, self.policy_is_default = new, False
            return change

    # -- users and devices ------------------------------------------------------------------

    def find_user(self, ref: str) -> dict[str, Any]:
        """A user by id or login name (the caller holds the lock)."""
        for user in self.users:
            if ref in (user["id"], user["loginName"]):
                return user
        raise NotFound("user not found")

    def find_device(self, ref: str) -> dict[str, Any]:
        """A device by ``nodeId`` (preferred) or legacy numeric ``id``."""
        for device in self.devices:
            if ref in (device["nodeId"], device["id"]):
                return device
        raise NotFound("device not found")

    def add_user(self, login: str, role: str = "member", name: str = "") -> dict[str, Any]:
        with self.changing():
            if any(u["loginName"].lower() == login.lower() for u in self.users):
                raise ValueError(f"user {login} already exists")
            self.counters["users"] = self.counters.get("users", 1000) + 1
            user = make_user(
                str(self.counters["users"]),
                login,
                role=role,
                tailnet_id=self.tailnet_id,
                now=self.clock(),
                name=name,
            )
            self.users.append(user)
            return dict(user)

    def update_user(self, ref: str, **fields: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Change a user's ``role`` or ``status``; returns (before, after)."""
        with self.changing():
            user = self.find_user(ref)
            before = dict(user)
            user.update(fields)
            return before, dict(user)

    def delete_user(self, ref: str) -> dict[str, Any]:
        """Delete a user with the devices they own (untagged ones) and their attributes."""
        with self.changing():
            user = self.find_user(ref)
            self.users.remove(user)
            for device in [
                d for d in self.devices if d["user"] == user["loginName"] and not d["tags"]
            ]:
                self.devices.remove(device)
                self.attributes.drop_device(device["nodeId"])
            return user

    def add_device(
        self, user: str, hostname: str, *, tags: tuple[str, ...] = (), os: str = "linux"
    ) -> dict[str, Any]:
        with self.changing():
            self.find_user(user)
            number = max((int(d["id"]) - 50000 for d in self.devices), default=0) + 1
            device = make_device(
                number,
                user=self.find_user(user)["loginName"],
                hostname=hostname,
                tags=tags,
                os=os,
                now=self.clock(),
            )
            self.devices.append(device)
            return dict(device)

    def delete_device(self, ref: str) -> dict[str, Any]:
        with self.changing():
            device = self.find_device(ref)
            self.devices.remove(device)
            self.attributes.drop_device(device["nodeId"])
            return device

    # -- posture attributes -----------------------------------------------------------------

    def attributes_of(self, device_ref: str) -> dict[str, Any]:
        with self.reading():
            device = self.find_device(device_ref)
            return attributes_body(device, self.attributes.of(device["nodeId"]))

    def set_attribute(
        self, device_ref: str, key: str, value: object, expiry: object = None
    ) -> dict[str, Any]:
        with self.changing():
            device = self.find_device(device_ref)
            check_key(key, self.config.attribute_key_max_length)
            self.attributes.set(device["nodeId"], key, value, parse_expiry(expiry))
            return attributes_body(device, self.attributes.of(device["nodeId"]))

    def delete_attribute(self, device_ref: str, key: str) -> None:
        with self.changing():
            device = self.find_device(device_ref)
            check_key(key, self.config.attribute_key_max_length)
            self.attributes.delete(device["nodeId"], key)

    def patch_attributes(self, nodes: Mapping[str, Mapping[str, Any]]) -> None:
        """A JSON Merge Patch over many devices: all of it applies, or none (on any error)."""
        with self.changing():
            table = self.attributes.copy()
            for ref, attrs in nodes.items():
                node_id = self.find_device(ref)["nodeId"]
                for key, item in attrs.items():
                    check_key(key, self.config.attribute_key_max_length)
                    if item is None:
                        table.delete(node_id, key)
                    else:
                        table.set(node_id, key, item["value"], parse_expiry(item.get("expiry")))
            self.attributes = table

    # -- OAuth tokens -----------------------------------------------------------------------

    def issue_token(self, client: OAuthClient, scopes: tuple[str, ...]) -> str:
        with self.changing():
            token = f"tskey-api-{random_token(11)}CNTRL-{secrets.token_hex(16)}"
            expires = self.clock() + timedelta(seconds=self.config.token_lifetime)
            self.tokens[token] = {
                "client_id": client.client_id,
                "scopes": list(scopes),
                "expires": format_instant(expires),
            }
            return token

    def principal_for(self, token: str) -> Principal | None:
        with self.reading():
            if secrets.compare_digest(token.encode(), self.api_key.encode()):
                return Principal("api_key", self.key_owner(), ("all",))
            info = self.tokens.get(token)
            if info is None:
                return None
            return Principal("oauth", info["client_id"], tuple(info["scopes"]))

    def key_owner(self) -> str:
        """Whose API key the sandbox's key is: the first owner or admin, as an actor name."""
        admins = [u for u in self.users if u["role"] in ("owner", "admin")]
        return admins[0]["loginName"] if admins else "admin@" + self.tailnet

    def view(self) -> TailnetView:
        with self.reading():
            return TailnetView(
                users=tuple(dict(u) for u in self.users),
                devices=tuple(dict(d) for d in self.devices),
                attributes={
                    node: {k: a.value for k, a in attrs.items()}
                    for node, attrs in self.attributes.all().items()
                },
            )


def _fresh(content: SeedContent, policy: bytes | None) -> tuple[bytes, dict[str, Any]]:
    data = {
        "policy_is_default": content.policy_is_default and policy is None,
        "tailnet": DEFAULT_TAILNET,
        "tailnet_id": DEFAULT_TAILNET_ID,
        "api_key": new_api_key(),
        "oauth_clients": [],
        "tokens": {},
        "users": content.users,
        "devices": content.devices,
        "attributes": {},
        "counters": {"users": 1000 + len(content.users), "edits": 0},
    }
    return (content.policy if policy is None else policy), data
