"""Credentials: an API access token, or an OAuth client exchanging its secret for access tokens.

Both produce the ``Authorization`` header of a request. The OAuth form caches its access token
and renews it ``oauth_renew_before_seconds`` before the expiry the token endpoint announced
(Tailscale's tokens last one hour), measured on an injected monotonic clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from tailjit.tailscale._errors import (
    ApiError,
    Unauthorized,
    body_message,
    error_from_response,
    error_from_transport,
)
from tailjit.tailscale._settings import TailscaleSettings

log = logging.getLogger("tailjit.tailscale")

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic``); tests pass a fake to control token expiry."""

TOKEN_PATH = "/api/v2/oauth/token"


class Credentials(Protocol):
    """Whatever authorizes requests; ``renewable`` ones can fetch a new token after a 401."""

    @property
    def renewable(self) -> bool: ...

    def authorization(self) -> str:
        """The ``Authorization`` header value for the next request (may fetch a token)."""
        ...

    def invalidate(self) -> None:
        """Forget any cached token, so the next `authorization` fetches a fresh one."""
        ...


class ApiKeyAuth:
    """An API access token, sent as ``Authorization: Bearer <token>``."""

    renewable = False

    def __init__(self, api_key: SecretStr) -> None:
        self._api_key = api_key

    def authorization(self) -> str:
        return f"Bearer {self._api_key.get_secret_value()}"

    def invalidate(self) -> None:
        """An API key cannot be renewed; nothing to forget."""

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=SecretStr('**********'))"


class _TokenResponse(BaseModel):
    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    access_token: SecretStr
    expires_in: float = 3600.0


class OAuthClientAuth:
    """OAuth client credentials, exchanged at ``/api/v2/oauth/token`` for one-hour tokens.

    The token is fetched on first use and cached; it is renewed once the clock reaches
    ``renew_at``: ``oauth_renew_before_seconds`` before its expiry, or half its lifetime for
    tokens shorter than that margin. Safe to share between threads.
    """

    renewable = True

    def __init__(
        self, settings: TailscaleSettings, http: httpx.Client, clock: Clock = time.monotonic
    ) -> None:
        if settings.oauth_client_id is None or settings.oauth_client_secret is None:
            raise ValueError("OAuthClientAuth needs settings with OAuth client credentials")
        self._client_id = settings.oauth_client_id
        self._secret = settings.oauth_client_secret
        self._url = settings.base_url + TOKEN_PATH
        self._renew_before = settings.oauth_renew_before_seconds
        self._timeout = settings.timeout_seconds
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._token: SecretStr | None = None
        self._renew_at: float | None = None

    @property
    def renew_at(self) -> float | None:
        """Clock time at which the cached token will be renewed; None when none is cached."""
        return self._renew_at if self._token is not None else None

    def authorization(self) -> str:
        with self._lock:
            if self._token is None or self._renew_at is None or self._clock() >= self._renew_at:
                self._token, self._renew_at = self._fetch()
            return f"Bearer {self._token.get_secret_value()}"

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._renew_at = None

    def _fetch(self) -> tuple[SecretStr, float]:
        issued = self._clock()  # before the request, so the token is never older than assumed
        form = {
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "grant_type": "client_credentials",
        }
        try:
            response = self._http.post(
                self._url, data=form, headers={"Accept": "application/json"}, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, "POST", TOKEN_PATH) from exc
        status = response.status_code
        if 400 <= status < 500 and status != 429:
            # invalid_client, invalid_request, ...: the credentials themselves are at fault.
            message, data = body_message(response)
            raise Unauthorized(
                status,
                f"OAuth token exchange refused: {message}",
                data=data,
                method="POST",
                path=TOKEN_PATH,
            )
        if status >= 400:
            raise error_from_response(response, "POST", TOKEN_PATH)
        try:
            token = _TokenResponse.model_validate_json(response.content)
        except ValidationError as exc:
            raise ApiError(
                status, "OAuth token response lacks access_token", method="POST", path=TOKEN_PATH
            ) from exc
        lifetime = token.expires_in
        renew_at = issued + max(lifetime - self._renew_before, lifetime / 2)
        log.info("obtained an OAuth access token valid for %.0fs", lifetime)
        return token.access_token, renew_at

    def __repr__(self) -> str:
        state = "cached" if self._token is not None else "none"
        return (
            f"OAuthClientAuth(client_id={self._client_id!r}, "
            f"client_secret=SecretStr('**********'), token={state})"
        )


def credentials_from_settings(
    settings: TailscaleSettings, http: httpx.Client, clock: Clock = time.monotonic
) -> Credentials:
    """The credentials the settings describe: `ApiKeyAuth` or `OAuthClientAuth`."""
    if settings.api_key is not None:
        return ApiKeyAuth(settings.api_key)
    return OAuthClientAuth(settings, http, clock)
