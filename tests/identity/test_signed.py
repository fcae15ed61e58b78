"""Standard Webhooks: the signature and replay window, and the tailjit event body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tailjit.errors import InvalidInput
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.signed import parse_event, sign, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SENT = 1767268800  # 2026-01-01T12:00:00Z
NOW = datetime.fromtimestamp(SENT, UTC)


@pytest.fixture
def vector(shared_dir: Path) -> dict[str, Any]:
    path = shared_dir / "ref" / "webhooks" / "standard-webhooks" / "python-lib-test-vector.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def signed_headers(body: bytes, *, secret: str = SECRET, at: int = SENT) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(at),
        "webhook-signature": sign(secret, "msg_1", at, body),
    }


def refusal(headers: dict[str, str], body: bytes, **kwargs: Any) -> DeliveryRejected:
    kwargs = {"secret": SECRET, "now": NOW} | kwargs
    with pytest.raises(DeliveryRejected) as caught:
        verify(headers, body, **kwargs)
    return caught.value


# --- verify ------------------------------------------------------------------------------------


def test_the_reference_librarys_vector_signs_and_verifies(vector: dict[str, Any]) -> None:
    body = vector["payload"].encode()
    headers = {
        "webhook-id": vector["msg_id"],
        "webhook-timestamp": str(vector["timestamp"]),
        "webhook-signature": vector["expected_signature"],
    }
    now = datetime.fromtimestamp(vector["timestamp"], UTC)

    assert (
        sign(vector["secret"], vector["msg_id"], vector["timestamp"], body)
        == (vector["expected_signature"])
    )
    assert verify(headers, body, secret=vector["secret"], now=now) == vector["msg_id"]


def test_the_vector_with_one_body_byte_changed_is_refused(vector: dict[str, Any]) -> None:
    body = vector["payload"].replace("2", "3", 1).encode()
    headers = {
        "webhook-id": vector["msg_id"],
        "webhook-timestamp": str(vector["timestamp"]),
        "webhook-signature": vector["expected_signature"],
    }
    now = datetime.fromtimestamp(vector["timestamp"], UTC)

    assert refusal(headers, body, secret=vector["secret"], now=now).reason is Reason.BAD_SIGNATURE


def test_a_wrong_secret_is_a_bad_signature() -> None:
    body = b"{}"
    headers = signed_headers(body, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")

    assert refusal(headers, body).reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_outside_five_minutes_either_way_is_stale(offset: int) -> None:
    body = b"{}"
    headers = signed_headers(body, at=SENT + offset)

    assert refusal(headers, body).reason is Reason.STALE_TIMESTAMP


def test_a_timestamp_at_the_edge_of_the_window_is_accepted() -> None:
    body = b"{}"

    assert verify(signed_headers(body), body, secret=SECRET, now=NOW + timedelta(seconds=300))


def test_a_forged_signature_is_refused_before_the_clock_is_looked_at() -> None:
    headers = signed_headers(b"{}", at=SENT - 3600)

    assert refusal(headers, b"{ }").reason is Reason.BAD_SIGNATURE


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(missing: str) -> None:
    headers = signed_headers(b"{}")
    del headers[missing]

    refused = refusal(headers, b"{}")

    assert refused.reason is Reason.MISSING_HEADER
    assert missing in refused.message


def test_headers_match_whatever_their_case() -> None:
    headers = {k.title(): v for k, v in signed_headers(b"{}").items()}

    assert verify(headers, b"{}", secret=SECRET, now=NOW) == "msg_1"


def test_any_of_several_signatures_may_match_and_other_versions_are_skipped() -> None:
    body = b"{}"
    good = sign(SECRET, "msg_1", SENT, body)
    headers = signed_headers(body) | {"webhook-signature": f"v1a,AAAA v1,AAAA {good}"}

    assert verify(headers, body, secret=SECRET, now=NOW) == "msg_1"


def test_any_secret_of_a_rotation_verifies() -> None:
    body = b"{}"

    assert verify(signed_headers(body), body, secret=["whsec_b2xk", SECRET], now=NOW)


def test_a_raw_secret_is_used_as_its_bytes() -> None:
    body = b"{}"

    assert verify(signed_headers(body, secret="plain"), body, secret="plain", now=NOW)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("webhook-timestamp", "12.5"),
        ("webhook-signature", "v1a,AAAA"),
        ("webhook-id", "a\nb"),
    ],
)
def test_an_unreadable_header_is_malformed(header: str, value: str) -> None:
    headers = signed_headers(b"{}") | {header: value}

    assert refusal(headers, b"{}").reason is Reason.MALFORMED_HEADER


def test_an_undecodable_whsec_secret_is_a_setup_error_that_hides_the_secret() -> None:
    with pytest.raises(InvalidInput) as caught:
        verify(signed_headers(b"{}"), b"{}", secret="whsec_not*base64", now=NOW)
    assert "not*base64" not in str(caught.value)


# --- parse_event ---------------------------------------------------------------------------


def body_of(message: object) -> bytes:
    return json.dumps(message).encode()


AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event_type", "kind", "group"),
    [
        ("group.member.added", EventKind.MEMBER_ADDED, "oncall"),
        ("group.member.removed", EventKind.MEMBER_REMOVED, "oncall"),
        ("user.deactivated", EventKind.USER_DEACTIVATED, None),
        ("user.reactivated", EventKind.USER_REACTIVATED, None),
    ],
)
def test_each_documented_type_becomes_one_event(
    event_type: str, kind: EventKind, group: str | None
) -> None:
    body = body_of(
        {
            "type": event_type,
            "timestamp": "2026-01-01T12:00:00Z",
            "data": {"login": "Alice@Example.com", "group": "oncall", "extra": 1},
        }
    )

    assert parse_event(body, "msg_1") == [
        IdentityEvent(Source.GENERIC, kind, "msg_1", login="alice@example.com", group=group, at=AT)
    ]


def test_the_specs_example_payload_is_an_unknown_event(shared_dir: Path) -> None:
    body = (shared_dir / "ref/webhooks/standard-webhooks/spec-example-payload.json").read_bytes()

    with pytest.raises(DeliveryRejected) as caught:
        parse_event(body, "msg_1")
    assert caught.value.reason is Reason.UNKNOWN_EVENT
    assert "example.event" in caught.value.message


GOOD = {"type": "group.member.added", "timestamp": "2026-01-01T12:00:00Z", "data": {}}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"\xff", "not UTF-8"),
        (b"{", "not JSON"),
        (b'[{"type": "user.deactivated"}]', "the body: expected an object"),
        (body_of({"data": {}}), "type: missing"),
        (body_of(GOOD | {"timestamp": 5}), "timestamp: expected a non-empty string"),
        (body_of(GOOD | {"timestamp": "noon"}), "timestamp"),
        (body_of({k: v for k, v in GOOD.items() if k != "data"}), "data: missing"),
        (body_of(GOOD | {"data": []}), "data: expected an object"),
        (body_of(GOOD), "data.login: missing"),
        (body_of(GOOD | {"data": {"login": "x y@z"}}), "data.login"),
        (body_of(GOOD | {"data": {"login": "a@b.c"}}), "data.group: missing"),
        (body_of(GOOD | {"data": {"login": "a@b.c", "group": None}}), "data.group"),
        (b'{"type": NaN}', "NaN"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(body: bytes, named: str) -> None:
    with pytest.raises(DeliveryRejected) as caught:
        parse_event(body, "msg_1")
    assert caught.value.reason is Reason.MALFORMED_BODY
    assert named in caught.value.message
