"""The route table: every emulated ``/api/v2`` endpoint and every ``/sandbox`` admin endpoint,
with its scopes, and a small router that matches a method and a decoded path against it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tailjit.sandbox import acl_checker, scopes
from tailjit.sandbox import admin_endpoints as admin
from tailjit.sandbox import device_endpoints as dev
from tailjit.sandbox import policy_endpoints as pol
from tailjit.sandbox.emulator import Endpoint

API = "/api/v2"
ADMIN = "/sandbox"

ENDPOINTS = (
    Endpoint("POST", API + "/oauth/token", dev.oauth_token, auth="none"),
    Endpoint("GET", API + "/tailnet/{tailnet}/acl", pol.get_policy, scopes.POLICY_READ),
    Endpoint("POST", API + "/tailnet/{tailnet}/acl", pol.set_policy, scopes.POLICY_WRITE),
    Endpoint(
        "POST", API + "/tailnet/{tailnet}/acl/validate", pol.validate_policy, scopes.POLICY_READ
    ),
    Endpoint(
        "POST", API + "/tailnet/{tailnet}/acl/preview", pol.preview_policy, scopes.POLICY_READ
    ),
    Endpoint("GET", API + "/tailnet/{tailnet}/devices", dev.list_devices, scopes.DEVICES_READ),
    Endpoint("GET", API + "/device/{deviceId}", dev.get_device, scopes.DEVICES_READ),
    Endpoint(
        "GET", API + "/device/{deviceId}/attributes", dev.get_attributes, scopes.ATTRIBUTES_READ
    ),
    Endpoint(
        "POST",
        API + "/device/{deviceId}/attributes/{attributeKey}",
        dev.set_attribute,
        scopes.ATTRIBUTES_WRITE,
    ),
    Endpoint(
        "DELETE",
        API + "/device/{deviceId}/attributes/{attributeKey}",
        dev.delete_attribute,
        scopes.ATTRIBUTES_WRITE,
    ),
    Endpoint(
        "PATCH",
        API + "/tailnet/{tailnet}/device-attributes",
        dev.patch_attributes,
        scopes.ATTRIBUTES_WRITE,
    ),
    Endpoint("GET", API + "/tailnet/{tailnet}/users", dev.list_users, scopes.USERS_READ),
    Endpoint("GET", API + "/users/{userId}", dev.get_user, scopes.USERS_READ),
    Endpoint("POST", API + "/users/{userId}/role", dev.set_user_role, scopes.USERS_WRITE),
    Endpoint("POST", API + "/users/{userId}/suspend", dev.suspend_user, scopes.USERS_WRITE),
    Endpoint("POST", API + "/users/{userId}/restore", dev.restore_user, scopes.USERS_WRITE),
    Endpoint("POST", API + "/users/{userId}/delete", dev.delete_user, scopes.USERS_WRITE),
    # The admin path (sandbox only).
    Endpoint("GET", ADMIN + "/info", admin.info, auth="admin"),
    Endpoint("GET", ADMIN + "/check", acl_checker.check_access, auth="admin"),
    Endpoint("GET", ADMIN + "/requests", admin.list_requests, auth="admin"),
    Endpoint("DELETE", ADMIN + "/requests", admin.reset_requests, auth="admin"),
    Endpoint("GET", ADMIN + "/faults", admin.get_faults, auth="admin"),
    Endpoint("PUT", ADMIN + "/faults", admin.put_faults, auth="admin"),
    Endpoint("DELETE", ADMIN + "/faults", admin.clear_faults, auth="admin"),
    Endpoint("POST", ADMIN + "/policy/human-edit", admin.human_edit, auth="admin"),
    Endpoint("POST", ADMIN + "/users", admin.add_user, auth="admin"),
    Endpoint("POST", ADMIN + "/users/{user}/suspend", admin.suspend_user, auth="admin"),
    Endpoint("POST", ADMIN + "/users/{user}/restore", admin.restore_user, auth="admin"),
    Endpoint("POST", ADMIN + "/users/{user}/role", admin.set_role, auth="admin"),
    Endpoint("DELETE", ADMIN + "/users/{user}", admin.delete_user, auth="admin"),
    Endpoint("POST", ADMIN + "/devices", admin.add_device, auth="admin"),
    Endpoint("DELETE", ADMIN + "/devices/{device}", admin.delete_device, auth="admin"),
    Endpoint("POST", ADMIN + "/clock/advance", admin.advance_clock, auth="admin"),
    Endpoint("GET", ADMIN + "/webhooks", admin.list_webhooks, auth="admin"),
    Endpoint("POST", ADMIN + "/webhooks/flush", admin.flush_webhooks, auth="admin"),
)


@dataclass(frozen=True)
class Match:
    endpoint: Endpoint | None
    params: dict[str, str]
    status: int = 200
    """404 when no path matches, 405 when the path matches for another method."""


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern + r"\Z")


class Router:
    def __init__(self, endpoints: tuple[Endpoint, ...] = ENDPOINTS) -> None:
        self._routes = [(_compile(e.template), e) for e in endpoints]

    def match(self, method: str, path: str) -> Match:
        path_matched = False
        for pattern, endpoint in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            if endpoint.method == method:
                return Match(endpoint, found.groupdict())
            path_matched = True
        return Match(None, {}, 405 if path_matched else 404)
