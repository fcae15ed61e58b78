"""The sandbox's default evaluator (`tailjit.acl`): tests on save and validate, preview, and the
admin path's "may this user's devices reach host:port right now"."""

from __future__ import annotations

from datetime import UTC, datetime

from tailjit.sandbox import SandboxHandle
from tailjit.sandbox.acl_checker import AclChecker, tailnet_of
from tailjit.sandbox.checker import TailnetView
from tailjit.sandbox.policy import check_policy
from tailjit.sandbox.seed import seed_content

ACL = "/api/v2/tailnet/-/acl"
VALIDATE = ACL + "/validate"
PREVIEW = ACL + "/preview"

FAILING = b"""{
  "tagOwners": {"tag:prod": ["autogroup:admin"]},
  "grants": [{"src": ["autogroup:admin"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}],
  "tests": [{"src": "alice@example.com", "accept": ["tag:prod:5432"]}],
}"""
WANT = {
    "message": "test(s) failed",
    "data": [
        {
            "user": "alice@example.com",
            "errors": ['address "tag:prod:5432": want: Accept, got: Drop'],
        }
    ],
}
JIT = b"""{
  "tagOwners": {"tag:prod": ["autogroup:admin"]},
  "hosts": {"db-prod": "%s"},
  "postures": {"posture:jit": ["custom:jit == true", "node:os == 'macos'"]},
  "grants": [
    {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"],
     "srcPosture": ["posture:jit"]},
  ],
  "tests": [
    {"src": "alice@example.com", "deny": ["db-prod:5432"]},
    {"src": "alice@example.com", "accept": ["db-prod:5432"],
     "srcPostureAttrs": {"custom:jit": true, "node:os": "macos"}},
  ],
}"""


def test_the_demo_seed_passes_its_own_tests() -> None:
    seed = seed_content("demo", tailnet_id="T1", now=datetime(2026, 1, 1, tzinfo=UTC))
    policy = check_policy(seed.policy)
    view = TailnetView(users=tuple(seed.users), devices=tuple(seed.devices), attributes={})

    failures = AclChecker().run_tests(policy.data, policy.tests, policy.ssh_tests, tailnet=view)

    assert policy.tests
    assert failures == []


def test_a_failing_test_refuses_the_save_with_400_and_keeps_the_policy(
    sandbox: SandboxHandle,
) -> None:
    before = sandbox.policy()
    with sandbox.client() as client:
        reply = client.post(ACL, content=FAILING)

    assert (reply.status_code, reply.json()) == (400, WANT)
    assert sandbox.policy() == before


def test_validate_reports_the_same_failure_with_200(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        whole = client.post(VALIDATE, content=FAILING)
        array = client.post(
            VALIDATE, json=[{"src": "alice@example.com", "accept": ["db-prod:5432"]}]
        )

    assert (whole.status_code, whole.json()) == (200, WANT)
    assert array.status_code == 200
    assert array.json()["data"][0]["errors"] == ['address "db-prod:5432": want: Accept, got: Drop']


def test_ssh_tests_run_on_save_too(sandbox: SandboxHandle) -> None:
    policy = b"""{
      "tagOwners": {"tag:prod": []},
      "ssh": [{"action": "check", "src": ["autogroup:member"], "dst": ["autogroup:self"],
               "users": ["autogroup:nonroot"]}],
      "sshTests": [{"src": "alice@example.com", "dst": ["tag:prod"], "accept": ["alice"]}],
    }"""
    with sandbox.client() as client:
        reply = client.post(ACL, content=policy)

    assert reply.status_code == 400
    assert reply.json()["data"][0]["errors"] == [
        'user "alice" on "tag:prod": want: Accept, got: Deny'
    ]


def test_posture_gated_tests_pass_with_and_without_attributes(sandbox: SandboxHandle) -> None:
    address = _address(sandbox, "db-prod")
    with sandbox.client() as client:
        reply = client.post(ACL, content=JIT % address.encode())

    assert reply.status_code == 200, reply.text


def test_preview_lists_the_rules_a_user_matches_with_their_lines(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        by_user = client.post(
            PREVIEW,
            params={"type": "user", "previewFor": "alice@example.com"},
            content=sandbox.policy(),
        )
        by_address = client.post(
            PREVIEW,
            params={"type": "ipport", "previewFor": f"{_address(sandbox, 'db-prod')}:5432"},
            content=sandbox.policy(),
        )

    text = sandbox.policy().decode()
    assert by_user.status_code == 200
    body = by_user.json()
    assert (body["type"], body["previewFor"]) == ("user", "alice@example.com")
    for match in body["matches"]:
        assert match["users"][0] in text.splitlines()[match["lineNumber"] - 1]
    assert {tuple(m["users"]) for m in by_address.json()["matches"]} == {("group:dba",)}


def test_the_admin_check_path_uses_each_devices_current_attributes(sandbox: SandboxHandle) -> None:
    address = _address(sandbox, "db-prod")
    laptop = sandbox.device_id("alice-laptop")
    with sandbox.client() as client:
        assert client.post(ACL, content=JIT % address.encode()).status_code == 200
        before = client.get(
            "/sandbox/check", params={"user": "alice@example.com", "dst": "db-prod:5432"}
        )
        client.post(f"/api/v2/device/{laptop}/attributes/custom:jit", json={"value": True})
        after = client.get(
            "/sandbox/check", params={"user": "alice@example.com", "dst": "db-prod:5432"}
        )

    assert before.json()["allowed"] is False
    assert [(d["device"], d["allowed"]) for d in after.json()["devices"]] == [
        ("alice-laptop", True),
        ("alice-phone", False),
    ]
    blocked = before.json()["devices"][0]["blocked"][0]
    assert blocked["failing"] == ["posture:jit: custom:jit == true"]


def test_the_admin_check_path_needs_the_api_key_and_a_known_user(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        unknown = client.get(
            "/sandbox/check", params={"user": "zed@example.com", "dst": "db-prod:5432"}
        )
        malformed = client.get(
            "/sandbox/check", params={"user": "alice@example.com", "dst": "db-prod"}
        )

    assert unknown.status_code == 404
    assert malformed.status_code == 400


def test_the_evaluator_sees_the_sandboxs_tailnet(sandbox: SandboxHandle) -> None:
    tailnet = tailnet_of(sandbox.state.view())

    carol = next(u for u in tailnet.users if u.login == "carol@example.com")
    db = next(d for d in tailnet.devices if d.name == "db-prod")
    laptop = next(d for d in tailnet.devices if d.name == "alice-laptop")
    assert carol.role == "admin"
    assert db.tags == ("tag:prod",)
    assert laptop.attributes["node:os"] == "macos"


def _address(sandbox: SandboxHandle, hostname: str) -> str:
    device = next(d for d in sandbox.state.view().devices if d["hostname"] == hostname)
    return str(device["addresses"][0])


def test_a_suspended_users_devices_reach_nothing(sandbox: SandboxHandle) -> None:
    sandbox.suspend_user("carol@example.com")
    with sandbox.client() as client:
        reply = client.get(
            "/sandbox/check", params={"user": "carol@example.com", "dst": "db-prod:5432"}
        )

    body = reply.json()
    assert (body["status"], body["allowed"]) == ("suspended", False)
    assert body["devices"][0]["matches"]  # the policy would allow it
