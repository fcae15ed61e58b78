"""Slack, end to end: the request posted to the approvers' channel with buttons, a click by a
non-approver refused and said so in the message, a click by an approver approving it, and the
grant going active. Slack itself is a small recording server on loopback."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
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
    """Records Web API calls and response_url replies."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []

    async def post_message(self, request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer xoxb-e2e"
        self.posted.append(json.loads(await request.body()))
        return JSONResponse({"ok": True, "channel": "C1", "ts": f"{time.time():.6f}"})

    async def reply(self, request: Request) -> JSONResponse:
        self.replies.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})


@pytest.fixture
def fake_slack() -> Iterator[tuple[FakeSlack, str]]:
    fake = FakeSlack()
    app = Starlette(
        routes=[
            Route("/api/chat.postMessage", fake.post_message, methods=["POST"]),
            Route("/reply", fake.reply, methods=["POST"]),
        ]
    )
    sock = bind("127.0.0.1", 0)
    server = ThreadedServer(app, sock, name="fake-slack")
    server.start()
    yield fake, url_of("127.0.0.1", sock.getsockname()[1])
    server.stop()


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
