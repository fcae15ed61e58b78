"""The daemon's configuration: one TOML file, overridden by environment variables.

`load_config` reads the file named by ``--config`` (else ``$TAILJIT_CONFIG``; with neither, every
key takes its default), lets environment variables override it, reads secrets from files, and
returns one frozen `DaemonConfig`. Any problem raises `ConfigError`, whose message names the key
(a TOML key path such as ``tailscale.api_key_file``, or an environment variable) and the file.
Unknown keys are errors, so a misspelt key cannot silently fall back to its default. Relative
paths in the file are relative to the file's directory.

Keys (TOML key / environment variable / default):

``state_dir`` / ``TAILJIT_STATE_DIR`` / ``/var/lib/tailjit``
    Directory of the daemon's state: the database ``tailjit.db``, ``admin.token`` (the bearer
    token of ``admin_login``, written 0600 on first start when no token is configured for it)
    and ``marker.key``. Keep it private (mode 0700).
``listen`` / ``TAILJIT_LISTEN`` / ``127.0.0.1:8765``
    Address of the HTTP API, ``host:port``; an IPv6 address in brackets, ``[::1]:8765``. Port 0
    lets the system choose one.
``policy`` / ``TAILJIT_POLICY`` / ``/etc/tailjit/policy.hujson``
    The eligibility policy file: who may request what, for how long, with whose approval.
``resync_interval`` / ``TAILJIT_RESYNC_INTERVAL`` / ``300`` (seconds)
    Seconds between full reads of the tailnet when nothing else wakes the reconcile loop: a
    number of seconds (``300``, ``2.5``) or a duration (``5m``, ``1h``). At least 1 second.
``admin_login`` / ``TAILJIT_ADMIN_LOGIN`` / the first login in the policy's ``settings.admins``
    The login whose token the daemon writes to ``admin.token``.
``trust_identity_header`` / ``TAILJIT_TRUST_IDENTITY_HEADER`` / ``false``
    Take the caller's login from a ``Tailscale-User-Login`` header (as ``tailscale serve`` sets
    it). Honoured only when ``listen`` is a loopback address and the peer is loopback too.
    The environment variable takes ``true``/``false`` (also ``1``/``0``, ``yes``/``no``).
``write_attempts`` / (none) / ``5``
    Policy writes per reconcile cycle, each after a fresh read, before a conflict is audited and
    left to the next cycle. At least 1.
``log_level`` / ``TAILJIT_LOG_LEVEL`` / ``info``
    One of ``debug``, ``info``, ``warning``, ``error``, ``critical``.

``[tailscale]``: the Tailscale API client (`tailjit.tailscale.TailscaleSettings`)
    ``api_key`` (an API access token, ``tskey-api-…``), or an OAuth client: ``oauth_client_id``
    and ``oauth_client_secret`` (``tskey-client-…``). ``api_key_file`` and
    ``oauth_client_secret_file`` read the secret from a file instead (one line; surrounding
    whitespace is dropped). ``tailnet`` (default ``-``, the credentials' own tailnet) and
    ``base_url`` (default ``https://api.tailscale.com``). The client's tuning keys may be set here
    too: ``timeout_seconds`` (30), ``retry_max_attempts`` (5), ``retry_max_total_wait_seconds``
    (60), ``retry_initial_wait_seconds`` (0.5), ``retry_max_wait_seconds`` (10),
    ``retry_jitter_seconds`` (0.5), ``oauth_renew_before_seconds`` (300).

    Environment variables win over the file: ``TAILSCALE_API_KEY``,
    ``TAILSCALE_OAUTH_CLIENT_ID``, ``TAILSCALE_OAUTH_CLIENT_SECRET``, ``TAILSCALE_TAILNET``,
    ``TAILSCALE_BASE_URL``, and ``TAILSCALE_API_KEY_FILE`` / ``TAILSCALE_OAUTH_CLIENT_SECRET_FILE``
    naming a file that holds the secret. Under systemd, ``LoadCredential=`` files named
    ``tailscale-api-key`` or ``tailscale-oauth-client-secret`` in ``$CREDENTIALS_DIRECTORY`` are
    used too: they win over the file, and the environment wins over them. Credentials are
    required: either an API access token or an OAuth client, not both.

``[receivers]``: identity-provider, Tailscale and Slack receivers (each off until configured)
    ``okta_header`` (default ``Authorization``) and ``okta_secret`` / ``okta_secret_file``: the
    header and value Okta's event hook sends; ``scim_token`` / ``scim_token_file``: the bearer
    token of the SCIM endpoints; ``generic_secret`` / ``generic_secret_file``: the Standard
    Webhooks secret (``whsec_…``); ``tailscale_secret`` / ``tailscale_secret_file``: the
    Tailscale webhook secret; ``slack_signing_secret`` / ``slack_signing_secret_file``: Slack's
    signing secret. Each of these five inbound secrets may hold several values, so one can be
    rotated: the key takes a string or a list of strings, the ``_file`` one secret per non-empty
    line, and a delivery that verifies under any of them is accepted; SIGHUP re-reads them.
    Outbound, one value each:
    ``slack_bot_token`` / ``slack_bot_token_file`` with ``slack_channel``, or
    ``slack_webhook_url`` / ``slack_webhook_url_file`` (``slack_api_url``, default
    ``https://slack.com/api``, is where the bot token's Web API calls go;
    ``slack_expiring_lead``, seconds or a duration, default ``15m``, is how long before its
    expiry a grant is announced as expiring); ``groups``: a table mapping an identity
    provider's group name to a tailnet group (``"On-call" = "group:oncall"``; unmapped names
    become ``group:<name>``); ``slack_users``: a table mapping a Slack user id to a login
    (``U0123ABC = "alice@example.com"``; others are matched by their email); ``sync_groups``:
    a list of ``group:`` entries of the tailnet policy that tailjit keeps equal to what the
    identity sources report, as marked entries (default none: the policy's groups are the
    humans'; see the README before naming one).

``[[tokens]]``: API bearer tokens, one table each
    ``login = "alice@example.com"`` (the token's principal) and exactly one of ``token`` (the
    token itself) or ``token_file`` (a file holding it). A token is visible ASCII, no spaces, and
    no two entries share one.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from tailjit.durations import MAX_DURATION, parse_duration
from tailjit.errors import TailjitError
from tailjit.ids import GroupName, Login
from tailjit.tailscale import SettingsError, TailscaleSettings

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_STATE_DIR",
    "ENV_CONFIG",
    "INBOUND_SECRETS",
    "ConfigError",
    "DaemonConfig",
    "ListenAddress",
    "LogLevel",
    "ReceiverSettings",
    "Secrets",
    "TokenEntry",
    "load_config",
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
_LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error", "critical")
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


# --- the model ----------------------------------------------------------------------------------


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


# --- loading ------------------------------------------------------------------------------------

_TOP_KEYS = {
    "state_dir": "TAILJIT_STATE_DIR",
    "listen": "TAILJIT_LISTEN",
    "policy": "TAILJIT_POLICY",
    "resync_interval": "TAILJIT_RESYNC_INTERVAL",
    "admin_login": "TAILJIT_ADMIN_LOGIN",
    "trust_identity_header": "TAILJIT_TRUST_IDENTITY_HEADER",
    "write_attempts": None,
    "log_level": "TAILJIT_LOG_LEVEL",
}
_TABLES = ("tailscale", "tokens", "receivers")
_RECEIVER_SECRETS = (*INBOUND_SECRETS, "slack_bot_token", "slack_webhook_url")
_RECEIVER_KEYS = frozenset(
    (
        *_RECEIVER_SECRETS,
        *(f"{key}_file" for key in _RECEIVER_SECRETS),
        *("okta_header", "slack_channel", "slack_api_url", "slack_expiring_lead"),
        *("groups", "slack_users", "sync_groups"),
    )
)
_PLAIN_TAILSCALE_KEYS = {
    "oauth_client_id": "TAILSCALE_OAUTH_CLIENT_ID",
    "tailnet": "TAILSCALE_TAILNET",
    "base_url": "TAILSCALE_BASE_URL",
}
# field: (environment variable, systemd credential name)
_SECRET_TAILSCALE_KEYS = {
    "api_key": ("TAILSCALE_API_KEY", "tailscale-api-key"),
    "oauth_client_secret": ("TAILSCALE_OAUTH_CLIENT_SECRET", "tailscale-oauth-client-secret"),
}
_CREDENTIAL_FIELDS = ("api_key", "oauth_client_id", "oauth_client_secret")
_TUNING_KEYS = sorted(
    set(TailscaleSettings.model_fields) - {*_PLAIN_TAILSCALE_KEYS, *_SECRET_TAILSCALE_KEYS}
)
_TAILSCALE_KEYS = frozenset(
    [*_PLAIN_TAILSCALE_KEYS, *_SECRET_TAILSCALE_KEYS, *_TUNING_KEYS]
    + [f"{key}_file" for key in _SECRET_TAILSCALE_KEYS]
)
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?")

T = TypeVar("T")


@dataclass(frozen=True)
class _Where:
    """Where a value came from: a TOML key in ``file``, or an environment variable (no file)."""

    key: str
    file: Path | None = None

    def error(self, problem: str) -> ConfigError:
        return ConfigError(problem, key=self.key, file=self.file)

    def describe(self) -> str:
        return f"{self.key} in {self.file}" if self.file is not None else self.key

    def path(self, text: str) -> Path:
        """``text`` as a path; relative paths in a file are relative to its directory."""
        if not text:
            raise self.error("expected a path, got an empty string")
        path = Path(text)
        return self.file.parent / path if self.file is not None else path


def load_config(
    path: Path | None, environ: Mapping[str, str], *, require_tailscale: bool = True
) -> DaemonConfig:
    """The configuration from ``path`` (else ``$TAILJIT_CONFIG``, else defaults) and ``environ``.

    ``require_tailscale=False`` lets a configuration without Tailscale credentials through with
    ``tailscale=None`` (``tailjit daemon --sandbox`` supplies them); credentials that are given
    are still checked. Raises `ConfigError`.
    """
    if path is None and environ.get(ENV_CONFIG, "").strip():
        path = Path(environ[ENV_CONFIG].strip())
    document = _read_toml(path) if path is not None else {}
    _refuse_unknown(document, [*_TOP_KEYS, *_TABLES], prefix="", file=path)

    values: dict[str, Any] = {"source": path}
    for key, env in _TOP_KEYS.items():
        found = _lookup(document, key, env, environ, path)
        if found is not None:
            where, raw = found
            values[key] = _convert(key, raw, where)
    values["tailscale"] = _tailscale(document, environ, path, require=require_tailscale)
    values["tokens"] = _tokens(document, path)
    values["receivers"] = _receivers(document, path)
    try:
        return DaemonConfig.model_validate(values)
    except ValidationError as exc:  # every field was checked above; this is a safety net
        field, message = _first_error(exc)
        raise ConfigError(message, key=field or None, file=path) from None


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """The field and message of pydantic's first error, without its "Value error, " prefix."""
    error = exc.errors(include_url=False, include_input=False)[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    return field, error["msg"].removeprefix("Value error, ")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file: {exc.strerror or exc}; pass --config FILE or set "
            f"{ENV_CONFIG} to an existing file",
            file=path,
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the config file is not UTF-8: {exc.reason}", file=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=path) from None


def _refuse_unknown(
    table: Mapping[str, object], known: list[str], *, prefix: str, file: Path | None
) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"unknown key; {hint}known keys: {', '.join(sorted(known))}",
                key=f"{prefix}{key}",
                file=file,
            )


def _lookup(
    table: Mapping[str, object],
    key: str,
    env: str | None,
    environ: Mapping[str, str],
    file: Path | None,
    *,
    prefix: str = "",
) -> tuple[_Where, object] | None:
    """The value of ``key``: the environment variable ``env`` wins over the file; None if unset."""
    if env is not None and environ.get(env, "").strip():
        return _Where(env), environ[env].strip()
    if key in table:
        return _Where(prefix + key, file), table[key]
    return None


def _convert(key: str, raw: object, where: _Where) -> object:
    if key in ("state_dir", "policy"):
        return where.path(_expect(str, raw, where, "a path"))
    if key == "listen":
        return _checked(parse_listen, _expect(str, raw, where, "host:port"), where)
    if key == "resync_interval":
        return _interval(raw, where)
    if key == "admin_login":
        return _checked(Login.parse, _expect(str, raw, where, "a login"), where)
    if key == "trust_identity_header":
        return _boolean(raw, where)
    if key == "write_attempts":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise where.error(f"expected a whole number of at least 1, got {raw!r}")
        return raw
    level = _expect(str, raw, where, "a log level").lower()
    if level not in _LOG_LEVELS:
        raise where.error(f"expected one of {', '.join(_LOG_LEVELS)}, got {raw!r}")
    return level


def _expect(kind: type[T], raw: object, where: _Where, what: str) -> T:
    if not isinstance(raw, kind):
        raise where.error(f"expected {what} ({kind.__name__}), got {type(raw).__name__} {raw!r}")
    return raw


def _checked(parse: Callable[[str], T], text: str, where: _Where) -> T:
    try:
        return parse(text)
    except ValueError as exc:  # InvalidInput is a ValueError
        raise where.error(str(exc)) from None


def _interval(raw: object, where: _Where) -> float:
    """Seconds from a number, a numeric string (the environment) or a duration such as ``5m``."""
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        raw = float(raw)
    if isinstance(raw, str):
        seconds = _checked(
            lambda text: parse_duration(text, field="resync_interval"), raw, where
        ).total_seconds()
    elif isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        seconds = float(raw)
    else:
        raise where.error(f"expected seconds (a number) or a duration such as 5m, got {raw!r}")
    if not 1 <= seconds <= MAX_DURATION.total_seconds():
        raise where.error(f"must be from 1 second to 365d, got {raw!r}")
    return seconds


def _boolean(raw: object, where: _Where) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise where.error(f"expected true or false, got {raw!r}")


def _read_secret(path: Path, where: _Where) -> SecretStr:
    """The secret in ``path``, stripped of surrounding whitespace; never quoted in errors."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise where.error(f"cannot read the secret file {path}: {reason or exc}") from None
    if not text:
        raise where.error(f"the secret file {path} is empty")
    return SecretStr(text)


def _secret_pair(
    table: Mapping[str, object], key: str, where_value: _Where, where_file: _Where
) -> SecretStr | None:
    """``key`` or ``key_file`` from a TOML table (both at once is an error)."""
    has_value, has_file = key in table, f"{key}_file" in table
    if has_value and has_file:
        raise where_value.error(f"set either {key} or {key}_file, not both")
    if has_value:
        value = _expect(str, table[key], where_value, "a string")
        if not value.strip():
            raise where_value.error("is empty")
        return SecretStr(value.strip())
    if has_file:
        return _read_secret(
            where_file.path(_expect(str, table[f"{key}_file"], where_file, "a path")), where_file
        )
    return None


def _secret_values(
    table: Mapping[str, object], key: str, where_value: _Where, where_file: _Where
) -> Secrets | None:
    """An inbound secret's values: ``key`` (a string or a list of strings) or ``key_file`` (one
    secret per non-empty line). Both at once, an empty list or an empty value is an error."""
    raw = table.get(key)
    if key in table and not isinstance(raw, str | list):
        raise where_value.error(f"expected a string or a list of strings, got {type(raw).__name__}")
    if not isinstance(raw, list):
        single = _secret_pair(table, key, where_value, where_file)
        if single is None or key in table:
            return None if single is None else (single,)
        lines = single.get_secret_value().splitlines()
        return tuple(SecretStr(line.strip()) for line in lines if line.strip())
    if f"{key}_file" in table:
        raise where_value.error(f"set either {key} or {key}_file, not both")
    if not raw:
        raise where_value.error(
            "is an empty list: give at least one secret, or leave the key out to turn it off"
        )
    values: list[SecretStr] = []
    for index, item in enumerate(raw):
        where = _Where(f"{where_value.key}[{index}]", where_value.file)
        if not isinstance(item, str):
            # The message never quotes the value: it may be a secret.
            raise where.error(f"expected a string, got {type(item).__name__}")
        if not item.strip():
            raise where.error("is empty")
        values.append(SecretStr(item.strip()))
    return tuple(values)


def _tailscale(
    document: Mapping[str, object],
    environ: Mapping[str, str],
    file: Path | None,
    *,
    require: bool,
) -> TailscaleSettings | None:
    table = _table(document, "tailscale", file)
    _refuse_unknown(table, sorted(_TAILSCALE_KEYS), prefix="tailscale.", file=file)
    values: dict[str, object] = {}
    origins: dict[str, _Where] = {}
    for key, env in [*_PLAIN_TAILSCALE_KEYS.items(), *((key, None) for key in _TUNING_KEYS)]:
        found = _lookup(table, key, env, environ, file, prefix="tailscale.")
        if found is not None:
            origins[key], values[key] = found
    for key in _SECRET_TAILSCALE_KEYS:
        origins[key], secret = _tailscale_secret(key, table, environ, file)
        if secret is not None:
            values[key] = secret
    if not require and not any(field in values for field in _CREDENTIAL_FIELDS):
        return None
    try:
        return TailscaleSettings.model_validate(values)
    except SettingsError as exc:
        given = [
            f"{field} from {origins[field].describe()}"
            for field in _CREDENTIAL_FIELDS
            if field in values
        ]
        detail = (
            f" (given: {'; '.join(given)})"
            if given
            else (
                " (or the _FILE variants, the [tailscale] table, or the systemd credentials "
                "tailscale-api-key / tailscale-oauth-client-secret)"
            )
        )
        raise ConfigError(f"{exc}{detail}", key="tailscale", file=file) from None
    except ValidationError as exc:
        field, message = _first_error(exc)
        where = origins.get(field, _Where(f"tailscale.{field}" if field else "tailscale", file))
        raise where.error(message) from None


def _tailscale_secret(
    key: str, table: Mapping[str, object], environ: Mapping[str, str], file: Path | None
) -> tuple[_Where, SecretStr | None]:
    """A Tailscale secret and where it came from: the environment variable, its ``_FILE``
    variant, the systemd credential, then the ``[tailscale]`` table (``key`` or ``key_file``)."""
    env, credential = _SECRET_TAILSCALE_KEYS[key]
    env_file = f"{env}_FILE"
    value, path = environ.get(env, "").strip(), environ.get(env_file, "").strip()
    if value and path:
        raise ConfigError(f"set either {env} or {env_file}, not both", key=env)
    if value:
        return _Where(env), SecretStr(value)
    if path:
        return _Where(env_file), _read_secret(Path(path), _Where(env_file))
    directory = environ.get("CREDENTIALS_DIRECTORY", "")
    if directory and (Path(directory) / credential).exists():
        where = _Where(f"$CREDENTIALS_DIRECTORY/{credential}")
        return where, _read_secret(Path(directory) / credential, where)
    where = _Where(f"tailscale.{key}", file)
    return where, _secret_pair(table, key, where, _Where(f"tailscale.{key}_file", file))


def _table(document: Mapping[str, object], key: str, file: Path | None) -> Mapping[str, object]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"expected a table [{key}]", key=key, file=file)
    return table


def _tokens(document: Mapping[str, object], file: Path | None) -> tuple[TokenEntry, ...]:
    entries = document.get("tokens", [])
    if not isinstance(entries, list):
        raise ConfigError("expected an array of tables [[tokens]]", key="tokens", file=file)
    tokens: list[TokenEntry] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        prefix = f"tokens[{index}]."
        if not isinstance(entry, dict):
            raise ConfigError("expected a table [[tokens]]", key=f"tokens[{index}]", file=file)
        _refuse_unknown(entry, ["login", "token", "token_file"], prefix=prefix, file=file)
        login_where = _Where(prefix + "login", file)
        if "login" not in entry:
            raise login_where.error("missing: each [[tokens]] entry needs a login")
        login = _checked(
            Login.parse, _expect(str, entry["login"], login_where, "a login"), login_where
        )
        token_where = _Where(prefix + "token", file)
        token = _secret_pair(entry, "token", token_where, _Where(prefix + "token_file", file))
        if token is None:
            raise token_where.error("missing: set exactly one of token or token_file")
        try:
            tokens.append(TokenEntry(login=login, token=token))
        except ValidationError as exc:
            raise token_where.error(_first_error(exc)[1]) from None
        secret = token.get_secret_value()
        if secret in seen:
            raise token_where.error(
                f"the same token as tokens[{seen[secret]}]: use distinct tokens"
            )
        seen[secret] = index
    return tuple(tokens)


def _receivers(document: Mapping[str, object], file: Path | None) -> ReceiverSettings:
    table = _table(document, "receivers", file)
    _refuse_unknown(table, sorted(_RECEIVER_KEYS), prefix="receivers.", file=file)
    values: dict[str, object] = {}
    for key in _RECEIVER_SECRETS:
        where, where_file = _Where(f"receivers.{key}", file), _Where(f"receivers.{key}_file", file)
        if key in INBOUND_SECRETS:
            secret: object = _secret_values(table, key, where, where_file)
        else:
            secret = _secret_pair(table, key, where, where_file)
        if secret is not None:
            values[key] = secret
    for key in ("okta_header", "slack_channel", "slack_api_url"):
        if key in table:
            values[key] = _expect(str, table[key], _Where(f"receivers.{key}", file), "a string")
    if "slack_expiring_lead" in table:
        where = _Where("receivers.slack_expiring_lead", file)
        values["slack_expiring_lead"] = _interval(table["slack_expiring_lead"], where)
    groups: dict[str, str] = {}
    table_of = _expect(dict, table.get("groups", {}), _Where("receivers.groups", file), "a table")
    for name, group in table_of.items():
        where = _Where(f"receivers.groups.{name}", file)
        text = _expect(str, group, where, "a group:name")
        groups[name] = str(_checked(GroupName.parse, text, where))
    users: dict[str, str] = {}
    table_of = _expect(
        dict, table.get("slack_users", {}), _Where("receivers.slack_users", file), "a table"
    )
    for user, login in table_of.items():
        where = _Where(f"receivers.slack_users.{user}", file)
        users[user] = str(_checked(Login.parse, _expect(str, login, where, "a login"), where))
    values["groups"], values["slack_users"] = groups, users
    synced = _expect(
        list, table.get("sync_groups", []), _Where("receivers.sync_groups", file), "a list"
    )
    names: list[str] = []
    for index, name in enumerate(synced):
        where = _Where(f"receivers.sync_groups[{index}]", file)
        group = str(_checked(GroupName.parse, _expect(str, name, where, "a group:name"), where))
        if group in names:
            raise where.error(f"{group} is named twice")
        names.append(group)
    values["sync_groups"] = tuple(names)
    if "slack_bot_token" in values and "slack_channel" not in values:
        raise ConfigError(
            "slack_bot_token needs slack_channel (where to post)", key="receivers", file=file
        )
    return ReceiverSettings.model_validate(values)
