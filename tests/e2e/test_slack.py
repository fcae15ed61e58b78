"""Slack, end to end: the request posted to the approvers' channel with buttons and to each
approver directly, a click by a non-approver refused and said so in the message, a click by an
approver (mapped by the table or by the email Slack shows) approving it, every message updated,
and the grant going active. Slack itself is a small recording server on loopback."""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tailjit.api.server import ThreadedServer, bind, url_of
from tailjit.identity import slack
from tests.e2e.conftest import Daemon, Sandbox, wait_for

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class FakeSlack:
    """Records Web API calls and response_url replies; ``people`` are the workspace's users
    (id → email) for ``users.info`` and ``users.lookupByEmail``; ``users_info_error`` makes
    ``users.info`` fail as Slack does."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.answered: list[dict[str, Any]] = []  # what chat.postMessage answered, in order
        self.updated: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.users_info: list[str] = []
        self.people: dict[str, str] = {}
        self.users_info_error: str | None = None
        self._ts = itertools.count(1)

    async def post_message(self, request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer xoxb-e2e"
        body = json.loads(await request.body())
        self.posted.append(body)
        # A user id as the channel opens a direct message: Slack answers with its D… channel.
        channel = "D" + body["channel"][1:] if body["channel"].startswith("U") else "C1"
        answer = {"ok": True, "channel": channel, "ts": f"1767268800.{next(self._ts):06d}"}
        self.answered.append(answer)
        return JSONResponse(answer)

    async def update(self, request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer xoxb-e2e"
        self.updated.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    async def user_info(self, request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer xoxb-e2e"
        user = request.query_params["user"]
        self.users_info.append(user)
        if self.users_info_error is not None:
            return JSONResponse({"ok": False, "error": self.users_info_error})
        if user not in self.people:
            return JSONResponse({"ok": False, "error": "user_not_found"})
        profile = {"email": self.people[user], "real_name": "Someone"}
        return JSONResponse({"ok": True, "user": {"id": user, "profile": profile}})

    async def lookup_by_email(self, request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer xoxb-e2e"
        email = request.query_params["email"]
        for user, known in self.people.items():
            if known == email:
                return JSONResponse({"ok": True, "user": {"id": user, "profile": {"email": email}}})
        return JSONResponse({"ok": False, "error": "users_not_found"})

    async def reply(self, request: Request) -> JSONResponse:
        self.replies.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})


@pytest.fixture
def fake_slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    app = Starlette(
        routes=[
            Route("/api/chat.postMessage", fake.post_message, methods=["POST"]),
            Route("/api/chat.update", fake.update, methods=["POST"]),
            Route("/api/users.info", fake.user_info, methods=["GET"]),
            Route("/api/users.lookupByEmail", fake.lookup_by_email, methods=["GET"]),
            Route("/reply", fake.reply, methods=["POST"]),
        ]
    )
    sock = bind("127.0.0.1", 0)
    server = ThreadedServer(app, sock, name="fake-slack")
    server.start()
    yield fake, url_of("127.0.0.1", sock.getsockname()[1])
    server.stop()


def config(base: str, users: str) -> str:
    """The daemon's Slack configuration with a bot token; ``users`` is the slack_users table."""
    return (
        "[receivers]\n"
        f'slack_signing_secret = "{SIGNING_SECRET}"\n'
        'slack_bot_token = "xoxb-e2e"\nslack_channel = "#access"\n'
        f'slack_api_url = "{base}/api"\n'
        f"[receivers.slack_users]\n{users}"
    )


def ask(daemon: Daemon, target: str = "tcp:db-prod:5432") -> dict[str, Any]:
    request: dict[str, Any] = daemon.api(
        "POST",
        "/v1/requests",
        user="alice@example.com",
        json={"target": target, "duration": "30m", "reason": "slow query"},
    )["request"]
    return request


def click(daemon: Daemon, base: str, user: str, action: str, request_id: str) -> httpx.Response:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower()},
        "actions": [{"action_id": action, "value": request_id, "block_id": "b"}],
        "response_url": base + "/reply",
        "container": {"channel_id": "C1", "message_ts": "1.1"},
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    headers = {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack.sign(SIGNING_SECRET, ts, body),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return httpx.post(daemon.url + "/v1/slack/interactions", content=body, headers=headers)


def test_an_approval_click_approves_and_a_non_approver_click_is_refused(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, base = fake_slack
    daemon = start_daemon(
        sandbox_process,
        config_extra=(
            "[receivers]\n"
            f'slack_signing_secret = "{SIGNING_SECRET}"\n'
            'slack_bot_token = "xoxb-e2e"\nslack_channel = "#access"\n'
            f'slack_api_url = "{base}/api"\n'
            '[receivers.slack_users]\nUALICE = "alice@example.com"\nUBOB = "bob@example.com"\n'
        ),
    )
    asked = daemon.api(
        "POST",
        "/v1/requests",
        user="alice@example.com",
        json={"target": "tcp:db-prod:5432", "duration": "30m", "reason": "slow query"},
    )["request"]
    posted = wait_for(lambda: [m for m in fake.posted if asked["id"] in json.dumps(m)])
    buttons = [
        element
        for block in posted[0]["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert {b["action_id"] for b in buttons} == {"tailjit_approve", "tailjit_deny"}
    assert {b["value"] for b in buttons} == {asked["id"]}

    refused = click(daemon, base, "UALICE", "tailjit_approve", asked["id"])
    assert refused.status_code == 200
    assert "could not approve" in refused.json()["text"]
    wait_for(lambda: any("could not approve" in json.dumps(r) for r in fake.replies))
    assert daemon.request(asked["id"])["state"] == "pending"

    unknown = click(daemon, base, "UNOBODY", "tailjit_approve", asked["id"])
    assert "not mapped to a tailnet login" in unknown.json()["text"]

    approved = click(daemon, base, "UBOB", "tailjit_approve", asked["id"])
    assert approved.status_code == 200, approved.text
    wait_for(lambda: daemon.request(asked["id"])["state"] == "active")
    wait_for(lambda: any("approved by bob@example.com" in json.dumps(r) for r in fake.replies))
    assert all(r.get("replace_original") in (True, "true") for r in fake.replies)

    forged = httpx.post(
        daemon.url + "/v1/slack/interactions",
        content=b"payload=%7B%7D",
        headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
    )
    assert forged.status_code == 401


def test_a_click_from_a_user_missing_from_the_table_is_mapped_by_the_email_slack_shows(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, base = fake_slack
    fake.people = {"UBOBBY": "Bob@Example.com"}
    daemon = start_daemon(
        sandbox_process, config_extra=config(base, 'UALICE = "alice@example.com"\n')
    )
    asked = ask(daemon)

    approved = click(daemon, base, "UBOBBY", "tailjit_approve", asked["id"])
    again = click(daemon, base, "UBOBBY", "tailjit_approve", asked["id"])

    assert approved.json()["text"] == f"bob@example.com: request {asked['id']} is approved"
    assert "bob@example.com could not approve" in again.json()["text"]  # no longer pending
    assert fake.users_info == ["UBOBBY"]  # the second click used the remembered answer
    wait_for(lambda: daemon.request(asked["id"])["state"] == "active")


def test_a_failed_users_info_refuses_the_click_and_says_why(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
) -> None:
    fake, base = fake_slack
    fake.people = {"UBOBBY": "bob@example.com"}
    fake.users_info_error = "missing_scope"
    daemon = start_daemon(sandbox_process, config_extra=config(base, ""))
    asked = ask(daemon)

    refused = click(daemon, base, "UBOBBY", "tailjit_approve", asked["id"])

    assert refused.status_code == 200
    text = refused.json()["text"]
    assert "UBOBBY is not mapped to a tailnet login" in text
    assert "missing_scope" in text
    assert "users:read.email" in text
    wait_for(lambda: any("missing_scope" in json.dumps(r) for r in fake.replies))
    assert daemon.request(asked["id"])["state"] == "pending"
    assert "xoxb-e2e" not in daemon.process.output()


def test_a_new_request_goes_to_each_approver_and_every_message_is_updated_when_decided(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
) -> None:
    """db-prod: bob (in the table) and carol (found by email) are messaged, alice (the
    requester) is not; web-staging: alice approves her own requests, and is still not asked."""
    fake, base = fake_slack
    fake.people = {"UCAROL": "carol@example.com"}
    users = 'UALICE = "alice@example.com"\nUBOB = "bob@example.com"\n'
    daemon = start_daemon(sandbox_process, config_extra=config(base, users))
    asked = ask(daemon)

    def about(request_id: str) -> list[tuple[str, str]]:
        return [
            (message["channel"], answer["channel"] + " " + answer["ts"])
            for message, answer in zip(fake.posted, fake.answered, strict=True)
            if request_id in json.dumps(message)
        ]

    posts = wait_for(lambda: len(about(asked["id"])) == 3 and about(asked["id"]))
    assert sorted(channel for channel, _ in posts) == ["#access", "UBOB", "UCAROL"]

    staging = ask(daemon, "tcp:web-staging:443")
    staged = wait_for(lambda: len(about(staging["id"])) == 2 and about(staging["id"]))
    assert sorted(channel for channel, _ in staged) == ["#access", "UCAROL"]

    approved = click(daemon, base, "UBOB", "tailjit_approve", asked["id"])
    assert approved.json()["text"].endswith("is approved"), approved.text

    def updated(where: str) -> bool:
        channel, ts = where.split(" ")
        return any(
            u["channel"] == channel and u["ts"] == ts and "*Approved* by bob" in u["text"]
            for u in fake.updated
        )

    wait_for(lambda: all(updated(where) for _, where in posts))
    assert {where.split(" ")[0] for _, where in posts} == {"C1", "DBOB", "DCAROL"}
    assert not any(staging["id"] in json.dumps(u) for u in fake.updated)  # still pending


TWO_STAGES = """{
  "settings": {"maxDuration": "8h", "pendingTtl": "2h", "admins": ["carol@example.com"]},
  "eligibilities": [{
    "name": "db-prod", "requesters": ["alice@example.com"], "destinations": ["db-prod:5432"],
    "maxDuration": "4h",
    "approval": {"stages": [
      {"approvers": ["bob@example.com"]}, {"approvers": ["carol@example.com"]},
    ]},
  }],
}
"""


def audit(daemon: Daemon) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = daemon.api("GET", "/v1/audit", params={"limit": 1000})[
        "records"
    ]
    return records


def test_an_approval_that_moves_a_request_to_the_next_stage_asks_that_stages_approvers(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
    tmp_path: Path,
) -> None:
    fake, base = fake_slack
    users = 'UBOB = "bob@example.com"\nUCAROL = "carol@example.com"\n'
    policy = tmp_path / "two-stages.hujson"
    policy.write_text(TWO_STAGES)
    daemon = start_daemon(
        sandbox_process, config_extra=config(base, users), TAILJIT_POLICY=str(policy)
    )
    asked = ask(daemon)

    def messaged() -> list[str]:
        return [m["channel"] for m in fake.posted if asked["id"] in json.dumps(m)]

    assert sorted(wait_for(lambda: len(messaged()) == 2 and messaged())) == ["#access", "UBOB"]

    first = click(daemon, base, "UBOB", "tailjit_approve", asked["id"])

    assert daemon.request(asked["id"])["state"] == "pending", first.text
    assert wait_for(lambda: len(messaged()) == 3 and messaged())[-1] == "UCAROL"
    second = click(daemon, base, "UCAROL", "tailjit_approve", asked["id"])
    assert second.json()["text"].endswith("is approved"), second.text
    wait_for(lambda: "grant.activated" in [r["event"] for r in audit(daemon)])
    time.sleep(1.5)  # a poll or more: nobody more is asked once it is decided
    assert [channel for channel in messaged() if channel.startswith("U")] == ["UBOB", "UCAROL"]


def test_messages_posted_before_a_restart_are_updated_after_it(
    start_daemon: Callable[..., Daemon],
    sandbox_process: Sandbox,
    fake_slack: tuple[FakeSlack, str],
) -> None:
    """The channel message and both direct messages are posted, the daemon is stopped and
    started again on the same state, and bob's click updates all three."""
    fake, base = fake_slack
    fake.people = {"UCAROL": "carol@example.com"}
    users = 'UALICE = "alice@example.com"\nUBOB = "bob@example.com"\n'
    daemon = start_daemon(sandbox_process, name="slack", config_extra=config(base, users))
    asked = ask(daemon)

    def about() -> list[tuple[str, str]]:
        return [
            (answer["channel"], answer["ts"])
            for message, answer in zip(fake.posted, fake.answered, strict=True)
            if asked["id"] in json.dumps(message)
        ]

    posts = wait_for(lambda: len(about()) == 3 and about())
    assert sorted(channel for channel, _ in posts) == ["C1", "DBOB", "DCAROL"]
    assert daemon.stop() == 0
    restarted = start_daemon(sandbox_process, name="slack", config_extra=config(base, users))

    approved = click(restarted, base, "UBOB", "tailjit_approve", asked["id"])
    assert approved.json()["text"].endswith("is approved"), approved.text

    def updated(channel: str, ts: str) -> bool:
        return any(
            u["channel"] == channel and u["ts"] == ts and "*Approved* by bob" in u["text"]
            for u in fake.updated
        )

    wait_for(lambda: all(updated(channel, ts) for channel, ts in posts))
    direct = sorted(channel for channel, _ in about() if channel.startswith("D"))
    assert direct == ["DBOB", "DCAROL"]  # nobody was asked again after the restart
