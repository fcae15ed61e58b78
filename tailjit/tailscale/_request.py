"""The one HTTP seam: authorize, send, translate the outcome, retry what is transient.

`Requester` is shared by every endpoint method of `TailscaleClient`. One attempt is: take the
``Authorization`` header from the credentials, send through the injected `httpx.Client`, and on a
401 with renewable (OAuth) credentials, fetch a new token and send once more. An error status
becomes an `ApiError` here and nowhere else; tenacity repeats attempts that `is_retryable` allows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from tailjit.tailscale._auth import Credentials
from tailjit.tailscale._errors import (
    UnexpectedResponse,
    error_from_response,
    error_from_transport,
    quote_body,
)
from tailjit.tailscale._retry import Sleep, retrying
from tailjit.tailscale._settings import TailscaleSettings

log = logging.getLogger("tailjit.tailscale")

M = TypeVar("M", bound=BaseModel)

Params = Mapping[str, str | list[str]]


def segment(value: str) -> str:
    """``value`` escaped as one path segment (``/`` included); ``:`` stays, as in client-go."""
    return quote(value, safe=":@")


class Requester:
    """Sends API requests with credentials, translation and retries. Not part of the public API."""

    def __init__(
        self,
        http: httpx.Client,
        settings: TailscaleSettings,
        credentials: Credentials,
        sleep: Sleep,
    ) -> None:
        self._http = http
        self._settings = settings
        self._credentials = credentials
        self._retrying = retrying(settings, sleep)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send ``method path`` (a path under ``/api/v2``) and return a success response.

        Raises the typed error of the last attempt once retries are spent or not allowed.
        """
        # A copy per call keeps concurrent calls' retry state apart (the daemon shares a client).
        retrying = self._retrying.copy()
        return retrying(self._attempt, method, path, params, headers or {}, content)

    def json(self, response: httpx.Response, method: str, path: str) -> Any:
        """The JSON body of a success response; `UnexpectedResponse` if it is not JSON."""
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise UnexpectedResponse(
                response.status_code,
                f"response is not JSON: {quote_body(response.text)}",
                method=method,
                path=path,
            ) from exc

    def parse(self, model: type[M], data: Any, status: int, method: str, path: str) -> M:
        """``data`` validated as ``model``; `UnexpectedResponse` naming the fields that failed."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            fields = ", ".join(
                ".".join(map(str, error["loc"])) or "body"
                for error in exc.errors(include_input=False, include_url=False)
            )
            raise UnexpectedResponse(
                status,
                f"unexpected {model.__name__} in response: {fields}",
                method=method,
                path=path,
            ) from exc

    def _attempt(
        self,
        method: str,
        path: str,
        params: Params | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> httpx.Response:
        response = self._send(method, path, params, headers, content)
        if response.status_code == 401 and self._credentials.renewable:
            # An OAuth token can be revoked or expire early; one fresh token settles which.
            log.info("%s %s: 401, renewing the OAuth access token once", method, path)
            self._credentials.invalidate()
            response = self._send(method, path, params, headers, content)
        if response.status_code >= 400:
            raise error_from_response(response, method, path)
        log.debug("%s %s: %d", method, path, response.status_code)
        return response

    def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> httpx.Response:
        all_headers = {"Authorization": self._credentials.authorization(), **headers}
        try:
            return self._http.request(
                method,
                self._settings.base_url + path,
                params=params,
                headers=all_headers,
                content=content,
                timeout=self._settings.timeout_seconds,
            )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, method, path) from exc
