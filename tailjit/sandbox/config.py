"""The sandbox's settings: one typed object, built once (by the CLI or a test) and passed down.

The parsers here turn command-line strings into settings and raise ValueError with a message
that says what was wrong; the CLI turns that into a usage error (exit code 2).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import secrets
import string
from dataclasses import dataclass, field

from tailjit.sandbox.scopes import KNOWN_SCOPES

DEFAULT_ATTRIBUTE_EXPIRY_LAG = 5.0
"""Seconds after its expiry before an attribute disappears (Tailscale: "within a few minutes")."""

DEFAULT_TAILNET = "example.com"
DEFAULT_TAILNET_ID = "TSandboxCNTRL"
_ALNUM = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_api_key() -> str:
    """A fresh key shaped like Tailscale's: ``tskey-api-<id>CNTRL-<secret>``."""
    return f"tskey-api-{random_token(11)}CNTRL-{random_token(32)}"


@dataclass(frozen=True)
class OAuthClient:
    """An OAuth client (trust credential): its id, its ``tskey-client-`` secret and its scopes."""

    client_id: str
    secret: str
    scopes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"client_id": self.client_id, "client_secret": self.secret, "scopes": self.scopes}


@dataclass(frozen=True)
class WebhookTarget:
    """Where outbound webhooks go, and the secret that signs them."""

    url: str
    secret: str


@dataclass(frozen=True)
class FaultConfig:
    """Faults to inject into ``/api/v2`` calls; all off by default.

    - ``rate_limit_every``: answer every Nth call (counting from the moment this is set) with 429.
    - ``retry_after``: seconds for the 429's ``Retry-After`` header; None sends no header.
    - ``error_rate``: probability in [0, 1] of answering a call with ``error_status``.
    - ``error_status``: the 5xx status for injected errors.
    - ``error_after_apply``: perform the call first, then answer with the 5xx anyway
      (an ambiguous failure: the write happened but the client cannot know).
    - ``seed``: seed of the random generator behind ``error_rate`` (deterministic runs).
    - ``latency``: seconds added before answering each call.
    - ``human_edits``: how many of the next policy GETs are followed by a human edit.
    - ``human_edit_kind``: ``comment`` (a new comment line) or ``group`` (a new group entry).
    """

    rate_limit_every: int = 0
    retry_after: int | None = None
    error_rate: float = 0.0
    error_status: int = 500
    error_after_apply: bool = False
    seed: int = 0
    latency: float = 0.0
    human_edits: int = 0
    human_edit_kind: str = "comment"

    def __post_init__(self) -> None:
        if self.rate_limit_every < 0:
            raise ValueError("rate_limit_every must be 0 (off) or a positive count")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be a non-negative number of seconds")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if not 500 <= self.error_status <= 599:
            raise ValueError("error_status must be a 5xx status")
        if self.latency < 0:
            raise ValueError("latency must be a non-negative number of seconds")
        if self.human_edits < 0:
            raise ValueError("human_edits must be a non-negative count")
        if self.human_edit_kind not in ("comment", "group"):
            raise ValueError("human_edit_kind must be 'comment' or 'group'")

    @classmethod
    def from_json(cls, data: object) -> FaultConfig:
        """Build from the admin path's JSON object; unknown fields are an error."""
        if not isinstance(data, dict):
            raise ValueError("faults must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a sandbox run is configured with. Units: seconds."""

    api_key: str | None = None
    """The API access token; None keeps the one stored in the state directory (or makes one)."""
    oauth_clients: tuple[OAuthClient, ...] | None = None
    """None keeps the stored clients; a tuple (even empty) replaces them."""
    webhooks: tuple[WebhookTarget, ...] = ()
    attribute_expiry_lag: float = DEFAULT_ATTRIBUTE_EXPIRY_LAG
    attribute_key_max_length: int = 128
    """128 per the current spec; 50 per the older docs."""
    token_lifetime: float = 3600.0
    """OAuth access-token lifetime (Tailscale: one hour, not configurable)."""
    webhook_timeout: float = 2.0
    webhook_attempts: int = 3
    faults: FaultConfig = field(default_factory=FaultConfig)


# --- command-line parsers --------------------------------------------------------------------


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) to a host and port; port 0 picks a free one."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ValueError(f"host must be an IP address or localhost, got {host!r}") from None
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"port must be a number from 0 to 65535, got {port_text!r}")
    return host, int(port_text)


def parse_oauth_client(text: str) -> OAuthClient:
    """``ID:SECRET[:scope,scope,...]``; the secret cannot contain ``:``; no scopes means ``all``."""
    client_id, sep, rest = text.partition(":")
    secret, _, scope_text = rest.partition(":")
    if not sep or not client_id or not secret:
        raise ValueError(f"expected ID:SECRET:scope,scope, got {text!r}")
    scopes = tuple(s.strip() for s in scope_text.split(",") if s.strip()) or ("all",)
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise ValueError(
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_SCOPES))}"
        )
    return OAuthClient(client_id, secret, scopes)


def parse_api_key(text: str) -> str:
    if not text or any(ch.isspace() for ch in text):
        raise ValueError("an API key must be non-empty and contain no whitespace")
    return text


def parse_webhook_url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"webhook URL must start with http:// or https://, got {text!r}")
    return text
