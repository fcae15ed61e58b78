"""Tailscale's webhooks: the signature, the events tailjit acts on, and the sandbox's sender."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.tailscale_events import delivery_id, parse_events, sign, verify
from tailjit.sandbox import webhooks
from tailjit.sandbox.config import WebhookTarget

SECRET = "tskey-webhook-test"
SENT = 1767268800  # 2026-01-01T12:00:00Z
NOW = datetime.fromtimestamp(SENT, UTC)
HEADER = "Tailscale-Webhook-Signature"


@pytest.fixture
def vector(shared_dir: Path) -> tuple[dict[str, str], bytes, str, datetime]:
    """The constructed vector's headers, body, secret and signing time."""
    folder = shared_dir / "ref" / "webhooks" / "tailscale"
    data: dict[str, Any] = json.loads((folder / "constructed-signing-vector.json").read_text())
    body = (folder / data["body_file"]).read_bytes()
    headers = {HEADER: data[HEADER]}
    return headers, body, data["secret"], datetime.fromtimestamp(data["t"], UTC)


def refusal(headers: dict[str, str], body: bytes, **kwargs: Any) -> DeliveryRejected:
    kwargs = {"secret": SECRET, "now": NOW} | kwargs
    with pytest.raises(DeliveryRejected) as caught:
        verify(headers, body, **kwargs)
    return caught.value


def signed(body: bytes, *, at: int = SENT, secret: str = SECRET) -> dict[str, str]:
    return {HEADER: f"t={at},v1={sign(secret, at, body)}"}


# --- verify ------------------------------------------------------------------------------------


def test_the_signing_vector_verifies(vector: tuple[dict[str, str], bytes, str, datetime]) -> None:
    headers, body, secret, at = vector

    assert verify(headers, body, secret=secret, now=at) == 1714564810


def test_the_vector_with_one_byte_changed_is_refused(
    vector: tuple[dict[str, str], bytes, str, datetime],
) -> None:
    headers, body, secret, at = vector
    changed = body.replace(b"pangolin", b"pangolim", 1)

    assert refusal(headers, changed, secret=secret, now=at).reason is Reason.BAD_SIGNATURE


def test_the_vector_with_a_wrong_secret_is_refused(
    vector: tuple[dict[str, str], bytes, str, datetime],
) -> None:
    headers, body, _, at = vector

    assert refusal(headers, body, secret="tskey-webhook-yyyyy", now=at).reason is (
        Reason.BAD_SIGNATURE
    )


def test_the_vector_six_minutes_later_is_stale(
    vector: tuple[dict[str, str], bytes, str, datetime],
) -> None:
    headers, body, secret, at = vector
    later = datetime.fromtimestamp(at.timestamp() + 360, UTC)

    assert refusal(headers, body, secret=secret, now=later).reason is Reason.STALE_TIMESTAMP


def test_a_missing_signature_header_is_refused() -> None:
    assert refusal({}, b"[]").reason is Reason.MISSING_HEADER


def test_any_v1_may_match_unknown_keys_are_ignored_and_case_does_not_matter() -> None:
    body = b"[]"
    header = f"t={SENT},v0=zz,v1=00,v1={sign(SECRET, SENT, body).upper()}"

    assert verify({HEADER.lower(): header}, body, secret=SECRET, now=NOW) == SENT


@pytest.mark.parametrize(
    "header", ["v1=00", f"t={SENT}", f"t={SENT},t={SENT},v1=00", "t=soon,v1=00", "garbage"]
)
def test_an_unreadable_header_is_malformed(header: str) -> None:
    assert refusal({HEADER: header}, b"[]").reason is Reason.MALFORMED_HEADER


# --- the sandbox's sender ----------------------------------------------------------------------


def delivered_by_the_sandbox(events: list[dict[str, Any]]) -> httpx.Request:
    """What the sandbox's `WebhookSender` posts for ``events``, captured by a MockTransport."""
    posted: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        request.read()
        posted.append(request)
        return httpx.Response(200)

    sender = webhooks.WebhookSender(
        [WebhookTarget("http://receiver.test/hook", SECRET)], transport=httpx.MockTransport(record)
    )
    sender.start()
    try:
        sender.send(events)
        assert sender.flush(timeout=10)
    finally:
        sender.stop()
    [request] = posted
    return request


def test_what_the_sandbox_sends_verifies_and_parses() -> None:
    """The sandbox's own sender and this receiver agree on the signature and the events."""
    user = {"loginName": "Bob@Example.com", "role": "admin"}
    events = [
        webhooks.policy_update(b"{}", b"{ }", actor="carol@example.com", tailnet="t", when=NOW),
        webhooks.user_event(
            "userSuspended", user, actor="carol@example.com", tailnet="t", when=NOW
        ),
        webhooks.user_event("userRestored", user, actor="carol@example.com", tailnet="t", when=NOW),
        webhooks.user_event("userDeleted", user, actor="carol@example.com", tailnet="t", when=NOW),
        webhooks.user_event(
            "userRoleUpdated", user, actor="c@e.com", tailnet="t", when=NOW, old_role="member"
        ),
        webhooks.user_event("userCreated", user, actor="carol@example.com", tailnet="t", when=NOW),
    ]

    request = delivered_by_the_sandbox(events)
    body = request.content
    t = verify(dict(request.headers), body, secret=SECRET, now=NOW)
    parsed = parse_events(body, delivery_id(body))

    assert t == SENT
    delivery = delivery_id(body)
    assert parsed.events == tuple(
        IdentityEvent(
            Source.TAILSCALE, kind, delivery, login=login, event_id=f"{delivery}#{i}", at=NOW
        )
        for i, (kind, login) in enumerate(
            [
                (EventKind.POLICY_UPDATED, None),
                (EventKind.USER_DEACTIVATED, "bob@example.com"),
                (EventKind.USER_REACTIVATED, "bob@example.com"),
                (EventKind.USER_DEACTIVATED, "bob@example.com"),
                (EventKind.USER_ROLE_CHANGED, "bob@example.com"),
            ]
        )
    )
    assert parsed.ignored == ("userCreated",)


# --- parse_events ------------------------------------------------------------------------------


def test_the_fixture_yields_its_policy_update_and_ignores_the_node(shared_dir: Path) -> None:
    body = (
        shared_dir / "ref/webhooks/tailscale/constructed-events-nodeCreated-policyUpdate.json"
    ).read_bytes()

    parsed = parse_events(body, "d")

    assert parsed.events == (
        IdentityEvent(
            Source.TAILSCALE,
            EventKind.POLICY_UPDATED,
            "d",
            event_id="d#1",
            at=datetime(2024, 5, 1, 12, 0, 5, tzinfo=UTC),
        ),
    )
    assert (parsed.skipped, parsed.ignored) == ((), ("nodeCreated",))


def test_the_delivery_id_is_the_same_for_the_same_bytes_only() -> None:
    assert delivery_id(b"[]") == delivery_id(b"[]")
    assert delivery_id(b"[]") != delivery_id(b"[ ]")
    assert delivery_id(b"[]").startswith("sha256:")


def event(**fields: Any) -> dict[str, Any]:
    return {"timestamp": "2026-01-01T12:00:00Z", "type": "userDeleted"} | fields


@pytest.mark.parametrize(
    ("data", "reason"),
    [(None, "data.user is missing"), ({"user": "not a login"}, "is not a tailnet login")],
)
def test_a_user_event_without_a_usable_user_is_skipped(
    data: dict[str, str] | None, reason: str
) -> None:
    parsed = parse_events(json.dumps([event(data=data)]).encode(), "d")

    assert parsed.events == ()
    [said] = parsed.skipped
    assert said.startswith("[0] (userDeleted)")
    assert reason in said


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"nope", "not JSON"),
        (b"{}", "the body: expected an array"),
        (b"[1]", "[0]: expected an object"),
        (json.dumps([{"timestamp": "x"}]).encode(), "[0].type: missing"),
        (json.dumps([event(timestamp=None)]).encode(), "[0].timestamp"),
        (json.dumps([event(data=[])]).encode(), "[0].data: expected an object"),
        (json.dumps([event(data={"user": 5})]).encode(), "[0].data.user: expected a string"),
    ],
)
def test_a_malformed_body_is_refused_naming_the_field(body: bytes, named: str) -> None:
    with pytest.raises(DeliveryRejected) as caught:
        parse_events(body, "d")
    assert caught.value.reason is Reason.MALFORMED_BODY
    assert named in caught.value.message
