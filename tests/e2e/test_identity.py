"""Access follows identity, end to end: a removal from the group that made alice eligible,
reported by Okta, SCIM or a signed webhook, ends her grant in the sandbox tailnet within a
second, and the audit trail says why."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tailjit.identity import signed
from tailjit.testing import okta_delivery
from tests.e2e.conftest import Daemon, Sandbox, wait_for

OKTA_SECRET = "okta-hook-secret"
SCIM_TOKEN = "scim-bearer-token"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"a generic webhook key of 32 bytes").decode()

POLICY = """{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["carol@example.com"]},
  "eligibilities": [{
    "name": "oncall-db",
    "requesters": ["group:oncall"],
    "destinations": ["db-prod:5432"],
    "maxDuration": "4h",
    "approval": {"stages": [{"approvers": ["carol@example.com"]}]},
  }],
}
"""

RECEIVERS = f"""
[receivers]
okta_secret = "{OKTA_SECRET}"
scim_token = "{SCIM_TOKEN}"
generic_secret = "{GENERIC_SECRET}"

[receivers.groups]
"On-call" = "group:oncall"
"""


@pytest.fixture
def daemon(start_daemon: Callable[..., Daemon], sandbox_process: Sandbox, tmp_path: Path) -> Daemon:
    policy = tmp_path / "eligibility.hujson"
    policy.write_text(POLICY)
    return start_daemon(sandbox_process, TAILJIT_POLICY=str(policy), config_extra=RECEIVERS)


def okta(daemon: Daemon, kind: str, *, event_id: str | None = None) -> httpx.Response:
    delivery = okta_delivery("On-call", "alice@example.com", added=kind == "add", event_id=event_id)
    return httpx.post(
        daemon.url + "/v1/webhooks/okta",
        content=delivery.body,
        headers={"Authorization": OKTA_SECRET, "Content-Type": "application/json"},
    )


def grant_alice(daemon: Daemon, sandbox: Sandbox) -> dict[str, str]:
    granted = daemon.api(
        "POST",
        "/v1/grants",
        json={
            "user": "alice@example.com",
            "target": "tcp:db-prod:5432",
            "duration": "1h",
            "reason": "INC-1",
        },
    )["request"]
    wait_for(lambda: daemon.request(granted["id"])["state"] == "active")
    assert sandbox.check("alice@example.com", "db-prod:5432")
    return dict(granted)


def revoked_within_a_second(daemon: Daemon, sandbox: Sandbox, request_id: str) -> dict[str, str]:
    """Wait for the grant to leave the tailnet; return the audit record of its revocation."""
    started = time.monotonic()
    wait_for(lambda: b"tailjit:grant" not in sandbox.policy(), timeout=5)
    assert time.monotonic() - started <= 1.0
    assert not sandbox.check("alice@example.com", "db-prod:5432")
    assert not sandbox.attributes("alice-laptop")
    assert daemon.request(request_id)["state"] == "revoked"
    records = daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]
    return next(r for r in records if r["event"] == "grant.revoked")


def test_an_okta_removal_ends_the_grant_that_depended_on_the_group(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    assert okta(daemon, "add").status_code == 204
    granted = grant_alice(daemon, sandbox_process)

    removal = okta(daemon, "remove")

    assert removal.status_code == 204
    record = revoked_within_a_second(daemon, sandbox_process, granted["id"])
    assert record["actor"].startswith("okta:")
    events = [r["event"] for r in daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]]
    assert "membership.removed" in events


def test_a_repeated_okta_event_is_applied_once_and_a_wrong_secret_changes_nothing(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    event = str(uuid.uuid4())
    assert okta(daemon, "add", event_id=event).status_code == 204
    assert okta(daemon, "add", event_id=event).status_code == 204  # Okta's retry
    refused = httpx.post(
        daemon.url + "/v1/webhooks/okta", content=b"{}", headers={"Authorization": "wrong"}
    )

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "wrong-secret"
    wait_for(lambda: "membership.added" in _events(daemon))
    assert _events(daemon).count("membership.added") == 1
    metrics = httpx.get(daemon.url + "/metrics").text
    series = 'outcome="rejected",reason="wrong-secret",source="okta"'
    assert f"tailjit_webhook_deliveries_total{{{series}}} 1.0" in metrics


def test_a_scim_patch_removing_alice_ends_her_grant(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    scim = httpx.Client(
        base_url=daemon.url + "/scim/v2", headers={"Authorization": f"Bearer {SCIM_TOKEN}"}
    )
    user = scim.post(
        "/Users",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "alice@example.com",
            "active": True,
        },
    ).json()
    group = scim.post(
        "/Groups",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "On-call",
            "members": [{"value": user["id"]}],
        },
    ).json()
    wait_for(lambda: "membership.added" in _events(daemon))
    granted = grant_alice(daemon, sandbox_process)

    patch = scim.patch(
        f"/Groups/{group['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Remove", "path": f'members[value eq "{user["id"]}"]'}],
        },
    )

    assert patch.status_code == 204, patch.text
    record = revoked_within_a_second(daemon, sandbox_process, granted["id"])
    assert record["actor"].startswith("scim:")
    assert httpx.get(daemon.url + "/scim/v2/Users").status_code == 401


def test_scim_discovery_is_served_behind_the_scim_token(daemon: Daemon) -> None:
    url = daemon.url + "/scim/v2/ServiceProviderConfig"

    refused = httpx.get(url, headers={"Authorization": "Bearer not-the-scim-token"})
    answer = httpx.get(url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"})
    schemas = httpx.get(
        daemon.url + "/scim/v2/Schemas", headers={"Authorization": f"Bearer {SCIM_TOKEN}"}
    )

    assert refused.status_code == 401
    assert refused.json()["status"] == "401"
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/scim+json"
    assert answer.json()["meta"] == {"resourceType": "ServiceProviderConfig"}
    assert schemas.status_code == 200, schemas.text
    assert schemas.headers["content-type"] == "application/scim+json"
    assert schemas.json()["totalResults"] == 2


def test_a_signed_webhook_removal_ends_the_grant_and_a_stale_one_is_refused(
    daemon: Daemon, sandbox_process: Sandbox
) -> None:
    def send(kind: str, *, timestamp: int | None = None) -> httpx.Response:
        body = json.dumps(
            {
                "type": kind,
                "timestamp": "2026-11-21T12:00:00Z",
                "data": {"login": "alice@example.com", "group": "On-call"},
            }
        ).encode()
        msg_id, at = f"msg_{uuid.uuid4().hex}", timestamp or int(time.time())
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(at),
            "webhook-signature": signed.sign(GENERIC_SECRET, msg_id, at, body),
        }
        return httpx.post(daemon.url + "/v1/webhooks/generic", content=body, headers=headers)

    assert send("group.member.added").status_code == 202
    wait_for(lambda: "membership.added" in _events(daemon))
    granted = grant_alice(daemon, sandbox_process)
    stale = send("group.member.removed", timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "stale-timestamp"
    assert daemon.request(granted["id"])["state"] == "active"

    assert send("group.member.removed").status_code == 202
    record = revoked_within_a_second(daemon, sandbox_process, granted["id"])
    assert record["actor"].startswith("generic:")


def _events(daemon: Daemon) -> list[str]:
    return [r["event"] for r in daemon.api("GET", "/v1/audit", params={"limit": 1000})["records"]]


def test_the_okta_verification_challenge_is_echoed_only_with_the_secret(daemon: Daemon) -> None:
    challenge = {"x-okta-verification-challenge": "Me_rShK8-challenge"}
    url = daemon.url + "/v1/webhooks/okta"

    answer = httpx.get(url, headers={**challenge, "Authorization": OKTA_SECRET})
    refused = httpx.get(url, headers={**challenge, "Authorization": "wrong"})

    assert answer.json() == {"verification": "Me_rShK8-challenge"}
    assert refused.status_code == 401
