"""Who is calling and what they may do: API keys, OAuth client credentials, scopes.

- API key: the username of HTTP Basic (empty password) or a Bearer token; it has every scope.
- OAuth: ``POST /api/v2/oauth/token`` with ``client_id``/``client_secret`` as form fields or
  HTTP Basic, ``grant_type`` optional (``client_credentials`` if sent), optional space-separated
  ``scope`` (a subset of the client's). Tokens last one hour and carry the granted scopes.
- A ``tskey-client-`` secret used directly as a token is refused with the permission error
  Tailscale gives (TS#15969), and a token lacking a scope gets the same 403.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping

from tailjit.sandbox.errors import PERMISSION_DENIED, Forbidden, OAuthError, Unauthorized
from tailjit.sandbox.scopes import missing
from tailjit.sandbox.state import Principal, SandboxState

INVALID_TOKEN = "API token invalid"


def _basic(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def credentials(authorization: str | None) -> str | None:
    """The token in an ``Authorization`` header: Bearer, or the Basic username."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        pair = _basic(value)
        return pair[0] if pair and pair[0] else None
    return None


def _same(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def authenticate(state: SandboxState, authorization: str | None) -> Principal:
    """The caller behind ``authorization``; 401 for no or unknown credentials."""
    token = credentials(authorization)
    if token is None:
        raise Unauthorized(INVALID_TOKEN)
    if any(_same(token, client.secret) for client in state.oauth_clients):
        raise Forbidden(PERMISSION_DENIED)
    principal = state.principal_for(token)
    if principal is None:
        raise Unauthorized(INVALID_TOKEN)
    return principal


def authorize(principal: Principal, needed: tuple[str, ...]) -> None:
    """403 unless ``principal`` holds every scope in ``needed``."""
    if missing(principal.scopes, needed):
        raise Forbidden(PERMISSION_DENIED)


def issue_token(
    state: SandboxState, form: Mapping[str, str], authorization: str | None
) -> dict[str, object]:
    """The token endpoint: check the client credentials and return an RFC 6749 token body."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id and authorization and authorization.lower().startswith("basic "):
        pair = _basic(authorization[6:])
        if pair:
            client_id, secret = pair
    grant_type = form.get("grant_type")
    if grant_type not in (None, "", "client_credentials"):
        raise OAuthError(400, "unsupported_grant_type", f"unsupported grant_type {grant_type!r}")
    client = next(
        (c for c in state.oauth_clients if c.client_id == client_id and _same(secret, c.secret)),
        None,
    )
    if client is None:
        raise OAuthError(401, "invalid_client", "invalid client_id or client_secret")
    requested = tuple(form.get("scope", "").split())
    if requested and missing(client.scopes, requested):
        raise OAuthError(
            400, "invalid_scope", f"scopes not granted to this client: {' '.join(requested)}"
        )
    scopes = requested or client.scopes
    token = state.issue_token(client, scopes)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(state.config.token_lifetime),
        "scope": " ".join(scopes),
    }
