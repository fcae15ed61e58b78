"""The configuration's model: `DaemonConfig` and its parts, the defaults, and `ConfigError`.

No I/O here: `load_config` (in ``_load``) reads the file, the environment and the secrets, and
builds these.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from tailjit.errors import TailjitError
from tailjit.ids import Login
from tailjit.tailscale import TailscaleSettings

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_POLICY",
    "DEFAULT_RESYNC_INTERVAL",
    "DEFAULT_STATE_DIR",
    "ENV_CONFIG",
    "INBOUND_SECRETS",
    "LOG_LEVELS",
    "ConfigError",
    "DaemonConfig",
    "ListenAddress",
    "LogLevel",
    "ReceiverSettings",
    "Secrets",
    "TokenEntry",
    "parse_listen",
]

ENV_CONFIG = "TAILJIT_CONFIG"
"""The environment variable naming the config file when ``--config`` is not given."""

DEFAULT_STATE_DIR = Path("/var/lib/tailjit")
DEFAULT_LISTEN = "127.0.0.1:8765"
DEFAULT_POLICY = Path("/etc/tailjit/policy.hujson")
DEFAULT_RESYNC_INTERVAL = 300.0

INBOUND_SECRETS = (
    "okta_secret",
    "scim_token",
    "generic_secret",
    "tailscale_secret",
    "slack_signing_secret",
)
"""The ``[receivers]`` secrets that authenticate deliveries: each may hold several values."""

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error", "critical")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class ConfigError(TailjitError):
    """The configuration is wrong; the message names the key, the file, and what to do.

    ``key`` is a TOML key path (``tailscale.api_key_file``, ``tokens[1].login``) or an environment
    variable; ``file`` is the config file the key was read from, None for the environment.
    """

    def __init__(self, problem: str, *, key: str | None = None, file: Path | None = None) -> None:
        self.problem = problem
        self.key = key
        self.file = file
        where = [str(file)] if file is not None else []
        if key is not None:
            where.append(f"environment variable {key}" if _ENV_NAME.fullmatch(key) else key)
        super().__init__(": ".join([*where, problem]))


class ListenAddress(NamedTuple):
    """Where the HTTP API listens: ``host`` (an IP address or a name) and ``port``."""

    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        """True for a loopback IP address (127.0.0.0/8, ::1); a name such as localhost is not."""
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def parse_listen(text: str) -> ListenAddress:
    """``host:port`` or ``[ipv6]:port`` as a `ListenAddress`; ValueError saying what is accepted."""
    allowed = "expected host:port, such as 127.0.0.1:8765, or [::1]:8765 for IPv6"
    if not isinstance(text, str) or not text.isascii():
        raise ValueError(f"{text!r}: {allowed}")
    if text.startswith("["):
        host, bracket, port = text[1:].partition("]:")
        if not bracket:
            raise ValueError(f"{text!r}: {allowed}")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{text!r}: {host!r} in brackets is not an IPv6 address") from None
    else:
        host, colon, port = text.rpartition(":")
        if ":" in host:
            raise ValueError(f"{text!r}: put an IPv6 address in brackets, as in [::1]:8765")
        if not colon or not _HOSTNAME.fullmatch(host):
            raise ValueError(f"{text!r}: {allowed}")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: the port must be a number from 0 to 65535")
    return ListenAddress(host, int(port))


class TokenEntry(BaseModel):
    """An API bearer token and the login it authenticates as."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    login: Login = Field(description="The principal the token authenticates as.")
    token: SecretStr = Field(description="The bearer token: visible ASCII, no spaces.")

    @field_validator("login", mode="before")
    @classmethod
    def _parse_login(cls, value: object) -> object:
        return Login.parse(value) if isinstance(value, str) else value

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if not secret or not secret.isascii() or not secret.isprintable() or " " in secret:
            # The message never quotes the token.
            raise ValueError("a token must be non-empty visible ASCII, with no spaces")
        return value


Secrets = tuple[SecretStr, ...]
"""The values of one inbound secret: several while it is being rotated, never empty."""


class ReceiverSettings(BaseModel):
    """The ``[receivers]`` table: a receiver whose secrets are None is switched off.

    The five inbound secrets (``okta_secret``, ``scim_token``, ``generic_secret``,
    ``tailscale_secret``, ``slack_signing_secret``) are each a non-empty tuple of values, any of
    which a delivery may be verified under; the Slack bot token and webhook URL are one each.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    okta_header: str = "Authorization"
    okta_secret: Secrets | None = None
    scim_token: Secrets | None = None
    generic_secret: Secrets | None = None
    tailscale_secret: Secrets | None = None
    slack_signing_secret: Secrets | None = None
    slack_bot_token: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    slack_channel: str | None = None
    slack_api_url: str = "https://slack.com/api"
    slack_expiring_lead: float = 900.0
    groups: dict[str, str] = Field(default_factory=dict)
    slack_users: dict[str, str] = Field(default_factory=dict)
    sync_groups: tuple[str, ...] = ()

    @field_validator(*INBOUND_SECRETS)
    @classmethod
    def _not_empty(cls, value: Secrets | None) -> Secrets | None:
        if value is not None and not value:
            raise ValueError("give at least one secret, or leave the key out to turn it off")
        return value


class DaemonConfig(BaseModel):
    """The daemon's settings. Immutable; `load_config` builds it once at the entry point.

    ``tailscale`` is None only when `load_config` was told not to require credentials (the
    sandbox supplies its own; see `with_tailscale`). Secrets are `SecretStr`: no repr shows them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    state_dir: Path = Field(default=DEFAULT_STATE_DIR, description="State directory.")
    listen: ListenAddress = Field(
        default=parse_listen(DEFAULT_LISTEN), description="Address of the HTTP API."
    )
    policy: Path = Field(default=DEFAULT_POLICY, description="The eligibility policy file.")
    resync_interval: float = Field(
        default=DEFAULT_RESYNC_INTERVAL,
        ge=1,
        description="Seconds between full reads of the tailnet. Default 300.",
    )
    admin_login: Login | None = Field(
        default=None, description="Principal of admin.token; None: the policy's first admin."
    )
    trust_identity_header: bool = Field(
        default=False, description="Honour Tailscale-User-Login from loopback peers."
    )
    write_attempts: int = Field(default=5, ge=1, description="Policy writes per cycle.")
    log_level: LogLevel = Field(default="info", description="Logging threshold.")
    tailscale: TailscaleSettings | None = Field(
        default=None, description="The Tailscale API client's settings."
    )
    tokens: tuple[TokenEntry, ...] = Field(default=(), description="Configured API tokens.")
    receivers: ReceiverSettings = Field(
        default_factory=ReceiverSettings, description="Webhook and Slack receivers."
    )
    source: Path | None = Field(default=None, description="The config file, if any.")

    @field_validator("listen", mode="before")
    @classmethod
    def _parse_listen(cls, value: object) -> object:
        return parse_listen(value) if isinstance(value, str) else value

    @field_validator("admin_login", mode="before")
    @classmethod
    def _parse_admin_login(cls, value: object) -> object:
        return Login.parse(value) if isinstance(value, str) else value

    @property
    def database(self) -> Path:
        """The SQLite database: ``<state_dir>/tailjit.db``."""
        return self.state_dir / "tailjit.db"

    @property
    def admin_token_path(self) -> Path:
        """The admin's bearer token: ``<state_dir>/admin.token``."""
        return self.state_dir / "admin.token"

    @property
    def marker_key_path(self) -> Path:
        """The key of the policy markers: ``<state_dir>/marker.key``."""
        return self.state_dir / "marker.key"

    def with_tailscale(self, settings: TailscaleSettings) -> DaemonConfig:
        """A copy using ``settings`` for the Tailscale API (the sandbox fills them in)."""
        return self.model_copy(update={"tailscale": settings})
