"""Sending notifications to Slack: an incoming webhook, or a bot token and the Web API.

`SlackNotifier` posts the messages of `tailjit.notify.messages` and updates them later:

- **incoming webhook** (``webhook_url``): one fixed channel, no message timestamp back, so no
  `update` (a click's ``response_url`` still replaces the message: `update_message`);
- **bot token** (``token`` and a default ``channel``): ``chat.postMessage`` with
  ``Authorization: Bearer xoxb-…``, returning the channel and ``ts`` that ``chat.update`` needs
  (WEBHOOKS.md §6: use it when the update may come more than 30 minutes after a click, e.g.
  when the grant expires); it also looks people up: ``users.info`` (a Slack user's email, which
  needs the ``users:read`` and ``users:read.email`` scopes) and ``users.lookupByEmail`` (the
  Slack user with an email), for `tailjit.notify.users`.

Notifications must never break the workflow: every failure (transport error, timeout, an HTTP
error, Slack's ``{"ok": false}``) is logged as a warning and returned as False or None, never
raised; a lookup returns a `Lookup` whose ``error`` says why it found nothing (Slack's error
code, with the scope it needs when Slack says so). Each call has a bounded timeout and is not
retried: a lost notification is better than a daemon that waits on Slack. Logs name the Web
API method or only the host of a webhook or response URL (their paths are credentials), never
the token or a looked-up email, and cut Slack's answer short.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tailjit.notify.messages import message_for

__all__ = ["SLACK_API", "Lookup", "Posted", "SlackNotifier"]

log = logging.getLogger("tailjit.notify")

SLACK_API = "https://slack.com/api"
_JSON = "application/json; charset=utf-8"  # without the charset the Web API warns
_BODY_LIMIT = 200
"""Characters of Slack's answer put in a log line."""


@dataclass(frozen=True, slots=True)
class Posted:
    """A message Slack accepted: its ``channel`` and ``ts`` (both None through an incoming
    webhook, which does not say)."""

    channel: str | None = None
    ts: str | None = None


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a user lookup found: ``value`` (an email or a Slack user id), or else ``error``, a
    short reason safe to show and log (``user_not_found``, ``missing_scope (needs
    users:read.email)``, ``no bot token``, ``Slack could not be reached``, ...)."""

    value: str | None = None
    error: str | None = None


class SlackNotifier:
    """Notifications to Slack through ``client`` (see the module docstring).

    Give either ``webhook_url``, or ``token`` (a bot token) and ``channel`` (the default
    channel, e.g. the approvers'). ``api_url`` is the Web API's base (tests point it at a local
    server); ``timeout`` bounds each call, in seconds (default 5); ``lookup_timeout`` bounds a
    user lookup (default 2: a click must be answered within 3 seconds).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        webhook_url: str | None = None,
        token: str | None = None,
        channel: str | None = None,
        api_url: str = SLACK_API,
        timeout: float = 5.0,
        lookup_timeout: float = 2.0,
    ) -> None:
        if (webhook_url is None) == (token is None):
            raise ValueError("give either a Slack incoming webhook URL or a bot token")
        if token is not None and not channel:
            raise ValueError("a Slack bot token needs a channel to post to")
        self._client = client
        self._webhook_url = webhook_url
        self._token = token
        self.channel = channel
        self._api_url = api_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._lookup_timeout = httpx.Timeout(lookup_timeout)

    def __repr__(self) -> str:  # never the token or the webhook URL
        mode = "webhook" if self._webhook_url is not None else f"bot, channel {self.channel}"
        return f"<SlackNotifier {mode}>"

    # --- posting ---------------------------------------------------------------------------

    def notify(
        self,
        event: str,
        data: Mapping[str, Any],
        *,
        channel: str | None = None,
        note: str | None = None,
    ) -> Posted | None:
        """Post the message for ``event`` about ``data`` (`message_for`); what Slack accepted,
        or None (logged) when building or posting it failed."""
        try:
            message = message_for(event, data, note=note)
        except Exception:  # a notification never breaks the workflow, even through a bug
            log.exception("could not build the Slack message for %s", event)
            return None
        return self.post(message, channel=channel)

    def post(self, message: Mapping[str, Any], *, channel: str | None = None) -> Posted | None:
        """Post ``message`` (``text`` and ``blocks``): to ``channel`` or the default one with a
        bot token; to the webhook's own channel otherwise (``channel`` is ignored)."""
        if self._token is None:
            assert self._webhook_url is not None
            payload = {**message, "unfurl_links": False}
            answer = self._send(self._webhook_url, payload, what=_host(self._webhook_url))
            return None if answer is None else Posted()
        payload = {**message, "channel": channel or self.channel, "unfurl_links": False}
        result = self._web_api("chat.postMessage", payload)
        if result is None:
            return None
        return Posted(channel=_str(result.get("channel")), ts=_str(result.get("ts")))

    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> bool:
        """Replace the message ``ts`` in ``channel`` (``chat.update``, bot token only); True
        if Slack accepted it. Give ``blocks``: text alone removes the message's blocks."""
        if self._token is None:
            log.warning("cannot update a Slack message through an incoming webhook")
            return False
        payload = {**message, "channel": channel, "ts": ts}
        return self._web_api("chat.update", payload) is not None

    @property
    def can_look_up(self) -> bool:
        """Whether there is a bot token to call the Web API with (not through a webhook)."""
        return self._token is not None

    # --- looking people up -----------------------------------------------------------------

    def user_email(self, user_id: str) -> Lookup:
        """The email of the Slack user ``user_id`` (``users.info``, its ``user.profile.email``).
        Slack leaves the email out when the token lacks ``users:read.email``."""
        user, error = self._user("users.info", {"user": user_id})
        if user is None:
            return Lookup(error=error)
        profile = user.get("profile")
        email = profile.get("email") if isinstance(profile, dict) else None
        if not isinstance(email, str) or not email:
            return Lookup(error="no email in the profile (the bot needs users:read.email)")
        return Lookup(value=email)

    def user_id_by_email(self, email: str) -> Lookup:
        """The id of the Slack user with ``email`` (``users.lookupByEmail``); ``error`` is
        ``users_not_found`` when nobody in the workspace has it."""
        user, error = self._user("users.lookupByEmail", {"email": email})
        if user is None:
            return Lookup(error=error)
        found = _str(user.get("id"))
        return Lookup(value=found) if found else Lookup(error="no user id in the answer")

    def _user(self, method: str, params: Mapping[str, str]) -> tuple[dict[str, Any] | None, str]:
        """The ``user`` of a lookup method's answer, or None and why."""
        if self._token is None:
            return None, "no bot token"
        answer, error = self._call(
            "GET",
            f"{self._api_url}/{method}",
            what=method,
            params=params,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=self._lookup_timeout,
        )
        if answer is None:
            return None, error
        user = answer.get("user") if isinstance(answer, dict) else None
        if not isinstance(user, dict):
            log.warning("Slack %s answered without a user", method)
            return None, "no user in the answer"
        return user, ""

    # --- answering a click -----------------------------------------------------------------

    def update_message(
        self, response_url: str, text: str, blocks: Sequence[Mapping[str, Any]] | None = None
    ) -> bool:
        """Replace the message a button was clicked in, through the interaction's
        ``response_url`` (up to 5 times within 30 minutes of the click); True if accepted.
        ``text`` is mrkdwn: escape what people typed (`tailjit.notify.messages.escape`)."""
        payload: dict[str, Any] = {"replace_original": "true", "text": text}
        if blocks is not None:
            payload["blocks"] = list(blocks)
        return self._send(response_url, payload, what=_host(response_url)) is not None

    def delete_message(self, response_url: str) -> bool:
        """Delete the message a button was clicked in, through its ``response_url``."""
        payload = {"delete_original": "true"}
        return self._send(response_url, payload, what=_host(response_url)) is not None

    # --- HTTP ------------------------------------------------------------------------------

    def _web_api(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        """Call a Web API method; its answer when ``ok``, else None (logged)."""
        headers = {"Authorization": f"Bearer {self._token}"}
        answer = self._send(f"{self._api_url}/{method}", payload, what=method, headers=headers)
        if answer is None:
            return None
        if not isinstance(answer, dict):
            log.warning("Slack %s answered with something else than JSON", method)
            return None
        return answer

    def _send(
        self,
        url: str,
        payload: Mapping[str, Any],
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST ``payload`` as JSON to ``url``: the answer (JSON decoded if it is JSON, else
        the text) when Slack accepted it, None (logged) when it did not."""
        answer, _ = self._call(
            "POST",
            url,
            what=what,
            content=json.dumps(payload).encode(),
            headers={"Content-Type": _JSON, **(headers or {})},
            timeout=self._timeout,
        )
        return answer

    def _call(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        timeout: httpx.Timeout,
        headers: Mapping[str, str],
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[Any, str]:
        """One HTTP call: the answer (JSON decoded if it is JSON, else the text) and "" when
        Slack accepted it; None and a short reason (logged) when it did not."""
        try:
            response = self._client.request(
                verb, url, content=content, params=params, headers=headers, timeout=timeout
            )
        except httpx.HTTPError as error:  # transport errors and timeouts
            log.warning("could not reach Slack (%s): %s", what, type(error).__name__)
            return None, f"Slack could not be reached ({type(error).__name__})"
        except Exception:  # a notification never breaks the workflow, even through a bug
            log.exception("could not send to Slack (%s)", what)
            return None, "an internal error (logged)"
        body = _cut(response.text)
        if response.status_code == 429:
            retry = response.headers.get("Retry-After", "?")
            log.warning("Slack (%s) is rate limiting (Retry-After %s s)", what, retry)
            return None, "rate limited by Slack"
        if not response.is_success:
            log.warning("Slack (%s) refused with %d: %s", what, response.status_code, body)
            return None, f"HTTP {response.status_code}"
        try:
            answer: Any = response.json()
        except ValueError:
            return response.text, ""  # incoming webhooks answer "ok"
        if isinstance(answer, dict) and answer.get("ok") is False:
            reason = _cut(str(answer.get("error", "no error given")))
            needed = answer.get("needed")
            if isinstance(needed, str) and needed:
                reason += f" (needs {_cut(needed)})"
            log.warning("Slack (%s) refused: %s", what, reason)
            return None, reason
        return answer, ""


def _host(url: str) -> str:
    """Where a webhook or response URL goes, without its path (the path is the secret)."""
    try:
        return httpx.URL(url).host or "an unknown host"
    except Exception:
        return "an invalid URL"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _BODY_LIMIT else text[: _BODY_LIMIT - 1] + "…"
