"""Slack notifications: the messages (pure) and what reaches a Slack served on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tailjit.api.server import ThreadedServer, bind, url_of
from tailjit.api.views import request_json
from tailjit.notify import ACTION_APPROVE, ACTION_DENY, Notice, Posted, SlackNotifier, message_for
from tailjit.requests import transitions
from tailjit.requests.testing import BOB, DIRECTORY, T0, new_request

TOKEN = "xoxb-1234-5678-secret"
HOOK_PATH = "/services/T000/B000/hooksecret"
RESPONSE_PATH = "/actions/T000/1234/responsesecret"

# --- a Slack on loopback --------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSlack:
    """Records every POST; answers as Slack does unless told otherwise (`answer`)."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    answers: dict[str, Response] = field(default_factory=dict)

    def answer(self, path: str, response: Response) -> None:
        self.answers[path] = response

    def only(self) -> Seen:
        assert len(self.seen) == 1, self.seen
        return self.seen[0]

    async def handle(self, request: HttpRequest) -> Response:
        raw = await request.body()
        path = request.url.path
        body = json.loads(raw)
        self.seen.append(Seen(path, dict(request.headers), body))
        if path in self.answers:
            return self.answers[path]
        if path.startswith("/api/chat."):
            return JSONResponse({"ok": True, "channel": body["channel"], "ts": "1767268800.000100"})
        if path.startswith("/services/"):
            return PlainTextResponse("ok")
        return JSONResponse({"ok": True})


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    app = Starlette(routes=[Route("/{path:path}", fake.handle, methods=["POST"])])
    sock = bind("127.0.0.1", 0)
    server = ThreadedServer(app, sock, name="fake-slack")
    server.start()
    fake.url = url_of("127.0.0.1", sock.getsockname()[1])
    yield fake
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def bot(client: httpx.Client, slack: FakeSlack, **kwargs: Any) -> SlackNotifier:
    return SlackNotifier(
        client, token=TOKEN, channel="C-APPROVERS", api_url=f"{slack.url}/api", **kwargs
    )


def webhook(client: httpx.Client, slack: FakeSlack) -> SlackNotifier:
    return SlackNotifier(client, webhook_url=f"{slack.url}{HOOK_PATH}")


# --- requests as the API shows them ----------------------------------------------------------


def pending(**submission: Any) -> dict[str, Any]:
    return request_json(new_request(**submission))


def active() -> dict[str, Any]:
    request = new_request()
    request = transitions.approve(request, approver=BOB, now=T0, directory=DIRECTORY)
    return request_json(transitions.activate(request, now=T0 + timedelta(seconds=1)))


def texts(message: dict[str, Any]) -> str:
    """Every text in a message, as one string."""
    return json.dumps(message, ensure_ascii=False)


def actions(message: dict[str, Any]) -> dict[str, Any]:
    (block,) = (b for b in message["blocks"] if b["type"] == "actions")
    return block


# --- messages -------------------------------------------------------------------------------


def test_a_new_request_names_requester_target_duration_and_reason() -> None:
    request = pending(reason="deploy hotfix", ticket="OPS-42")

    message = message_for(Notice.REQUEST_CREATED, request)

    assert message["text"] == "alice@example.com requests db-prod:5432 for 1h"
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Access request", "emoji": True},
    }
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert fields == [
        "*Requester:*\nalice@example.com",
        "*Target:*\ndb-prod:5432",
        "*Duration:*\n1h",
        "*Eligibility:*\ndb-prod",
        "*Ticket:*\nOPS-42",
    ]
    assert message["blocks"][2]["text"]["text"] == "*Reason:*\ndeploy hotfix"
    assert request["id"] in message["blocks"][3]["elements"][0]["text"]


def test_a_new_request_has_approve_and_deny_buttons_carrying_its_id() -> None:
    request = pending()

    block = actions(message_for("request.created", request))

    assert block["block_id"] == f"tailjit_decide_{request['id']}"
    assert [
        (b["action_id"], b["value"], b["style"], b["text"]["text"]) for b in block["elements"]
    ] == [
        (ACTION_APPROVE, request["id"], "primary", "Approve"),
        (ACTION_DENY, request["id"], "danger", "Deny"),
    ]


def test_user_text_is_escaped_for_mrkdwn() -> None:
    """A reason cannot ping the channel or forge a link: &, < and > are escaped everywhere."""
    request = pending(reason="<!channel> see <https://evil.example|docs> & more")

    message = message_for(Notice.REQUEST_CREATED, request, note="<@U123> & <!here>")

    reason = message["blocks"][2]["text"]["text"]
    assert reason == (
        "*Reason:*\n&lt;!channel&gt; see &lt;https://evil.example|docs&gt; &amp; more"
    )
    assert "<!channel>" not in texts(message)
    assert message["blocks"][-1]["elements"][0]["text"] == "&lt;@U123&gt; &amp; &lt;!here&gt;"


def test_long_text_is_cut() -> None:
    request = pending() | {"reason": "x" * 5000}

    reason = message_for(Notice.REQUEST_CREATED, request)["blocks"][2]["text"]["text"]

    assert len(reason) < 700
    assert reason.endswith("…")


def test_only_named_fields_reach_slack() -> None:
    """Nothing else in the dict is ever sent, so a secret that slipped in stays out."""
    request = active() | {"api_key": "tskey-api-SECRET", "internal": "SECRET"}

    for notice in Notice:
        data = {"kind": "hand-edit", **request} if notice is Notice.DRIFT_DETECTED else request
        assert "SECRET" not in texts(message_for(notice, data))


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        (Notice.REQUEST_APPROVED, "*Approved* by bob@example.com: alice@example.com gets"),
        (Notice.GRANT_ACTIVATED, "*Active*: alice@example.com's access to db-prod:5432 is live"),
        (Notice.GRANT_EXPIRING, "*Expiring soon*: alice@example.com's access to db-prod:5432"),
        (Notice.GRANT_EXPIRED, "*Expired*: alice@example.com's access to db-prod:5432 ended"),
    ],
)
def test_grant_messages_say_what_happened(notice: Notice, expected: str) -> None:
    message = message_for(notice, active())

    assert expected in message["text"]
    assert message["blocks"][0]["text"]["text"] == message["text"]
    assert not any(b["type"] == "actions" for b in message["blocks"])


def test_times_are_slack_date_tokens_with_the_instant_as_fallback() -> None:
    request = active()  # activated at T0 + 1s for 1h

    text = message_for(Notice.GRANT_EXPIRING, request)["text"]

    expires = int((T0 + timedelta(hours=1, seconds=1)).timestamp())
    assert f"<!date^{expires}^{{date_short_pretty}} at {{time}}|2026-01-01T13:00:01Z>" in text


def test_denied_and_revoked_name_the_actor_and_the_comment() -> None:
    request = new_request()
    denied = transitions.deny(
        request, approver=BOB, now=T0, directory=DIRECTORY, comment="not <today>"
    )

    text = message_for(Notice.REQUEST_DENIED, request_json(denied))["text"]

    assert text == (
        ":no_entry: *Denied* by bob@example.com: alice@example.com's request for db-prod:5432"
        ": _not &lt;today&gt;_"
    )


def test_system_actions_are_shown_as_tailjit() -> None:
    expired = request_json(
        transitions.expire(
            transitions.activate(
                transitions.approve(new_request(), approver=BOB, now=T0, directory=DIRECTORY),
                now=T0,
            ),
            now=T0 + timedelta(hours=2),
        )
    )

    text = message_for(Notice.GRANT_REVOKED, expired | {"ended_comment": None})["text"]

    assert "*Revoked* by tailjit (automatically)" in text


def test_break_glass_is_announced_without_buttons() -> None:
    request = pending() | {"origin": "breakglass"}

    message = message_for(Notice.BREAKGLASS_USED, request)

    assert message["text"].startswith(":rotating_light: *Break-glass*: alice@example.com took")
    assert not any(b["type"] == "actions" for b in message["blocks"])


def test_drift_names_kind_subject_and_summary() -> None:
    finding = {"kind": "forged-entry", "subject": "policy:/grants/3", "summary": "removed <x>"}

    message = message_for("drift.detected", finding)

    assert message["text"] == (
        ":warning: *Drift detected* (forged-entry) on policy:/grants/3: removed &lt;x&gt;"
    )


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no Slack message for the event 'grant\.teleported'"):
        message_for("grant.teleported", {})


# --- bot token ------------------------------------------------------------------------------


def test_bot_token_mode_posts_to_chat_post_message_with_bearer_auth(
    client: httpx.Client, slack: FakeSlack
) -> None:
    request = pending()

    posted = bot(client, slack).notify(Notice.REQUEST_CREATED, request)

    assert posted == Posted(channel="C-APPROVERS", ts="1767268800.000100")
    seen = slack.only()
    assert seen.path == "/api/chat.postMessage"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert seen.body["channel"] == "C-APPROVERS"
    assert seen.body["text"] == "alice@example.com requests db-prod:5432 for 1h"
    assert [b["value"] for b in actions(seen.body)["elements"]] == [request["id"]] * 2


def test_a_channel_can_be_given_per_message(client: httpx.Client, slack: FakeSlack) -> None:
    bot(client, slack).notify(Notice.GRANT_ACTIVATED, active(), channel="C-AUDIT")

    assert slack.only().body["channel"] == "C-AUDIT"


def test_chat_update_replaces_a_posted_message(client: httpx.Client, slack: FakeSlack) -> None:
    notifier = bot(client, slack)
    message = message_for(Notice.GRANT_EXPIRED, active())

    assert notifier.update("C-APPROVERS", "1767268800.000100", message) is True

    seen = slack.only()
    assert seen.path == "/api/chat.update"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.body == {**message, "channel": "C-APPROVERS", "ts": "1767268800.000100"}


def test_slack_ok_false_is_a_logged_failure(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.answer("/api/chat.postMessage", JSONResponse({"ok": False, "error": "not_in_channel"}))

    with caplog.at_level(logging.WARNING, logger="tailjit.notify"):
        posted = bot(client, slack).notify(Notice.GRANT_ACTIVATED, active())

    assert posted is None
    assert "Slack (chat.postMessage) refused: not_in_channel" in caplog.text
    assert TOKEN not in caplog.text


# --- incoming webhook -----------------------------------------------------------------------


def test_webhook_mode_posts_the_message_without_a_token(
    client: httpx.Client, slack: FakeSlack
) -> None:
    message = message_for(Notice.REQUEST_CREATED, pending())

    posted = webhook(client, slack).notify(Notice.REQUEST_CREATED, pending(), channel="C-IGNORED")

    assert posted == Posted()
    seen = slack.only()
    assert seen.path == HOOK_PATH
    assert "authorization" not in seen.headers
    assert seen.body == {**message, "unfurl_links": False}


def test_webhook_mode_cannot_chat_update(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    assert webhook(client, slack).update("C1", "1.2", {"text": "x"}) is False
    assert slack.seen == []
    assert "incoming webhook" in caplog.text


def test_a_failing_webhook_returns_false_and_logs_without_its_secret_path(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.answer(HOOK_PATH, PlainTextResponse("invalid_payload", status_code=400))

    with caplog.at_level(logging.WARNING, logger="tailjit.notify"):
        posted = webhook(client, slack).notify(Notice.GRANT_EXPIRED, active())

    assert posted is None
    assert "Slack (127.0.0.1) refused with 400: invalid_payload" in caplog.text
    assert "hooksecret" not in caplog.text


def test_rate_limiting_is_logged_and_not_retried(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.answer(HOOK_PATH, PlainTextResponse("", status_code=429, headers={"Retry-After": "30"}))

    assert webhook(client, slack).notify(Notice.GRANT_EXPIRED, active()) is None

    assert len(slack.seen) == 1
    assert "rate limiting (Retry-After 30 s)" in caplog.text


# --- response_url ---------------------------------------------------------------------------


def test_update_message_replaces_the_original_through_the_response_url(
    client: httpx.Client, slack: FakeSlack
) -> None:
    message = message_for(Notice.REQUEST_APPROVED, active())

    ok = bot(client, slack).update_message(
        f"{slack.url}{RESPONSE_PATH}", message["text"], message["blocks"]
    )

    assert ok is True
    seen = slack.only()
    assert seen.path == RESPONSE_PATH
    assert "authorization" not in seen.headers  # the URL is the credential
    assert seen.body == {"replace_original": "true", **message}  # as the docs send it


def test_update_message_with_text_only(client: httpx.Client, slack: FakeSlack) -> None:
    """The shape of the replace-original fixture."""
    webhook(client, slack).update_message(f"{slack.url}{RESPONSE_PATH}", "Thanks")

    assert slack.only().body == {"replace_original": "true", "text": "Thanks"}


def test_delete_message(client: httpx.Client, slack: FakeSlack) -> None:
    assert webhook(client, slack).delete_message(f"{slack.url}{RESPONSE_PATH}") is True

    assert slack.only().body == {"delete_original": "true"}


def test_an_expired_response_url_returns_false(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.answer(RESPONSE_PATH, PlainTextResponse("expired_url", status_code=404))

    assert bot(client, slack).update_message(f"{slack.url}{RESPONSE_PATH}", "Done") is False

    assert "refused with 404: expired_url" in caplog.text
    assert "responsesecret" not in caplog.text


# --- failures never reach the caller --------------------------------------------------------


def test_an_unreachable_slack_returns_none_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now

    with httpx.Client() as http, caplog.at_level(logging.WARNING, logger="tailjit.notify"):
        notifier = SlackNotifier(
            http, token=TOKEN, channel="C1", api_url=f"http://127.0.0.1:{port}/api"
        )
        assert notifier.notify(Notice.GRANT_EXPIRED, active()) is None

    assert "could not reach Slack (chat.postMessage): ConnectError" in caplog.text


def test_every_call_has_a_bounded_timeout(caplog: pytest.LogCaptureFixture) -> None:
    timeouts: list[dict[str, float | None]] = []

    def slow(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        raise httpx.ReadTimeout("timed out", request=request)

    with httpx.Client(transport=httpx.MockTransport(slow), timeout=None) as http:
        notifier = SlackNotifier(http, token=TOKEN, channel="C1", timeout=2.5)
        assert notifier.notify(Notice.GRANT_EXPIRED, active()) is None
        assert notifier.update("C1", "1.2", {"text": "x"}) is False
        assert notifier.update_message("https://hooks.slack.com/actions/T/1/x", "x") is False

    assert timeouts == [dict.fromkeys(("connect", "read", "write", "pool"), 2.5)] * 3
    assert "could not reach Slack (chat.update): ReadTimeout" in caplog.text


def test_a_message_that_cannot_be_built_is_logged_not_raised(
    client: httpx.Client, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    assert bot(client, slack).notify("grant.teleported", active()) is None

    assert slack.seen == []
    assert "could not build the Slack message for grant.teleported" in caplog.text


def test_the_token_never_shows_in_repr(client: httpx.Client) -> None:
    notifier = SlackNotifier(client, token=TOKEN, channel="C1")

    assert TOKEN not in repr(notifier)
    assert repr(notifier) == "<SlackNotifier bot, channel C1>"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either a Slack incoming webhook URL or a bot token"),
        ({"webhook_url": "https://hooks.slack.com/x", "token": TOKEN}, "either"),
        ({"token": TOKEN}, "needs a channel"),
    ],
)
def test_the_mode_must_be_unambiguous(
    client: httpx.Client, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SlackNotifier(client, **kwargs)
