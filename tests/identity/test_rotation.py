"""Secret rotation: while a receiver holds an old and a new secret, every verifier accepts a
delivery made with either and refuses one made with a third, naming neither secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tailjit.api.receivers import bearer_matches
from tailjit.identity import okta, signed, slack, tailscale_events
from tailjit.identity.errors import DeliveryRejected, Reason

SENT = 1767268800  # 2026-01-01T12:00:00Z
NOW = datetime.fromtimestamp(SENT, UTC)
BODY = b'{"type": "user.deactivated"}'

OLD, NEW, THIRD = "old-secret-A", "new-secret-B", "someone-elses-C"
ROTATING = (OLD, NEW)

OLD_WHSEC, NEW_WHSEC, THIRD_WHSEC = "whsec_b2xkLWtleQ==", "whsec_bmV3LWtleQ==", "whsec_b3RoZXI="


def refused(check: object, *args: object, **kwargs: object) -> DeliveryRejected:
    with pytest.raises(DeliveryRejected) as caught:
        check(*args, **kwargs)  # type: ignore[operator]
    for secret in (OLD, NEW, THIRD, OLD_WHSEC, NEW_WHSEC, THIRD_WHSEC):
        assert secret not in str(caught.value)
    return caught.value


# --- Okta: the header's value ------------------------------------------------------------------


@pytest.mark.parametrize("sent", [OLD, NEW])
def test_okta_accepts_the_old_and_the_new_secret(sent: str) -> None:
    okta.check_secret({"Authorization": sent}, header_name="Authorization", secret=ROTATING)


def test_okta_refuses_a_third_secret() -> None:
    rejected = refused(
        okta.check_secret, {"Authorization": THIRD}, header_name="Authorization", secret=ROTATING
    )
    assert rejected.reason is Reason.WRONG_SECRET


# --- Standard Webhooks: any signature under any secret -----------------------------------------


def webhook_headers(*secrets: str) -> dict[str, str]:
    signatures = " ".join(signed.sign(s, "msg_1", SENT, BODY) for s in secrets)
    return {"webhook-id": "msg_1", "webhook-timestamp": str(SENT), "webhook-signature": signatures}


@pytest.mark.parametrize("sent", [OLD_WHSEC, NEW_WHSEC])
def test_standard_webhooks_accepts_the_old_and_the_new_secret(sent: str) -> None:
    headers = webhook_headers(sent)

    assert signed.verify(headers, BODY, secret=(OLD_WHSEC, NEW_WHSEC), now=NOW) == "msg_1"


@pytest.mark.parametrize("sent", [OLD_WHSEC, NEW_WHSEC])
def test_standard_webhooks_accepts_any_of_several_signatures(sent: str) -> None:
    """A sender rotating its side signs with both; each of our secrets finds its signature."""
    headers = webhook_headers(THIRD_WHSEC, OLD_WHSEC, NEW_WHSEC)

    assert signed.verify(headers, BODY, secret=(sent,), now=NOW) == "msg_1"


def test_standard_webhooks_refuses_a_third_secret() -> None:
    rejected = refused(
        signed.verify,
        webhook_headers(THIRD_WHSEC),
        BODY,
        secret=(OLD_WHSEC, NEW_WHSEC),
        now=NOW,
    )
    assert rejected.reason is Reason.BAD_SIGNATURE


# --- Tailscale webhooks ------------------------------------------------------------------------


def tailscale_headers(secret: str) -> dict[str, str]:
    signature = tailscale_events.sign(secret, SENT, BODY)
    return {tailscale_events.SIGNATURE_HEADER: f"t={SENT},v1={signature}"}


@pytest.mark.parametrize("sent", [OLD, NEW])
def test_tailscale_accepts_the_old_and_the_new_secret(sent: str) -> None:
    verified = tailscale_events.verify(tailscale_headers(sent), BODY, secret=ROTATING, now=NOW)

    assert verified == SENT


def test_tailscale_refuses_a_third_secret() -> None:
    rejected = refused(
        tailscale_events.verify, tailscale_headers(THIRD), BODY, secret=ROTATING, now=NOW
    )
    assert rejected.reason is Reason.BAD_SIGNATURE


# --- Slack request signing ---------------------------------------------------------------------


def slack_headers(secret: str) -> dict[str, str]:
    return {
        slack.TIMESTAMP_HEADER: str(SENT),
        slack.SIGNATURE_HEADER: slack.sign(secret, SENT, BODY),
    }


@pytest.mark.parametrize("sent", [OLD, NEW])
def test_slack_accepts_the_old_and_the_new_signing_secret(sent: str) -> None:
    slack.verify(slack_headers(sent), BODY, signing_secret=ROTATING, now=NOW)


def test_slack_refuses_a_third_signing_secret() -> None:
    rejected = refused(slack.verify, slack_headers(THIRD), BODY, signing_secret=ROTATING, now=NOW)
    assert rejected.reason is Reason.BAD_SIGNATURE


# --- SCIM bearer token -------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [OLD, NEW])
def test_scim_accepts_the_old_and_the_new_bearer_token(sent: str) -> None:
    assert bearer_matches(f"Bearer {sent}", ROTATING)


@pytest.mark.parametrize("sent", [f"Bearer {THIRD}", "", "Bearer ", f"Bearer {OLD}{NEW}"])
def test_scim_refuses_a_third_or_missing_bearer_token(sent: str) -> None:
    assert not bearer_matches(sent, ROTATING)


def test_an_empty_set_of_secrets_is_a_setup_error_not_an_open_door() -> None:
    with pytest.raises(ValueError, match="non-empty secret"):
        okta.check_secret({"Authorization": ""}, header_name="Authorization", secret=())
    with pytest.raises(ValueError, match="non-empty secret"):
        bearer_matches("Bearer x", ())
