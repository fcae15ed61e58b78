"""The sandbox reproduces the real bodies saved in shared/ref/wire/ wherever they apply."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tailjit.hujson import JSON
from tailjit.sandbox import (
    ManualClock,
    NoopChecker,
    OAuthClient,
    PolicyTest,
    SandboxConfig,
    SshTest,
    TailnetView,
    TestFailure,
    serve_in_thread,
)
from tailjit.sandbox.policy_schema import PolicyIssue, check_shape
from tailjit.sandbox.tailnet import DEFAULT_DEVICE_FIELDS
from tailjit.sandbox.webhooks import policy_update, user_event

ACL = "/api/v2/tailnet/-/acl"
VALIDATE = "/api/v2/tailnet/-/acl/validate"
HOSTS_POLICY = b"""{
  "hosts": {"example-host-1": "100.100.100.100", "example-host-2": "100.100.100.101"},
  "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}],
}"""


@pytest.fixture
def wire(shared_dir: Path) -> Path:
    return shared_dir / "ref" / "wire"


def load(wire: Path, name: str) -> Any:
    return json.loads((wire / name).read_text())


class ScriptedChecker:
    """A stand-in evaluator: reports the failures it was given and records what it ran."""

    def __init__(self, failures: list[TestFailure]) -> None:
        self.failures = failures
        self.ran: list[PolicyTest] = []

    def run_tests(
        self,
        policy: Mapping[str, Any],
        tests: Sequence[PolicyTest],
        ssh_tests: Sequence[SshTest],
        *,
        tailnet: TailnetView,
    ) -> list[TestFailure]:
        self.ran.extend(tests)
        return self.failures

    def preview(
        self, policy: Mapping[str, Any], *, kind: str, preview_for: str, tailnet: TailnetView
    ) -> JSON:
        raise NotImplementedError


def test_412_body(wire: Path, tmp_path: Path) -> None:
    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        reply = client.post(ACL, content=b"{}", headers={"If-Match": '"stale"'})

    assert reply.json() == load(wire, "openapi-examples/set-policy-412.response.json")


def test_get_policy_with_details(wire: Path, tmp_path: Path) -> None:
    expected = load(wire, "openapi-examples/get-policy-details-true.response.json")
    text = base64.b64decode(expected["acl"])
    with (
        serve_in_thread(tmp_path / "s", seed="empty", policy=text) as sandbox,
        sandbox.client() as client,
    ):
        reply = client.get(ACL, params={"details": "true"})

    assert reply.json() == expected


@pytest.mark.parametrize("name", ["policy-example.hujson", "policy-example.json"])
def test_the_spec_example_policies_are_accepted_byte_for_byte(
    wire: Path, tmp_path: Path, name: str
) -> None:
    text = (wire / "openapi-examples" / name).read_bytes()
    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        reply = client.post(ACL, content=text)

    assert reply.status_code == 200
    assert reply.content == text


def test_validate_success_body(wire: Path, tmp_path: Path) -> None:
    text = (wire / "openapi-examples/validate-policy.request.hujson").read_bytes()
    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        reply = client.post(VALIDATE, content=text, headers={"Content-Type": "application/hujson"})

    assert reply.status_code == 200
    assert reply.json() == load(wire, "openapi-examples/validate-success.response.json")


def test_validate_tests_array_runs_against_the_current_policy(wire: Path, tmp_path: Path) -> None:
    checker = ScriptedChecker([])
    body = (wire / "openapi-examples/validate-tests-array.request.json").read_bytes()
    with (
        serve_in_thread(tmp_path / "s", policy=HOSTS_POLICY, checker=checker) as sandbox,
        sandbox.client() as client,
    ):
        reply = client.post(VALIDATE, content=body)

    assert reply.json() == {}
    assert checker.ran == [
        PolicyTest("user1@example.com", accept=("example-host-1:22",), deny=("example-host-2:100",))
    ]


def test_failing_tests_bodies_on_validate_and_on_post(wire: Path, tmp_path: Path) -> None:
    validate_expected = load(wire, "openapi-examples/validate-tests-failed.response.json")
    post_expected = load(wire, "docs/publicapi-update-policy-test-failed.response.json")
    validate_checker = ScriptedChecker(
        [TestFailure(d["user"], tuple(d["errors"])) for d in validate_expected["data"]]
    )
    post_checker = ScriptedChecker(
        [TestFailure(d["user"], tuple(d["errors"])) for d in post_expected["data"]]
    )
    with (
        serve_in_thread(tmp_path / "a", checker=validate_checker) as sandbox,
        sandbox.client() as client,
    ):
        validated = client.post(VALIDATE, content=sandbox.policy())
    with serve_in_thread(tmp_path / "b", checker=post_checker) as sandbox:
        before = sandbox.policy()
        with sandbox.client() as client:
            posted = client.post(ACL, content=before + b"\n")
        after = sandbox.policy()

    assert (validated.status_code, validated.json()) == (200, validate_expected)
    assert (posted.status_code, posted.json()) == (400, post_expected)
    assert after == before


def test_warnings_only_body_on_validate_and_no_refusal_on_post(wire: Path, tmp_path: Path) -> None:
    expected = load(wire, "openapi-examples/validate-scim-groups-warning.response.json")
    checker = ScriptedChecker(
        [TestFailure(d["user"], warnings=tuple(d["warnings"])) for d in expected["data"]]
    )
    with serve_in_thread(tmp_path / "s", checker=checker) as sandbox, sandbox.client() as client:
        validated = client.post(VALIDATE, content=sandbox.policy())
        posted = client.post(ACL, content=sandbox.policy() + b"\n")

    assert validated.json() == expected
    assert posted.status_code == 200


def test_oauth_token_response(wire: Path, tmp_path: Path) -> None:
    expected = load(wire, "docs/oauth-token.response.example.json")
    config = SandboxConfig(oauth_clients=(OAuthClient("k", "tskey-client-k", ("devices",)),))
    with serve_in_thread(tmp_path / "s", config=config) as sandbox:
        reply = httpx.post(
            sandbox.api_url + "/oauth/token",
            data={"client_id": "k", "client_secret": "tskey-client-k"},
        )

    body = reply.json()
    assert list(body) == list(expected)
    assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in expected.items()}
    assert body["access_token"].startswith("tskey-")
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "devices")


def test_posture_attributes_response(wire: Path, tmp_path: Path) -> None:
    expected = load(wire, "openapi-examples/device-posture-attributes.response.json")
    clock = ManualClock(datetime(2024, 4, 23, 18, 0, tzinfo=UTC))
    with serve_in_thread(tmp_path / "s", clock=clock) as sandbox, sandbox.client() as client:
        device = sandbox.device_id("bob-laptop")
        for key, value in expected["attributes"].items():
            if key.startswith("custom:"):
                body = {"value": value, "expiry": expected["expiries"].get(key)}
                assert client.post(
                    f"/api/v2/device/{device}/attributes/{key}", json=body
                ).is_success
        got = client.get(f"/api/v2/device/{device}/attributes").json()

    assert set(got) == set(expected)
    assert got["expiries"] == expected["expiries"]
    for key, value in expected["attributes"].items():
        assert key in got["attributes"]
        assert type(got["attributes"][key]) is type(value)
        if key.startswith("custom:"):
            assert got["attributes"][key] == value


def test_batch_patch_request_example(wire: Path, tmp_path: Path) -> None:
    example = load(wire, "openapi-examples/device-attributes-batch-patch.request.json")
    clock = ManualClock(datetime(2025, 9, 1, tzinfo=UTC))
    with serve_in_thread(tmp_path / "s", clock=clock) as sandbox, sandbox.client() as client:
        ids = iter([sandbox.device_id("alice-laptop"), sandbox.device_id("bob-laptop")])
        nodes = {next(ids): attrs for attrs in example["nodes"].values()}
        reply = client.patch(
            "/api/v2/tailnet/-/device-attributes", json={**example, "nodes": nodes}
        )
        bob = client.get(f"/api/v2/device/{sandbox.device_id('bob-laptop')}/attributes").json()

    assert (reply.status_code, reply.json()) == (200, None)
    assert bob["attributes"]["custom:flag"] is True
    assert bob["expiries"] == {"custom:flag": "2025-09-19T15:00:00Z"}


@pytest.mark.parametrize(
    ("status", "name"),
    [(429, "error-429"), (500, "error-500"), (502, "error-502"), (504, "error-504")],
)
def test_injected_error_bodies(wire: Path, tmp_path: Path, status: int, name: str) -> None:
    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        if status == 429:
            sandbox.set_faults(rate_limit_every=1)
        else:
            sandbox.set_faults(error_rate=1.0, error_status=status)
        reply = client.get(ACL)

    assert reply.status_code == status
    assert reply.json() == load(wire, f"openapi-examples/{name}.response.json")


def test_not_found_and_not_implemented_bodies(wire: Path, tmp_path: Path) -> None:
    with (
        serve_in_thread(tmp_path / "s", checker=NoopChecker()) as sandbox,
        sandbox.client() as client,
    ):
        missing = client.get("/api/v2/no-such-endpoint")
        preview = client.post(
            ACL + "/preview", params={"type": "user", "previewFor": "a@b.c"}, content=b"{}"
        )

    assert missing.json() == load(wire, "openapi-examples/error-404.response.json")
    assert preview.json() == load(wire, "openapi-examples/error-501.response.json")


@pytest.mark.parametrize("name", ["testdata-acl.hujson", "testdata-acl.json"])
def test_every_policy_key_the_official_client_knows_is_accepted(wire: Path, name: str) -> None:
    from tailjit.hujson import parse

    value = parse((wire / "client-go-v2" / name).read_bytes()).to_python()
    issues: list[PolicyIssue] = []
    check_shape(value, issues)

    assert issues == []


def test_device_fields_match_the_official_clients_fixture(wire: Path, tmp_path: Path) -> None:
    fixture = load(wire, "client-go-v2/testdata-devices.json")["devices"]
    with serve_in_thread(tmp_path / "s") as sandbox, sandbox.client() as client:
        ours = client.get("/api/v2/tailnet/-/devices").json()["devices"][0]

    for device in fixture:
        assert set(device) <= set(DEFAULT_DEVICE_FIELDS)
        for key, value in device.items():
            if key in ours:
                assert type(ours[key]) is type(value), key


def test_webhook_events_have_the_documented_fields(wire: Path) -> None:
    examples = {e["type"]: e for e in load(wire, "docs/webhook-events-payload.example.json")}
    when = datetime(2026, 1, 1, tzinfo=UTC)
    policy = policy_update(b"{}", b"{ }", actor="a@b.c", tailnet="example.com", when=when)
    user = {"loginName": "alice@example.com", "role": "it-admin"}
    role = user_event(
        "userRoleUpdated", user, actor="a@b.c", tailnet="example.com", when=when, old_role="member"
    )

    for ours in (policy, role):
        example = examples[ours["type"]]
        assert list(ours) == list(example)
        assert set(ours["data"]) == set(example["data"])
        assert ours["message"].split()[0] == example["message"].split()[0]
    assert policy["message"] == examples["policyUpdate"]["message"]
