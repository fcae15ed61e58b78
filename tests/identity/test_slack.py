"""Slack interactivity: request signing and the block_actions click."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.slack import Interaction, parse_interaction, sign, verify

Vector = tuple[dict[str, str], bytes, str, datetime]


def load_vector(folder: Path, name: str) -> Vector:
    """A vector's headers, body, signing secret and signing time."""
    data: dict[str, Any] = json.loads((folder / name).read_text())
    body = (folder / data["body_file"]).read_bytes()
    headers = {
        "X-Slack-Request-Timestamp": data["x_slack_request_timestamp"],
        "X-Slack-Signature": data["x_slack_signature"],
    }
    at = datetime.fromtimestamp(int(data["x_slack_request_timestamp"]), UTC)
    return headers, body, data["signing_secret"], at


@pytest.fixture
def slack(shared_dir: Path) -> Path:
    return shared_dir / "ref" / "webhooks" / "slack"


@pytest.fixture(
    params=["signing-test-vector.json", "constructed-block-actions-signing-vector.json"]
)
def vector(slack: Path, request: pytest.FixtureRequest) -> Vector:
    return load_vector(slack, request.param)


def refusal(headers: dict[str, str], body: bytes, secret: str, now: datetime) -> Reason:
    with pytest.raises(DeliveryRejected) as caught:
        verify(headers, body, signing_secret=secret, now=now)
    return caught.value.reason


# --- verify ------------------------------------------------------------------------------------


def test_each_signing_vector_verifies(vector: Vector) -> None:
    headers, body, secret, at = vector

    verify(headers, body, signing_secret=secret, now=at)
    assert sign(secret, headers["X-Slack-Request-Timestamp"], body) == headers["X-Slack-Signature"]


def test_each_vector_with_one_byte_changed_is_refused(vector: Vector) -> None:
    headers, body, secret, at = vector
    changed = body[:-1] + bytes([body[-1] ^ 1])

    assert refusal(headers, changed, secret, at) is Reason.BAD_SIGNATURE


def test_each_vector_with_a_wrong_secret_is_refused(vector: Vector) -> None:
    headers, body, _, at = vector

    assert refusal(headers, body, "8f742231b10e8888abcd99yyyzzz85a6", at) is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("seconds", [-301, 301])
def test_each_vector_outside_five_minutes_is_stale(vector: Vector, seconds: int) -> None:
    headers, body, secret, at = vector

    assert refusal(headers, body, secret, at + timedelta(seconds=seconds)) is (
        Reason.STALE_TIMESTAMP
    )


@pytest.mark.parametrize("missing", ["X-Slack-Request-Timestamp", "X-Slack-Signature"])
def test_each_missing_header_is_refused(vector: Vector, missing: str) -> None:
    headers, body, secret, at = vector
    del headers[missing]

    assert refusal(headers, body, secret, at) is Reason.MISSING_HEADER


def test_headers_match_whatever_their_case(vector: Vector) -> None:
    headers, body, secret, at = vector

    verify({k.lower(): v for k, v in headers.items()}, body, signing_secret=secret, now=at)


@pytest.mark.parametrize(
    ("header", "value"),
    [("X-Slack-Signature", "v1=abc"), ("X-Slack-Request-Timestamp", "-5")],
)
def test_an_unreadable_header_is_malformed(vector: Vector, header: str, value: str) -> None:
    headers, body, secret, at = vector
    headers[header] = value

    assert refusal(headers, body, secret, at) is Reason.MALFORMED_HEADER


def test_any_secret_of_a_rotation_verifies(slack: Path) -> None:
    headers, body, secret, at = load_vector(slack, "signing-test-vector.json")

    verify(headers, body, signing_secret=["old-secret", secret], now=at)


# --- parse_interaction -------------------------------------------------------------------------


def form(payload: object) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_the_constructed_block_actions_body_is_the_message_click(slack: Path) -> None:
    body = (slack / "constructed-block-actions-request-body.form").read_bytes()

    assert parse_interaction(body) == Interaction(
        user_id="UA8RXUSPL",
        action_id="WaXA",
        username="jtorrance",
        email=None,
        team_id="T9TK3CUKW",
        block_id="=qXel",
        value="click_me_123",
        response_url="https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
        channel_id="CBR2V3XEX",
        message_ts="1548261231.000200",
    )


def test_the_constructed_body_carries_the_documented_payload(slack: Path) -> None:
    body = (slack / "constructed-block-actions-request-body.form").read_bytes()
    documented = json.loads((slack / "block-actions-payload-message.json").read_text())

    assert parse_interaction(body) == parse_interaction(form(documented))


def test_a_home_tab_click_has_no_message_to_update(slack: Path) -> None:
    payload = json.loads((slack / "block-actions-payload-home-tab.json").read_text())

    click = parse_interaction(form(payload))

    assert click == Interaction(
        user_id="UA8RXUSPL",
        action_id="XRX",
        username="jtorrance",
        team_id="T9TK3CUKW",
        block_id="7fhg",
    )


def test_an_email_is_read_when_the_payload_has_one(slack: Path) -> None:
    payload = json.loads((slack / "block-actions-payload-message.json").read_text())
    payload["user"]["email"] = "jt@example.com"

    assert parse_interaction(form(payload)).email == "jt@example.com"


def test_a_double_click_has_the_same_key(slack: Path) -> None:
    body = (slack / "constructed-block-actions-request-body.form").read_bytes()

    assert parse_interaction(body).key == "UA8RXUSPL|1548261231.000200|WaXA|click_me_123"


CLICK = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "approve"}]}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"payload", "not application/x-www-form-urlencoded"),
        (b"token=abc", "payload: expected one form parameter, got 0"),
        (form(CLICK) + b"&" + form(CLICK), "got 2"),
        (b"payload=%7B", "payload is not JSON"),
        (form([CLICK]), "payload: expected an object"),
        (form({"user": {"id": "U1"}}), "payload.type: missing"),
        (form(CLICK | {"user": None}), "payload.user: expected an object"),
        (form(CLICK | {"user": {}}), "payload.user.id: missing"),
        (form(CLICK | {"actions": []}), "payload.actions: empty"),
        (form(CLICK | {"actions": [{}]}), "payload.actions[0].action_id: missing"),
        (form(CLICK | {"actions": [{"action_id": "a", "value": 1}]}), "value: expected a string"),
        (form(CLICK | {"container": "x"}), "payload.container: expected an object"),
    ],
)
def test_a_malformed_interaction_is_refused_naming_the_field(body: bytes, named: str) -> None:
    with pytest.raises(DeliveryRejected) as caught:
        parse_interaction(body)
    assert caught.value.reason is Reason.MALFORMED_BODY
    assert named in caught.value.message


def test_an_interaction_other_than_block_actions_is_an_unknown_event() -> None:
    with pytest.raises(DeliveryRejected) as caught:
        parse_interaction(form(CLICK | {"type": "view_submission"}))
    assert caught.value.reason is Reason.UNKNOWN_EVENT
    assert "view_submission" in caught.value.message
