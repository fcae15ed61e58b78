"""The policy file: HuJSON in and out, byte for byte, written only under `If-Match`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tailjit.tailscale import (
    TS_DEFAULT,
    PolicyFile,
    PreconditionFailed,
    ValidationFailed,
    quote_etag,
)
from tailjit.tailscale.testing import TEST_API_KEY, in_turn, mock_client, settings_for_tests

ETAG = '"e0b2816b418b3f266309d94426ac7668ab3c1fa87798785bf82f1085cc2f6d9c"'
NEW_ETAG = '"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"'


def hujson_response(body: bytes, etag: str = ETAG) -> httpx.Response:
    return httpx.Response(
        200, content=body, headers={"ETag": etag, "Content-Type": "application/hujson"}
    )


def test_get_policy_asks_for_hujson_and_returns_the_exact_bytes(wire: Path) -> None:
    body = (wire / "client-go-v2" / "testdata-acl.hujson").read_bytes()
    api = mock_client(in_turn(hujson_response(body)))

    policy = api.client.get_policy()

    assert policy == PolicyFile(raw=body, etag=ETAG)
    assert policy.text == body.decode()
    assert api.last.method == "GET"
    assert api.last.url == "https://api.tailscale.test/api/v2/tailnet/-/acl"
    assert api.last.headers["Accept"] == "application/hujson"
    assert api.last.headers["Authorization"] == f"Bearer {TEST_API_KEY}"


@pytest.mark.parametrize(
    "given",
    [
        ETAG,
        ETAG.strip('"'),
        f'"{ETAG}"',  # doubly quoted: the live API answered 412 to this (trap 2)
    ],
)
def test_set_policy_quotes_if_match_exactly_once(given: str, wire: Path) -> None:
    body = (wire / "openapi-examples" / "policy-example.hujson").read_bytes()
    api = mock_client(in_turn(hujson_response(body, NEW_ETAG)))

    stored = api.client.set_policy(body, if_match=given)

    assert api.last.headers["If-Match"] == ETAG
    assert stored == PolicyFile(raw=body, etag=NEW_ETAG)


def test_set_policy_sends_hujson_text_unchanged(wire: Path) -> None:
    text = (wire / "openapi-examples" / "policy-example.hujson").read_text()
    api = mock_client(in_turn(hujson_response(text.encode())))

    api.client.set_policy(text, if_match=ETAG)

    assert api.last.method == "POST"
    assert api.last.url.path == "/api/v2/tailnet/-/acl"
    assert api.last.headers["Content-Type"] == "application/hujson"
    assert api.last.headers["Accept"] == "application/hujson"
    assert api.last.content == text.encode()


def test_set_policy_over_the_default_sends_quoted_ts_default(wire: Path) -> None:
    body = (wire / "openapi-examples" / "policy-example.hujson").read_bytes()
    api = mock_client(in_turn(hujson_response(body)))

    api.client.set_policy(body, if_match=TS_DEFAULT)

    assert api.last.headers["If-Match"] == '"ts-default"'


def test_set_policy_refuses_a_parsed_policy_before_sending() -> None:
    """Posting JSON would destroy every comment in the policy (trap 4); it never happens."""
    api = mock_client(in_turn())

    with pytest.raises(TypeError, match="HuJSON text"):
        api.client.set_policy({"acls": []}, if_match=ETAG)  # type: ignore[arg-type]

    assert api.requests == []


@pytest.mark.parametrize("text", ["", b"", " \n\t"])
def test_set_policy_refuses_empty_text_which_would_reset_the_policy(text: str | bytes) -> None:
    api = mock_client(in_turn())

    with pytest.raises(ValueError, match="empty"):
        api.client.set_policy(text, if_match=ETAG)

    assert api.requests == []


@pytest.mark.parametrize("etag", ["", '""', 'W/"abc"', 'a"b'])
def test_malformed_etags_are_refused(etag: str) -> None:
    with pytest.raises(ValueError, match="not an ETag"):
        quote_etag(etag)


def test_a_changed_policy_raises_precondition_failed_without_retrying(wire: Path) -> None:
    body = (wire / "openapi-examples" / "set-policy-412.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(412, content=body)))

    with pytest.raises(PreconditionFailed) as caught:
        api.client.set_policy("{}", if_match=ETAG)

    assert caught.value.status == 412
    assert caught.value.message == "precondition failed, invalid old hash"
    assert len(api.requests) == 1
    assert api.sleep.waits == []


def test_failing_tests_on_write_raise_validation_failed_with_the_failures(wire: Path) -> None:
    body = (wire / "docs" / "publicapi-update-policy-test-failed.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(400, content=body)))

    with pytest.raises(ValidationFailed) as caught:
        api.client.set_policy("{}", if_match=ETAG)

    assert caught.value.status == 400
    assert caught.value.message == "test(s) failed"
    assert caught.value.failures == [
        (
            "user1@example.com",
            ['address "user2@example.com:400": want: Accept, got: Drop'],
            [],
        )
    ]
    assert len(api.requests) == 1


def test_validate_sends_the_policy_as_hujson(wire: Path) -> None:
    policy = (wire / "openapi-examples" / "validate-policy.request.hujson").read_bytes()
    success = (wire / "openapi-examples" / "validate-success.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(200, content=success)))

    api.client.validate_policy(policy)

    assert api.last.url.path == "/api/v2/tailnet/-/acl/validate"
    assert api.last.headers["Content-Type"] == "application/hujson"
    assert api.last.headers["Accept"] == "application/json"
    assert api.last.content == policy


def test_validate_accepts_an_empty_body() -> None:
    api = mock_client(in_turn(httpx.Response(200)))

    api.client.validate_policy("{}")

    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("validate-tests-failed.response.json", "test(s) failed"),
        ("validate-scim-groups-warning.response.json", "warning(s) found"),
    ],
)
def test_validate_treats_200_with_a_message_as_failure(
    fixture: str, message: str, wire: Path
) -> None:
    """Validation answers 200 even when it fails; only `message` tells (trap 1)."""
    body = (wire / "openapi-examples" / fixture).read_bytes()
    api = mock_client(in_turn(httpx.Response(200, content=body)))

    with pytest.raises(ValidationFailed) as caught:
        api.client.validate_policy("{}")

    assert caught.value.status == 200
    assert caught.value.message == message
    assert caught.value.data == json.loads(body)["data"]


def test_policy_tests_run_as_a_json_array(wire: Path) -> None:
    tests = json.loads(
        (wire / "openapi-examples" / "validate-tests-array.request.json").read_text()
    )
    failed = (wire / "openapi-examples" / "validate-tests-failed.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(200, content=failed)))

    with pytest.raises(ValidationFailed) as caught:
        api.client.run_policy_tests(tests)

    assert api.last.headers["Content-Type"] == "application/json"
    assert json.loads(api.last.content) == tests
    assert caught.value.failures == [
        ("user1@example.com", ['address "2.2.2.2:22": want: Drop, got: Accept'], [])
    ]


def test_preview_sends_the_candidate_policy_and_parses_the_matches(wire: Path) -> None:
    policy = (wire / "openapi-examples" / "policy-example.hujson").read_bytes()
    answer = {
        "matches": [{"users": ["*"], "ports": ["*:*"], "lineNumber": 17}],
        "type": "user",
        "previewFor": "user1@example.com",
    }
    api = mock_client(in_turn(httpx.Response(200, json=answer)))

    preview = api.client.preview_policy(
        policy, preview_type="user", preview_for="user1@example.com"
    )

    assert api.last.url.path == "/api/v2/tailnet/-/acl/preview"
    assert dict(api.last.url.params) == {"type": "user", "previewFor": "user1@example.com"}
    assert api.last.headers["Content-Type"] == "application/hujson"
    assert api.last.content == policy
    assert preview.preview_for == "user1@example.com"
    assert [(m.users, m.ports, m.line_number) for m in preview.matches] == [(("*",), ("*:*",), 17)]


def test_tailnet_is_one_escaped_path_segment() -> None:
    api = mock_client(in_turn(hujson_response(b"{}")), settings_for_tests(tailnet="a/b.com"))

    api.client.get_policy()

    assert api.last.url.raw_path == b"/api/v2/tailnet/a%2Fb.com/acl"
