"""Looking Slack users up: ``users.info`` and ``users.lookupByEmail`` through the notifier, and
`SlackUsers` (the mapping table first, answers remembered for an hour)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tailjit.ids import Login
from tailjit.notify import Lookup, NotFound, SlackNotifier, SlackUsers
from tailjit.requests.testing import T0

TOKEN = "xoxb-1234-5678-secret"
API = "https://slack.test/api"

Answer = Callable[[httpx.Request], dict[str, Any]]


class Slack:
    """A MockTransport Slack: records each request, answers with ``answer``."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.answer: Answer = lambda request: {"ok": True}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200, json=self.answer(request))

    def methods(self) -> list[str]:
        return [r.url.path.removeprefix("/api/") for r in self.seen]


@pytest.fixture
def slack() -> Slack:
    return Slack()


@pytest.fixture
def client(slack: Slack) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(slack.handle)) as http:
        yield http


@pytest.fixture
def bot(client: httpx.Client) -> SlackNotifier:
    return SlackNotifier(client, token=TOKEN, channel="C1", api_url=API)


def user(user_id: str, email: str | None) -> dict[str, Any]:
    profile = {"real_name": "Bob"} | ({} if email is None else {"email": email})
    return {"ok": True, "user": {"id": user_id, "name": "bob", "profile": profile}}


# --- the Web API calls ----------------------------------------------------------------------


def test_users_info_asks_for_the_user_and_reads_the_profile_email(
    slack: Slack, bot: SlackNotifier
) -> None:
    slack.answer = lambda request: user("U42", "bob@example.com")

    assert bot.user_email("U42") == Lookup(value="bob@example.com")

    (seen,) = slack.seen
    assert (seen.method, seen.url.path, dict(seen.url.params)) == (
        "GET",
        "/api/users.info",
        {"user": "U42"},
    )
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 2.0)


def test_a_missing_scope_is_the_error_with_the_scope_slack_names(
    slack: Slack, bot: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    slack.answer = lambda request: {
        "ok": False,
        "error": "missing_scope",
        "needed": "users:read.email",
        "provided": "chat:write",
    }

    with caplog.at_level(logging.WARNING, logger="tailjit.notify"):
        found = bot.user_email("U42")

    assert found == Lookup(error="missing_scope (needs users:read.email)")
    assert "Slack (users.info) refused: missing_scope" in caplog.text
    assert TOKEN not in caplog.text


def test_a_profile_without_email_says_which_scope_shows_it(
    slack: Slack, bot: SlackNotifier
) -> None:
    """Slack leaves the email out, with ok: true, when the token lacks users:read.email."""
    slack.answer = lambda request: user("U42", None)

    found = bot.user_email("U42")

    assert found.value is None
    assert found.error is not None
    assert "users:read.email" in found.error


def test_lookup_by_email_returns_the_user_id(slack: Slack, bot: SlackNotifier) -> None:
    slack.answer = lambda request: user("U42", "bob@example.com")

    assert bot.user_id_by_email("bob@example.com") == Lookup(value="U42")

    (seen,) = slack.seen
    assert seen.url.path == "/api/users.lookupByEmail"
    assert dict(seen.url.params) == {"email": "bob@example.com"}


def test_lookup_by_email_of_nobody_is_users_not_found(slack: Slack, bot: SlackNotifier) -> None:
    slack.answer = lambda request: {"ok": False, "error": "users_not_found"}

    assert bot.user_id_by_email("nobody@example.com") == Lookup(error="users_not_found")


def test_an_unreachable_slack_is_an_error_not_an_exception() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as http:
        notifier = SlackNotifier(http, token=TOKEN, channel="C1", api_url=API)
        assert notifier.user_email("U42") == Lookup(
            error="Slack could not be reached (ConnectError)"
        )


def test_a_webhook_cannot_look_anyone_up(slack: Slack, client: httpx.Client) -> None:
    notifier = SlackNotifier(client, webhook_url="https://hooks.slack.test/services/T/B/x")

    assert notifier.can_look_up is False
    assert notifier.user_email("U42") == Lookup(error="no bot token")
    assert notifier.user_id_by_email("bob@example.com") == Lookup(error="no bot token")
    assert slack.seen == []


# --- SlackUsers -----------------------------------------------------------------------------


def test_the_table_comes_first_and_asks_slack_nothing(slack: Slack, bot: SlackNotifier) -> None:
    users = SlackUsers(bot, {"UBOB": "Bob@Example.com"})

    assert users.login_of("UBOB", "someone-else@example.com", now=T0) == Login("bob@example.com")
    assert users.user_id_of(Login("bob@example.com"), now=T0) == "UBOB"
    assert slack.seen == []


def test_the_payload_email_comes_before_users_info(slack: Slack, bot: SlackNotifier) -> None:
    users = SlackUsers(bot, {})

    assert users.login_of("U42", "carol@example.com", now=T0) == Login("carol@example.com")
    assert slack.seen == []


def test_users_info_answers_are_remembered_for_the_ttl(slack: Slack, bot: SlackNotifier) -> None:
    slack.answer = lambda request: user("U42", "bob@example.com")
    users = SlackUsers(bot, {}, ttl=timedelta(hours=1))

    for minutes in (0, 1, 59):
        assert users.login_of("U42", None, now=T0 + timedelta(minutes=minutes)) == Login(
            "bob@example.com"
        )
    assert slack.methods() == ["users.info"]

    users.login_of("U42", None, now=T0 + timedelta(hours=1))
    assert slack.methods() == ["users.info"] * 2


def test_the_memory_is_bounded(slack: Slack, bot: SlackNotifier) -> None:
    slack.answer = lambda request: user(request.url.params["user"], "bob@example.com")
    users = SlackUsers(bot, {}, size=2)

    for user_id in ("U1", "U2", "U3", "U3", "U2", "U1"):
        users.login_of(user_id, None, now=T0)

    assert [r.url.params["user"] for r in slack.seen] == ["U1", "U2", "U3", "U1"]


def test_a_failed_lookup_says_why_and_is_asked_again_next_time(
    slack: Slack, bot: SlackNotifier
) -> None:
    slack.answer = lambda request: {"ok": False, "error": "missing_scope"}
    users = SlackUsers(bot, {})

    found = users.login_of("U42", None, now=T0)
    users.login_of("U42", None, now=T0)

    assert isinstance(found, NotFound)
    assert "U42 is not mapped to a tailnet login" in found.why
    assert "missing_scope" in found.why
    assert "users:read.email" in found.why
    assert slack.methods() == ["users.info"] * 2  # fixing the scope works at the next click


def test_without_a_bot_token_an_unmapped_user_is_refused(client: httpx.Client) -> None:
    notifier = SlackNotifier(client, webhook_url="https://hooks.slack.test/services/T/B/x")

    found = SlackUsers(notifier, {}).login_of("U42", None, now=T0)

    assert found == NotFound(
        "Slack user U42 is not mapped to a tailnet login: add it to receivers.slack_users"
    )


def test_an_email_that_is_not_a_login_is_refused(slack: Slack, bot: SlackNotifier) -> None:
    slack.answer = lambda request: user("U42", "not an email")

    found = SlackUsers(bot, {}).login_of("U42", None, now=T0)

    assert isinstance(found, NotFound)
    assert "not a login" in found.why


def test_user_id_of_looks_up_by_email_and_remembers_nobody_too(
    slack: Slack, bot: SlackNotifier
) -> None:
    known = {"carol@example.com": "UCAROL"}
    slack.answer = lambda request: (
        user(known[request.url.params["email"]], request.url.params["email"])
        if request.url.params["email"] in known
        else {"ok": False, "error": "users_not_found"}
    )
    users = SlackUsers(bot, {})

    for _ in range(2):
        assert users.user_id_of(Login("carol@example.com"), now=T0) == "UCAROL"
        missing = users.user_id_of(Login("dave@example.com"), now=T0)
        assert isinstance(missing, NotFound)
        assert "users_not_found" in missing.why

    assert slack.methods() == ["users.lookupByEmail"] * 2
