"""The starting content of a new sandbox: ``demo`` (a small tailnet) or ``empty``.

``demo`` has three users (alice and bob are members, carol is an admin), their laptops and
phones, and two tagged servers, each also a host alias: ``db-prod`` (``tag:prod``) and
``web-staging`` (``tag:staging``). Its policy is commented HuJSON with groups, hosts, tagOwners,
grants, an SSH rule and tests. ``empty`` has no users or devices and Tailscale-style default policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tailjit.sandbox.policy import DEFAULT_POLICY
from tailjit.sandbox.tailnet import make_device, make_user

SEEDS = ("demo", "empty")

_DEMO_USERS = (
    ("alice@example.com", "member", "Alice Anders"),
    ("bob@example.com", "member", "Bob Baker"),
    ("carol@example.com", "admin", "Carol Chen"),
)
# (owner, hostname, os, tags)
_DEMO_DEVICES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("alice@example.com", "alice-laptop", "macOS", ()),
    ("alice@example.com", "alice-phone", "iOS", ()),
    ("bob@example.com", "bob-laptop", "linux", ()),
    ("carol@example.com", "carol-workstation", "linux", ()),
    ("carol@example.com", "db-prod", "linux", ("tag:prod",)),
    ("carol@example.com", "web-staging", "linux", ("tag:staging",)),
)

DEMO_POLICY_TEMPLATE = """\
// Policy of the tailjit sandbox's demo tailnet.
// alice and bob are engineers; carol is the tailnet admin and the database administrator.
{
\t// Groups of users.
\t"groups": {
\t\t"group:eng": ["alice@example.com", "bob@example.com"],
\t\t"group:dba": ["carol@example.com"],
\t},

\t// Names for addresses.
\t"hosts": {
\t\t"db-prod":     "DB_PROD_ADDRESS",
\t\t"web-staging": "WEB_STAGING_ADDRESS",
\t},

\t// Who may apply each tag.
\t"tagOwners": {
\t\t"tag:prod":    ["autogroup:admin"],
\t\t"tag:staging": ["group:eng"],
\t},

\t"grants": [
\t\t// Everyone reaches their own devices.
\t\t{"src": ["autogroup:member"], "dst": ["autogroup:self"], "ip": ["*"]},
\t\t// Engineers work on staging.
\t\t{"src": ["group:eng"], "dst": ["tag:staging"], "ip": ["tcp:22", "tcp:443"]},
\t\t// DBAs reach the production database; everyone else asks tailjit for time-limited access.
\t\t{"src": ["group:dba"], "dst": ["db-prod"], "ip": ["tcp:5432"]},
\t],

\t"ssh": [
\t\t{
\t\t\t"action": "check",
\t\t\t"src":    ["autogroup:member"],
\t\t\t"dst":    ["autogroup:self"],
\t\t\t"users":  ["autogroup:nonroot", "root"],
\t\t},
\t],

\t// Checked on every save.
\t"tests": [
\t\t{"src": "carol@example.com", "accept": ["db-prod:5432"]},
\t\t{"src": "alice@example.com", "accept": ["tag:staging:22"], "deny": ["db-prod:5432"]},
\t],
}
"""


@dataclass(frozen=True)
class SeedContent:
    users: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    policy: bytes
    policy_is_default: bool


def seed_content(name: str, *, tailnet_id: str, now: datetime) -> SeedContent:
    """The users, devices and policy of seed ``name`` (one of `SEEDS`)."""
    if name == "empty":
        return SeedContent([], [], DEFAULT_POLICY, policy_is_default=True)
    if name != "demo":
        raise ValueError(f"unknown seed {name!r}; one of {', '.join(SEEDS)}")
    users = [
        make_user(str(1001 + i), login, role=role, tailnet_id=tailnet_id, now=now, name=display)
        for i, (login, role, display) in enumerate(_DEMO_USERS)
    ]
    devices = [
        make_device(i + 1, user=owner, hostname=host, os=os, tags=tags, now=now)
        for i, (owner, host, os, tags) in enumerate(_DEMO_DEVICES)
    ]
    phone = next(d for d in devices if d["hostname"] == "alice-phone")
    phone["connectedToControl"] = False  # offline, so the API shows its lastSeen
    db_prod = next(d for d in devices if d["hostname"] == "db-prod")
    web_staging = next(d for d in devices if d["hostname"] == "web-staging")
    policy = DEMO_POLICY_TEMPLATE.replace("DB_PROD_ADDRESS", db_prod["addresses"][0]).replace(
        "WEB_STAGING_ADDRESS", web_staging["addresses"][0]
    )
    return SeedContent(users, devices, policy.encode(), policy_is_default=False)
