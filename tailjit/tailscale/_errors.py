"""The errors of the Tailscale API client, and the one place that translates HTTP into them.

Every failure a caller can see is a `TailscaleError`. A response with an error status becomes an
`ApiError` subclass chosen by status; an httpx transport failure becomes `TransportError`. Messages
quote at most a cut, token-redacted prefix of a response body, and never a request header.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tailjit.errors import TailjitError

BODY_QUOTE_LIMIT = 200
"""The most characters of a response body (or its ``message``) an error message quotes."""

# Every Tailscale credential starts with `tskey-`: API keys, OAuth client secrets, access tokens.
_TOKEN = re.compile(r"tskey-[A-Za-z0-9_\-]*")


def redact(text: str) -> str:
    """``text`` with every Tailscale key or token in it replaced by ``tskey-<redacted>``."""
    return _TOKEN.sub("tskey-<redacted>", text)


def quote_body(text: str, limit: int = BODY_QUOTE_LIMIT) -> str:
    """A redacted prefix of ``text`` of at most ``limit`` characters, marked when cut."""
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + "…"


class TailscaleError(TailjitError):
    """Base of every error raised by `tailjit.tailscale`."""


class SettingsError(TailscaleError):
    """The client's settings are incomplete or contradictory; the message names the variable."""


class TransportError(TailscaleError):
    """The request did not complete: connection refused or reset, timeout, TLS or protocol error.

    Retried within the budget; raised once the budget is spent.
    """


class ApiError(TailscaleError):
    """The API answered with an error status (or, for validation, a 200 carrying a message).

    ``status`` is the HTTP status, ``message`` the API's ``message`` field (or a cut prefix of a
    body that was not JSON), ``data`` the API's ``data`` field when present (validation and test
    failures list ``{"user", "errors", "warnings"}`` objects there).
    """

    def __init__(
        self, status: int, message: str, *, data: Any = None, method: str = "", path: str = ""
    ) -> None:
        self.status = status
        self.message = message
        self.data = data
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{status} {message}")


class Unauthorized(ApiError):
    """401: the key or token is missing, invalid or expired."""


class Forbidden(ApiError):
    """403: the credentials lack a scope or role for this operation."""


class NotFound(ApiError):
    """404: no such tailnet, device, user or attribute (or no permission to see it)."""


class PreconditionFailed(ApiError):
    """412: the policy file changed since the ETag given in ``If-Match``; read it again."""


class ValidationFailed(ApiError):
    """The API rejected the content: 400, or ``/acl/validate`` answering 200 with a message.

    ``failures`` gives ``data`` as ``(user, errors, warnings)`` triples, one per failing entry.
    """

    @property
    def failures(self) -> list[tuple[str, list[str], list[str]]]:
        """The per-user errors and warnings of a policy test or validation failure."""
        items = self.data if isinstance(self.data, list) else []
        return [
            (
                str(item.get("user", "")),
                list(item.get("errors") or []),
                list(item.get("warnings") or []),
            )
            for item in items
            if isinstance(item, dict)
        ]


class RateLimited(ApiError):
    """429: too many requests. ``retry_after``: the server's ``Retry-After`` in seconds, or None."""

    def __init__(
        self, status: int, message: str, *, retry_after: float | None = None, **kw: Any
    ) -> None:
        super().__init__(status, message, **kw)
        self.retry_after: float | None = retry_after


class UnexpectedResponse(ApiError):
    """A success status with a body the client cannot read (not JSON, or the wrong shape)."""


class ServerError(ApiError):
    """5xx: the API failed or timed out on its side. Retried (except 501) within the budget."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationFailed,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    412: PreconditionFailed,
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds, or None when absent or unreadable.

    An HTTP-date is measured against the response's own ``Date`` header, so no clock is read.
    """
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def body_message(response: httpx.Response) -> tuple[str, Any]:
    """The ``message`` and ``data`` of an error body; a cut prefix of the text if not JSON."""
    text = response.text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return quote_body(body["message"]), body.get("data")
    return quote_body(text.strip()) or response.reason_phrase or "(empty body)", None


def error_from_response(response: httpx.Response, method: str, path: str) -> ApiError:
    """The `ApiError` subclass for an error response (status ≥ 400)."""
    status = response.status_code
    message, data = body_message(response)
    where = {"method": method, "path": path, "data": data}
    if status == 429:
        return RateLimited(status, message, retry_after=retry_after_seconds(response), **where)
    if status >= 500:
        return ServerError(status, message, **where)
    return _BY_STATUS.get(status, ApiError)(status, message, **where)


def error_from_transport(exc: httpx.HTTPError, method: str, path: str) -> TransportError:
    """A `TransportError` for an httpx failure: its class name and a cut, redacted message."""
    detail = quote_body(str(exc)) or "no detail"
    return TransportError(f"{method} {path}: {type(exc).__name__}: {detail}")
