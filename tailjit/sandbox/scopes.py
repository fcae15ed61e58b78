"""OAuth scopes: the names Tailscale documents and which scopes a held set covers.

TAILSCALE_API.md §5.3: each operation names the one scope it needs; ``X`` covers ``X:read``;
``all`` covers everything and ``all:read`` every ``:read`` scope. Writing the policy file
additionally needs ``devices:posture_attributes`` and ``devices:core:read`` (kb/1623 as quoted),
so that requirement lists three scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

KNOWN_SCOPES = frozenset(
    {
        "all",
        "all:read",
        "account_settings",
        "account_settings:read",
        "auth_keys",
        "auth_keys:read",
        "devices:core",
        "devices:core:read",
        "devices:posture_attributes",
        "devices:posture_attributes:read",
        "devices:routes",
        "devices:routes:read",
        "dns",
        "dns:read",
        "feature_settings",
        "feature_settings:read",
        "log_streaming",
        "log_streaming:read",
        "logs:configuration:read",
        "logs:network:read",
        "oauth_keys",
        "oauth_keys:read",
        "policy_file",
        "policy_file:read",
        "services",
        "services:read",
        "users",
        "users:read",
        "webhooks",
        "webhooks:read",
    }
)

POLICY_READ = ("policy_file:read",)
POLICY_WRITE = ("policy_file", "devices:posture_attributes", "devices:core:read")
DEVICES_READ = ("devices:core:read",)
DEVICES_WRITE = ("devices:core",)
ATTRIBUTES_READ = ("devices:posture_attributes:read",)
ATTRIBUTES_WRITE = ("devices:posture_attributes",)
USERS_READ = ("users:read",)
USERS_WRITE = ("users",)


def covers(held: Iterable[str], needed: str) -> bool:
    """True when one of the ``held`` scopes grants ``needed``."""
    for scope in held:
        if scope in ("all", needed):
            return True
        if needed.endswith(":read") and (scope == "all:read" or scope + ":read" == needed):
            return True
    return False


def missing(held: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The scopes in ``needed`` that ``held`` does not cover."""
    held = tuple(held)
    return [scope for scope in needed if not covers(held, scope)]
