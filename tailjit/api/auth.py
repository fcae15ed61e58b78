"""Who is calling: a bearer token, or (only where it cannot be forged) Tailscale's identity header.

Tokens are kept as SHA-256 digests and compared digest to digest with `hmac.compare_digest`, every
configured token on every call, so neither the comparison nor the lookup says by its timing how
much of a guess was right. The ``Tailscale-User-Login`` header is believed only when the operator
asked for it (``trust_identity_header``), the daemon listens on a loopback address, and the peer
is itself on loopback: then the caller is the local ``tailscale serve`` proxy, which sets the
header. Anywhere else anyone could send it, so it is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping

from tailjit.errors import InvalidInput
from tailjit.ids import Login

__all__ = ["IDENTITY_HEADER", "Authenticator", "is_loopback"]

IDENTITY_HEADER = "Tailscale-User-Login"
"""The header ``tailscale serve`` sets to the login of the tailnet user it proxies for."""

_BEARER = "bearer "


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is a loopback address (``127.0.0.0/8``, ``::1``, ``::ffff:127.x``)."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class Authenticator:
    """Maps a call's headers and peer address to the `Login` making it, or None.

    ``tokens`` maps each token to its login (config ``[[tokens]]`` and ``admin.token``); only their
    digests are kept. See the module docstring for when the identity header counts.
    """

    def __init__(
        self,
        tokens: Mapping[str, Login],
        *,
        trust_identity_header: bool,
        listening_on_loopback: bool,
    ) -> None:
        self._tokens = tuple((_digest(token), login) for token, login in tokens.items() if token)
        self.trusts_identity_header = trust_identity_header and listening_on_loopback

    def __repr__(self) -> str:
        return (
            f"Authenticator({len(self._tokens)} tokens, "
            f"trusts_identity_header={self.trusts_identity_header})"
        )

    def authenticate(self, headers: Mapping[str, str], peer: str | None) -> Login | None:
        """The caller's login: from ``Authorization: Bearer <token>`` when that header is sent
        (an unknown token is None, never a fallback to the identity header), else from the
        identity header when it is trusted (see the module docstring); otherwise None.

        ``headers`` must look names up case-insensitively (starlette's ``Headers`` does).
        """
        authorization = headers.get("authorization")
        if authorization is not None:
            if authorization[: len(_BEARER)].lower() != _BEARER:
                return None
            return self._by_token(authorization[len(_BEARER) :].strip())
        if not (self.trusts_identity_header and is_loopback(peer)):
            return None
        claimed = headers.get(IDENTITY_HEADER.lower())
        if not claimed:
            return None
        try:
            return Login(claimed.strip())
        except InvalidInput:
            return None

    def _by_token(self, token: str) -> Login | None:
        if not token:
            return None
        offered = _digest(token)
        found: Login | None = None
        for digest, login in self._tokens:  # all of them: the time does not depend on which
            if hmac.compare_digest(digest, offered) and found is None:
                found = login
        return found
