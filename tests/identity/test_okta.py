"""Okta event hooks: the verification GET, the shared-secret header, and deliveries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.okta import check_secret, parse_delivery, verification_response


@pytest.fixture
def okta(shared_dir: Path) -> Path:
    return shared_dir / "ref" / "webhooks" / "okta"


def request_headers(path: Path) -> dict[str, str]:
    """The headers of a raw HTTP request file, as written (names keep their case)."""
    lines = path.read_text().splitlines()[1:]
    return dict(line.split(": ", 1) for line in lines if line)


def log_event(okta: Path, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((okta / f"logevent-{name}.json").read_text())
    return loaded


def envelope(*events: object, event_id: str = "env-1") -> bytes:
    return json.dumps({"eventId": event_id, "data": {"events": list(events)}}).encode()


def rejected(reason: Reason, body: bytes) -> str:
    with pytest.raises(DeliveryRejected) as caught:
        parse_delivery(body)
    assert caught.value.reason is reason
    return caught.value.message


# --- verification and the secret -------------------------------------------------------------


def test_the_verification_request_gets_exactly_the_documented_response(okta: Path) -> None:
    headers = request_headers(okta / "eventhook-verification-request.http")

    answer = verification_response(headers)

    expected = (okta / "eventhook-verification-response.json").read_bytes()
    assert json.dumps(answer, separators=(",", ":")).encode() == expected


def test_the_challenge_header_is_found_whatever_its_case() -> None:
    assert verification_response({"x-okta-verification-challenge": "abc"}) == {
        "verification": "abc"
    }


def test_a_verification_without_a_challenge_is_refused() -> None:
    with pytest.raises(DeliveryRejected) as caught:
        verification_response({"Authorization": "s"})
    assert caught.value.reason is Reason.MISSING_HEADER
    assert "X-Okta-Verification-Challenge" in caught.value.message


def test_an_oversized_challenge_is_not_echoed() -> None:
    with pytest.raises(DeliveryRejected) as caught:
        verification_response({"X-Okta-Verification-Challenge": "a" * 2000})
    assert caught.value.reason is Reason.MALFORMED_HEADER


def test_the_fixture_requests_secret_is_accepted(okta: Path) -> None:
    headers = request_headers(okta / "eventhook-verification-request.http")
    check_secret(headers, header_name="authorization", secret="my-shared-secret")


def test_any_secret_of_a_rotation_is_accepted() -> None:
    check_secret({"X-Hook-Key": "new"}, header_name="X-Hook-Key", secret=["old", "new"])


def test_a_wrong_secret_is_refused_without_echoing_either_value() -> None:
    with pytest.raises(DeliveryRejected) as caught:
        check_secret({"Authorization": "guess"}, header_name="Authorization", secret="right")
    assert caught.value.reason is Reason.WRONG_SECRET
    assert "guess" not in str(caught.value)
    assert "right" not in str(caught.value)


def test_a_missing_secret_header_is_refused() -> None:
    with pytest.raises(DeliveryRejected) as caught:
        check_secret({}, header_name="Authorization", secret="s")
    assert caught.value.reason is Reason.MISSING_HEADER


def test_a_prefix_of_the_secret_is_not_the_secret() -> None:
    with pytest.raises(DeliveryRejected):
        check_secret({"Authorization": "Basic abc"}, header_name="Authorization", secret="Basic a")


# --- deliveries --------------------------------------------------------------------------------


def test_membership_log_events_become_member_events(okta: Path) -> None:
    body = envelope(
        log_event(okta, "group.user_membership.add"),
        log_event(okta, "group.user_membership.remove"),
    )

    parsed = parse_delivery(body)

    assert parsed.events == (
        IdentityEvent(
            source=Source.OKTA,
            kind=EventKind.MEMBER_ADDED,
            delivery="env-1",
            login="test@this.com",
            group="test1",
            event_id="5741ef53-d699-11e9-a08c-d549acc8afb2",
            at=datetime(2019, 9, 14, 2, 42, 49, 379000, tzinfo=UTC),
        ),
        IdentityEvent(
            source=Source.OKTA,
            kind=EventKind.MEMBER_REMOVED,
            delivery="env-1",
            login="test@this.com",
            group="test1",
            event_id="d14117f9-5d8c-11ea-a9cb-1f2fbd3b03f7",
            at=datetime(2020, 3, 3, 20, 23, 17, 573000, tzinfo=UTC),
        ),
    )
    assert parsed.skipped == ()


def test_targets_are_chosen_by_type_not_position(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.remove")
    event["target"].reverse()
    event["target"][1]["alternateId"] = "Alice@Example.COM"

    [found] = parse_delivery(envelope(event)).events

    assert (found.login, found.group) == ("alice@example.com", "test1")


def test_a_preview_delivery_with_a_null_target_is_skipped_and_said_so(okta: Path) -> None:
    body = (okta / "eventhook-delivery-group.user_membership.add.json").read_bytes()

    parsed = parse_delivery(body)

    assert parsed.events == ()
    [reason] = parsed.skipped
    assert "data.events[0]" in reason
    assert "def83a9d-9487-42bf-b6ae-de748ebdb19c" in reason
    assert "target is null" in reason


def test_event_types_tailjit_does_not_act_on_are_ignored(okta: Path) -> None:
    body = (okta / "eventhook-delivery-user.session.start.json").read_bytes()

    parsed = parse_delivery(body)

    assert (parsed.events, parsed.skipped, parsed.ignored) == ((), (), ("user.session.start",))


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("user.lifecycle.deactivate", EventKind.USER_DEACTIVATED),
        ("user.lifecycle.suspend", EventKind.USER_DEACTIVATED),
        ("user.lifecycle.activate", EventKind.USER_REACTIVATED),
        ("user.lifecycle.unsuspend", EventKind.USER_REACTIVATED),
    ],
)
def test_lifecycle_events_name_the_user_and_no_group(
    okta: Path, event_type: str, kind: EventKind
) -> None:
    event = log_event(okta, "group.user_membership.add")
    event["eventType"] = event_type
    event["target"] = [t for t in event["target"] if t["type"] == "User"]

    [found] = parse_delivery(envelope(event)).events

    assert (found.kind, found.login, found.group) == (kind, "test@this.com", None)


def test_a_failed_change_is_skipped(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.remove")
    event["outcome"]["result"] = "FAILURE"

    parsed = parse_delivery(envelope(event))

    assert parsed.events == ()
    assert "FAILURE" in parsed.skipped[0]


def test_a_membership_event_without_a_group_target_is_skipped(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.remove")
    event["target"] = event["target"][:1]

    assert "UserGroup" in parse_delivery(envelope(event)).skipped[0]


def test_a_login_that_is_not_a_tailnet_login_is_skipped(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.remove")
    event["target"][0]["alternateId"] = "not a login"

    assert "not a tailnet login" in parse_delivery(envelope(event)).skipped[0]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"not json", "not JSON"),
        (b"[]", "the body: expected an object"),
        (b'{"data": {"events": []}}', "eventId: missing"),
        (b'{"eventId": 7, "data": {"events": []}}', "eventId: expected a non-empty string"),
        (b'{"eventId": "e"}', "data: missing"),
        (b'{"eventId": "e", "data": {"events": {}}}', "data.events: expected an array"),
        (b'{"eventId": "e", "data": {"events": [null]}}', "data.events[0]: expected an object"),
        (b'{"eventId": "e", "data": {"events": [{}]}}', "data.events[0].eventType: missing"),
        (b'{"eventId": "e", "eventId": "f", "data": {"events": []}}', "appears twice"),
    ],
)
def test_a_malformed_envelope_is_refused_naming_the_field(body: bytes, named: str) -> None:
    assert named in rejected(Reason.MALFORMED_BODY, body)


def test_an_acted_on_event_without_a_uuid_is_refused(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.add")
    del event["uuid"]

    assert "data.events[0].uuid: missing" in rejected(Reason.MALFORMED_BODY, envelope(event))


def test_a_bad_published_time_is_refused(okta: Path) -> None:
    event = log_event(okta, "group.user_membership.add")
    event["published"] = "yesterday"

    assert "data.events[0].published" in rejected(Reason.MALFORMED_BODY, envelope(event))
