"""The ``[tailscale]`` table: `TailscaleSettings` from the config file, then the systemd
credentials (secrets only), then the environment, each winning over the one before.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr, ValidationError

from tailjit.config._model import ConfigError
from tailjit.config._sources import (
    Where,
    first_error,
    lookup,
    read_secret,
    refuse_unknown,
    secret_pair,
    toml_table,
)
from tailjit.tailscale import SettingsError, TailscaleSettings

__all__ = ["tailscale_settings"]

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


def tailscale_settings(
    document: Mapping[str, object],
    environ: Mapping[str, str],
    file: Path | None,
    *,
    require: bool,
) -> TailscaleSettings | None:
    table = toml_table(document, "tailscale", file)
    refuse_unknown(table, sorted(_TAILSCALE_KEYS), prefix="tailscale.", file=file)
    values: dict[str, object] = {}
    origins: dict[str, Where] = {}
    for key, env in [*_PLAIN_TAILSCALE_KEYS.items(), *((key, None) for key in _TUNING_KEYS)]:
        found = lookup(table, key, env, environ, file, prefix="tailscale.")
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
        field, message = first_error(exc)
        where = origins.get(field, Where(f"tailscale.{field}" if field else "tailscale", file))
        raise where.error(message) from None


def _tailscale_secret(
    key: str, table: Mapping[str, object], environ: Mapping[str, str], file: Path | None
) -> tuple[Where, SecretStr | None]:
    """A Tailscale secret and where it came from: the environment variable, its ``_FILE``
    variant, the systemd credential, then the ``[tailscale]`` table (``key`` or ``key_file``)."""
    env, credential = _SECRET_TAILSCALE_KEYS[key]
    env_file = f"{env}_FILE"
    value, path = environ.get(env, "").strip(), environ.get(env_file, "").strip()
    if value and path:
        raise ConfigError(f"set either {env} or {env_file}, not both", key=env)
    if value:
        return Where(env), SecretStr(value)
    if path:
        return Where(env_file), read_secret(Path(path), Where(env_file))
    directory = environ.get("CREDENTIALS_DIRECTORY", "")
    if directory and (Path(directory) / credential).exists():
        where = Where(f"$CREDENTIALS_DIRECTORY/{credential}")
        return where, read_secret(Path(directory) / credential, where)
    where = Where(f"tailscale.{key}", file)
    return where, secret_pair(table, key, where, Where(f"tailscale.{key}_file", file))
