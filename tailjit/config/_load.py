"""`load_config`: the top-level keys and ``[[tokens]]``, then the ``[tailscale]`` and
``[receivers]`` tables, into one validated `DaemonConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tailjit.config._model import (
    ENV_CONFIG,
    LOG_LEVELS,
    ConfigError,
    DaemonConfig,
    TokenEntry,
    parse_listen,
)
from tailjit.config._receivers import receiver_settings
from tailjit.config._sources import (
    Where,
    boolean,
    checked,
    expect,
    first_error,
    interval,
    lookup,
    read_toml,
    refuse_unknown,
    secret_pair,
)
from tailjit.config._tailscale import tailscale_settings
from tailjit.ids import Login

__all__ = ["load_config"]

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
    document = read_toml(path) if path is not None else {}
    refuse_unknown(document, [*_TOP_KEYS, *_TABLES], prefix="", file=path)

    values: dict[str, Any] = {"source": path}
    for key, env in _TOP_KEYS.items():
        found = lookup(document, key, env, environ, path)
        if found is not None:
            where, raw = found
            values[key] = _convert(key, raw, where)
    values["tailscale"] = tailscale_settings(document, environ, path, require=require_tailscale)
    values["tokens"] = _tokens(document, path)
    values["receivers"] = receiver_settings(document, path)
    try:
        return DaemonConfig.model_validate(values)
    except ValidationError as exc:  # every field was checked above; this is a safety net
        field, message = first_error(exc)
        raise ConfigError(message, key=field or None, file=path) from None


def _convert(key: str, raw: object, where: Where) -> object:
    if key in ("state_dir", "policy"):
        return where.path(expect(str, raw, where, "a path"))
    if key == "listen":
        return checked(parse_listen, expect(str, raw, where, "host:port"), where)
    if key == "resync_interval":
        return interval(raw, where)
    if key == "admin_login":
        return checked(Login.parse, expect(str, raw, where, "a login"), where)
    if key == "trust_identity_header":
        return boolean(raw, where)
    if key == "write_attempts":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            raise where.error(f"expected a whole number of at least 1, got {raw!r}")
        return raw
    level = expect(str, raw, where, "a log level").lower()
    if level not in LOG_LEVELS:
        raise where.error(f"expected one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


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
        refuse_unknown(entry, ["login", "token", "token_file"], prefix=prefix, file=file)
        login_where = Where(prefix + "login", file)
        if "login" not in entry:
            raise login_where.error("missing: each [[tokens]] entry needs a login")
        login = checked(
            Login.parse, expect(str, entry["login"], login_where, "a login"), login_where
        )
        token_where = Where(prefix + "token", file)
        token = secret_pair(entry, "token", token_where, Where(prefix + "token_file", file))
        if token is None:
            raise token_where.error("missing: set exactly one of token or token_file")
        try:
            tokens.append(TokenEntry(login=login, token=token))
        except ValidationError as exc:
            raise token_where.error(first_error(exc)[1]) from None
        secret = token.get_secret_value()
        if secret in seen:
            raise token_where.error(
                f"the same token as tokens[{seen[secret]}]: use distinct tokens"
            )
        seen[secret] = index
    return tuple(tokens)
