"""`TailscaleSettings`: where the API is, which tailnet, which credentials, how hard to retry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tailjit.tailscale._errors import SettingsError

ENV_API_KEY = "TAILSCALE_API_KEY"
ENV_OAUTH_CLIENT_ID = "TAILSCALE_OAUTH_CLIENT_ID"
ENV_OAUTH_CLIENT_SECRET = "TAILSCALE_OAUTH_CLIENT_SECRET"
ENV_TAILNET = "TAILSCALE_TAILNET"
ENV_BASE_URL = "TAILSCALE_BASE_URL"

DEFAULT_BASE_URL = "https://api.tailscale.com"


class TailscaleSettings(BaseModel):
    """Settings of the Tailscale API client. Immutable; build once and pass explicitly.

    Exactly one kind of credentials is required: an API access token (``api_key``), or an OAuth
    client (``oauth_client_id`` and ``oauth_client_secret``), whose secret is exchanged for
    one-hour access tokens. Secrets are `SecretStr` and never show in a repr.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="Origin of the API, without /api/v2 (env TAILSCALE_BASE_URL). "
        "Default https://api.tailscale.com.",
    )
    tailnet: str = Field(
        default="-",
        min_length=1,
        description="Tailnet ID, or '-' for the credentials' own tailnet (env TAILSCALE_TAILNET). "
        "Default '-'.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="API access token, tskey-api-… (env TAILSCALE_API_KEY)."
    )
    oauth_client_id: str | None = Field(
        default=None, description="OAuth client ID (env TAILSCALE_OAUTH_CLIENT_ID)."
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None,
        description="OAuth client secret, tskey-client-… (env TAILSCALE_OAUTH_CLIENT_SECRET).",
    )
    oauth_renew_before_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Seconds before an OAuth access token expires at which it is renewed. "
        "Default 300 (tokens last 3600).",
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, description="Timeout of each HTTP request, in seconds. Default 30."
    )
    retry_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts per call, the first included, for 429, 5xx and transport "
        "errors. 1 turns retries off. Default 5.",
    )
    retry_max_total_wait_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Budget of seconds spent waiting between the attempts of one call; a wait "
        "that would exceed it (a long Retry-After, say) ends the retries. Default 60.",
    )
    retry_initial_wait_seconds: float = Field(
        default=0.5,
        ge=0,
        description="First backoff wait in seconds, doubled after each attempt. Default 0.5.",
    )
    retry_max_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="Cap of one backoff wait in seconds (a Retry-After is honoured as sent, "
        "within the total budget). Default 10.",
    )
    retry_jitter_seconds: float = Field(
        default=0.5,
        ge=0,
        description="Up to this many random seconds are added to each backoff wait; 0 makes "
        "waits exact. Default 0.5.",
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"{ENV_BASE_URL} must start with https:// or http://")
        if value.endswith("/api/v2"):
            raise ValueError(f"{ENV_BASE_URL} is the origin only: leave out /api/v2")
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        # SettingsError is not a ValueError, so pydantic lets it through unwrapped and the message
        # stays exactly this one (pydantic's own would be a wall of text).
        key = self.api_key is not None
        oauth = {
            ENV_OAUTH_CLIENT_ID: self.oauth_client_id,
            ENV_OAUTH_CLIENT_SECRET: self.oauth_client_secret,
        }
        given = [name for name, value in oauth.items() if value is not None]
        if key and given:
            raise SettingsError(
                f"both {ENV_API_KEY} and {' and '.join(given)} are set: "
                "use either an API access token or an OAuth client, not both"
            )
        if not key and not given:
            raise SettingsError(
                f"no Tailscale credentials: set {ENV_API_KEY}, or both "
                f"{ENV_OAUTH_CLIENT_ID} and {ENV_OAUTH_CLIENT_SECRET}"
            )
        if len(given) == 1:
            missing = next(name for name in oauth if name not in given)
            raise SettingsError(f"{missing} is not set, but {given[0]} is: set both, or neither")
        if (
            key
            and self.api_key is not None
            and self.api_key.get_secret_value().startswith("tskey-client-")
        ):
            raise SettingsError(
                f"{ENV_API_KEY} holds an OAuth client secret (tskey-client-…), which the API "
                f"refuses as a token: set it as {ENV_OAUTH_CLIENT_SECRET}, with "
                f"{ENV_OAUTH_CLIENT_ID}, instead"
            )
        return self

    @property
    def credentials_kind(self) -> Literal["api_key", "oauth"]:
        """Which kind of credentials these settings carry."""
        return "api_key" if self.api_key is not None else "oauth"

    @property
    def api_url(self) -> str:
        """The URL every API path is appended to: ``<base_url>/api/v2``."""
        return f"{self.base_url}/api/v2"

    def without_retries(self) -> TailscaleSettings:
        """A copy that makes one attempt per call: the retries-off switch for tests."""
        return self.model_copy(update={"retry_max_attempts": 1})

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: object) -> TailscaleSettings:
        """Settings from Tailscale's Terraform-provider variables, plus keyword ``overrides``.

        Reads ``TAILSCALE_API_KEY``, ``TAILSCALE_OAUTH_CLIENT_ID``,
        ``TAILSCALE_OAUTH_CLIENT_SECRET``, ``TAILSCALE_TAILNET`` and ``TAILSCALE_BASE_URL``; an
        empty variable counts as unset. Call it once, from the entry point, with ``os.environ``.
        Raises `SettingsError` naming the variable at fault.
        """
        names = {
            "api_key": ENV_API_KEY,
            "oauth_client_id": ENV_OAUTH_CLIENT_ID,
            "oauth_client_secret": ENV_OAUTH_CLIENT_SECRET,
            "tailnet": ENV_TAILNET,
            "base_url": ENV_BASE_URL,
        }
        values: dict[str, object] = {
            field: environ[name].strip()
            for field, name in names.items()
            if environ.get(name, "").strip()
        }
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'settings'}: {error['msg']}"
                for error in exc.errors(include_url=False, include_input=False)
            )
            raise SettingsError(f"invalid Tailscale settings: {problems}") from exc
