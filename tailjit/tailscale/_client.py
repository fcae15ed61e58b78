"""`TailscaleClient`: the Tailscale API v2 operations tailjit uses, one method each."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from tailjit.tailscale._auth import Clock, Credentials, credentials_from_settings
from tailjit.tailscale._errors import (
    PreconditionFailed,
    UnexpectedResponse,
    ValidationFailed,
    quote_body,
)
from tailjit.tailscale._models import (
    AttributeUpdate,
    AttributeValue,
    Device,
    PolicyFile,
    PolicyPreview,
    PostureAttributes,
    User,
    quote_etag,
)
from tailjit.tailscale._request import M, Params, Requester, segment
from tailjit.tailscale._retry import Sleep
from tailjit.tailscale._settings import TailscaleSettings

log = logging.getLogger("tailjit.tailscale")

HUJSON = "application/hujson"
JSON = "application/json"

Fields = Literal["default", "all"]

_ATTRIBUTE_KEY = re.compile(r"custom:[A-Za-z0-9_:]{1,121}")


class _Devices(BaseModel):
    devices: list[Device] = Field(default_factory=list)


class _Users(BaseModel):
    users: list[User] = Field(default_factory=list)


def _policy_bytes(policy: str | bytes) -> bytes:
    # A dict here would mean someone is about to replace the policy with comment-free JSON.
    if isinstance(policy, str):
        policy = policy.encode("utf-8")
    if not isinstance(policy, bytes):
        raise TypeError(
            f"the policy must be HuJSON text (str or bytes), not {type(policy).__name__}: "
            "edit the text with tailjit.hujson so its comments survive"
        )
    if not policy.strip():
        # The API takes an empty body as "reset to the default policy".
        raise ValueError("the policy text is empty")
    return policy


def _check_key(key: str) -> None:
    if not _ATTRIBUTE_KEY.fullmatch(key):
        raise ValueError(
            f"posture attribute key {key!r} must be 'custom:' then up to 121 letters, digits, "
            "'_' or ':'"
        )


def _check_comment(comment: str | None) -> None:
    if comment is not None and len(comment) > 200:
        raise ValueError(f"comment is {len(comment)} characters; the API allows 200")


class TailscaleClient:
    """A client of the Tailscale API v2 for one tailnet, over an injected `httpx.Client`.

    The caller owns ``http`` (its lifetime, proxies, TLS); the client only sends requests through
    it. Credentials, tailnet, timeouts and the retry budget come from ``settings``. ``clock``
    (monotonic seconds) times OAuth token renewal and ``sleep`` waits between retries; tests
    inject fakes for both. Every method raises a `TailscaleError` subclass when the API or the
    network fails, and ValueError or TypeError for arguments it refuses before sending anything.
    """

    def __init__(
        self,
        http: httpx.Client,
        settings: TailscaleSettings,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        credentials: Credentials | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = credentials or credentials_from_settings(settings, http, clock)
        self._req = Requester(http, settings, self.credentials, sleep)
        self._tailnet = f"/api/v2/tailnet/{segment(settings.tailnet)}"

    def __repr__(self) -> str:
        return (
            f"TailscaleClient(base_url={self.settings.base_url!r}, "
            f"tailnet={self.settings.tailnet!r}, credentials={self.credentials!r})"
        )

    # --- policy file ---------------------------------------------------------------------------

    def get_policy(self) -> PolicyFile:
        """The policy file as HuJSON, byte for byte, with its (quoted) ETag."""
        response = self._req.request("GET", self._tailnet + "/acl", headers={"Accept": HUJSON})
        return PolicyFile(raw=response.content, etag=response.headers.get("ETag"))

    def set_policy(self, policy: str | bytes, *, if_match: str) -> PolicyFile:
        """Replace the policy with ``policy`` (HuJSON text) if its ETag is still ``if_match``.

        ``if_match`` is the ETag from `get_policy` (quoted or not: it is sent quoted exactly
        once) or `TS_DEFAULT`. There is deliberately no unconditional write. Returns the stored
        policy with its new ETag (None if the server sends none). Raises `PreconditionFailed`
        (412) when the policy changed meanwhile, `ValidationFailed` (400) when it is invalid or
        its tests fail.
        """
        response = self._req.request(
            "POST",
            self._tailnet + "/acl",
            headers={"Content-Type": HUJSON, "Accept": HUJSON, "If-Match": quote_etag(if_match)},
            content=_policy_bytes(policy),
        )
        return PolicyFile(raw=response.content, etag=response.headers.get("ETag"))

    def update_policy(
        self, change: Callable[[PolicyFile], str | bytes], *, attempts: int = 5
    ) -> PolicyFile:
        """Read, change and write the policy under ``If-Match``, reading again after a 412.

        Each attempt GETs the policy, calls ``change`` with it and POSTs the HuJSON text that
        ``change`` returns, with ``If-Match`` set to the ETag just read. If the policy changed
        in between (a human, another tool), the write fails with 412 and the next attempt starts
        from a fresh read, so nobody's edit is lost; after ``attempts`` such conflicts the last
        `PreconditionFailed` is raised. Transient failures of each call are retried as usual;
        any other error is raised at once.

        ``change`` must derive its edit from the policy it is given (edit the text with
        `tailjit.hujson` so comments survive) and should be idempotent: after an ambiguous
        failure (a 5xx for a write that did happen) the fresh read already holds the edit. When
        ``change`` returns the text unchanged, nothing is written and the policy read is
        returned. Otherwise returns the stored policy with its new ETag.
        """
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        attempt = 1
        while True:
            current = self.get_policy()
            if current.etag is None:
                # Writing without If-Match could overwrite someone's edit: refuse instead.
                raise UnexpectedResponse(
                    200,
                    "the policy came without an ETag; cannot write it under If-Match",
                    method="GET",
                    path=self._tailnet + "/acl",
                )
            new = _policy_bytes(change(current))
            if new == current.raw:
                return current
            try:
                return self.set_policy(new, if_match=current.etag)
            except PreconditionFailed:
                if attempt >= attempts:
                    raise
                log.info(
                    "the policy changed since it was read (412); reading it again "
                    "(attempt %d of %d)",
                    attempt + 1,
                    attempts,
                )
            attempt += 1

    def validate_policy(self, policy: str | bytes) -> None:
        """Check ``policy`` (HuJSON text) and run its ``tests`` without saving it.

        The API answers 200 even when validation fails; a non-empty ``message`` in the body is a
        failure, raised here as `ValidationFailed` with status 200 and the API's ``data``.
        """
        self._validate(_policy_bytes(policy), HUJSON)

    def run_policy_tests(self, tests: Sequence[Mapping[str, Any]]) -> None:
        """Run ACL ``tests`` against the current policy; `ValidationFailed` if any fail."""
        self._validate(json.dumps(list(tests)).encode(), JSON)

    def _validate(self, body: bytes, content_type: str) -> None:
        path = self._tailnet + "/acl/validate"
        response = self._req.request(
            "POST", path, headers={"Content-Type": content_type, "Accept": JSON}, content=body
        )
        if not response.content.strip():
            return
        result = self._req.json(response, "POST", path)
        message = result.get("message") if isinstance(result, dict) else None
        if message:
            raise ValidationFailed(
                response.status_code,
                quote_body(str(message)),
                data=result.get("data"),
                method="POST",
                path=path,
            )

    def preview_policy(
        self,
        policy: str | bytes,
        *,
        preview_type: Literal["user", "ipport"],
        preview_for: str,
    ) -> PolicyPreview:
        """The rules of candidate ``policy`` matching a user's login or an ``IP:port``."""
        path = self._tailnet + "/acl/preview"
        response = self._req.request(
            "POST",
            path,
            params={"type": preview_type, "previewFor": preview_for},
            headers={"Content-Type": HUJSON, "Accept": JSON},
            content=_policy_bytes(policy),
        )
        return self._req.parse(
            PolicyPreview,
            self._req.json(response, "POST", path),
            response.status_code,
            "POST",
            path,
        )

    # --- devices and users ---------------------------------------------------------------------

    def list_devices(
        self, *, fields: Fields = "default", filters: Params | None = None
    ) -> list[Device]:
        """Every device of the tailnet; ``filters`` are the API's exact-match field filters."""
        params: dict[str, str | list[str]] = {"fields": fields, **(filters or {})}
        return self._get(_Devices, self._tailnet + "/devices", params).devices

    def devices_of(self, login: str, *, fields: Fields = "default") -> list[Device]:
        """The devices ``login`` owns: untagged, not shared in, ``user == login``.

        Filtered here, not by the server: whether ``user=`` works as a server filter is
        unconfirmed, and the tag and external checks cannot be expressed there.
        """
        return [device for device in self.list_devices(fields=fields) if device.is_owned_by(login)]

    def get_device(self, device_id: str, *, fields: Fields = "default") -> Device:
        """One device by ``nodeId`` (preferred) or legacy numeric ``id``."""
        return self._get(Device, f"/api/v2/device/{segment(device_id)}", {"fields": fields})

    def list_users(self, *, user_type: str | None = None, role: str | None = None) -> list[User]:
        """The tailnet's users; by default (the API's) type ``member``, role ``all``."""
        params = {k: v for k, v in (("type", user_type), ("role", role)) if v is not None}
        return self._get(_Users, self._tailnet + "/users", params).users

    def get_user(self, user_id: str) -> User:
        """One user by ID."""
        return self._get(User, f"/api/v2/users/{segment(user_id)}", None)

    # --- posture attributes --------------------------------------------------------------------

    def get_posture_attributes(self, device_id: str) -> PostureAttributes:
        """A device's posture attributes with their expiries (one call per device)."""
        return self._get(PostureAttributes, f"/api/v2/device/{segment(device_id)}/attributes", None)

    def set_posture_attribute(
        self,
        device_id: str,
        key: str,
        value: AttributeValue,
        *,
        expiry: datetime | None = None,
        comment: str | None = None,
    ) -> None:
        """Set ``key`` (``custom:…``) on a device, removed by Tailscale soon after ``expiry``.

        ``expiry`` (timezone-aware) and ``comment`` (audit log, ≤ 200 characters) are sent only
        when given: no placeholder expiry ever reaches the API.
        """
        _check_key(key)
        _check_comment(comment)
        body = AttributeUpdate(value=value, expiry=expiry).body()
        if comment is not None:
            body["comment"] = comment
        self._send_json(
            "POST", f"/api/v2/device/{segment(device_id)}/attributes/{segment(key)}", body
        )

    def delete_posture_attribute(self, device_id: str, key: str) -> None:
        """Remove ``key`` (``custom:…``) from a device."""
        _check_key(key)
        self._req.request(
            "DELETE", f"/api/v2/device/{segment(device_id)}/attributes/{segment(key)}"
        )

    def update_posture_attributes(
        self,
        nodes: Mapping[str, Mapping[str, AttributeUpdate | None]],
        *,
        comment: str | None = None,
    ) -> None:
        """Set and delete attributes on many devices in one call (JSON merge patch).

        ``nodes`` maps a device's ``nodeId`` to ``{key: AttributeUpdate}`` to set or
        ``{key: None}`` to delete.
        """
        _check_comment(comment)
        body: dict[str, Any] = {
            "nodes": {
                node: {key: _checked_update(key, update) for key, update in attributes.items()}
                for node, attributes in nodes.items()
            }
        }
        if comment is not None:
            body["comment"] = comment
        self._send_json("PATCH", self._tailnet + "/device-attributes", body)

    # --- helpers -------------------------------------------------------------------------------

    def _get(self, model: type[M], path: str, params: Params | None) -> M:
        response = self._req.request("GET", path, params=params, headers={"Accept": JSON})
        data = self._req.json(response, "GET", path)
        return self._req.parse(model, data, response.status_code, "GET", path)

    def _send_json(self, method: str, path: str, body: Mapping[str, Any]) -> None:
        self._req.request(
            method,
            path,
            headers={"Content-Type": JSON, "Accept": JSON},
            content=json.dumps(body).encode(),
        )


def _checked_update(key: str, update: AttributeUpdate | None) -> dict[str, object] | None:
    _check_key(key)
    return None if update is None else update.body()
