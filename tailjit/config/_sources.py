"""Reading raw values: the TOML file and its tables, the environment, secret files, and checks
that turn a raw value into a typed one or a `ConfigError` naming where it came from (`Where`).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr, ValidationError

from tailjit.config._model import ENV_CONFIG, ConfigError, Secrets
from tailjit.durations import MAX_DURATION, parse_duration

__all__ = [
    "Where",
    "boolean",
    "checked",
    "expect",
    "first_error",
    "interval",
    "lookup",
    "read_secret",
    "read_toml",
    "refuse_unknown",
    "secret_pair",
    "secret_values",
    "toml_table",
]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?")

T = TypeVar("T")


@dataclass(frozen=True)
class Where:
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


def first_error(exc: ValidationError) -> tuple[str, str]:
    """The field and message of pydantic's first error, without its "Value error, " prefix."""
    error = exc.errors(include_url=False, include_input=False)[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    return field, error["msg"].removeprefix("Value error, ")


def read_toml(path: Path) -> dict[str, Any]:
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


def refuse_unknown(
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


def lookup(
    table: Mapping[str, object],
    key: str,
    env: str | None,
    environ: Mapping[str, str],
    file: Path | None,
    *,
    prefix: str = "",
) -> tuple[Where, object] | None:
    """The value of ``key``: the environment variable ``env`` wins over the file; None if unset."""
    if env is not None and environ.get(env, "").strip():
        return Where(env), environ[env].strip()
    if key in table:
        return Where(prefix + key, file), table[key]
    return None


def toml_table(document: Mapping[str, object], key: str, file: Path | None) -> Mapping[str, object]:
    table = document.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"expected a table [{key}]", key=key, file=file)
    return table


def expect(kind: type[T], raw: object, where: Where, what: str) -> T:
    if not isinstance(raw, kind):
        raise where.error(f"expected {what} ({kind.__name__}), got {type(raw).__name__} {raw!r}")
    return raw


def checked(parse: Callable[[str], T], text: str, where: Where) -> T:
    try:
        return parse(text)
    except ValueError as exc:  # InvalidInput is a ValueError
        raise where.error(str(exc)) from None


def interval(raw: object, where: Where) -> float:
    """Seconds from a number, a numeric string (the environment) or a duration such as ``5m``."""
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        raw = float(raw)
    if isinstance(raw, str):
        seconds = checked(
            lambda text: parse_duration(text, field="resync_interval"), raw, where
        ).total_seconds()
    elif isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        seconds = float(raw)
    else:
        raise where.error(f"expected seconds (a number) or a duration such as 5m, got {raw!r}")
    if not 1 <= seconds <= MAX_DURATION.total_seconds():
        raise where.error(f"must be from 1 second to 365d, got {raw!r}")
    return seconds


def boolean(raw: object, where: Where) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise where.error(f"expected true or false, got {raw!r}")


def read_secret(path: Path, where: Where) -> SecretStr:
    """The secret in ``path``, stripped of surrounding whitespace; never quoted in errors."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise where.error(f"cannot read the secret file {path}: {reason or exc}") from None
    if not text:
        raise where.error(f"the secret file {path} is empty")
    return SecretStr(text)


def secret_pair(
    table: Mapping[str, object], key: str, where_value: Where, where_file: Where
) -> SecretStr | None:
    """``key`` or ``key_file`` from a TOML table (both at once is an error)."""
    has_value, has_file = key in table, f"{key}_file" in table
    if has_value and has_file:
        raise where_value.error(f"set either {key} or {key}_file, not both")
    if has_value:
        value = expect(str, table[key], where_value, "a string")
        if not value.strip():
            raise where_value.error("is empty")
        return SecretStr(value.strip())
    if has_file:
        return read_secret(
            where_file.path(expect(str, table[f"{key}_file"], where_file, "a path")), where_file
        )
    return None


def secret_values(
    table: Mapping[str, object], key: str, where_value: Where, where_file: Where
) -> Secrets | None:
    """An inbound secret's values: ``key`` (a string or a list of strings) or ``key_file`` (one
    secret per non-empty line). Both at once, an empty list or an empty value is an error."""
    raw = table.get(key)
    if key in table and not isinstance(raw, str | list):
        raise where_value.error(f"expected a string or a list of strings, got {type(raw).__name__}")
    if not isinstance(raw, list):
        single = secret_pair(table, key, where_value, where_file)
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
        where = Where(f"{where_value.key}[{index}]", where_value.file)
        if not isinstance(item, str):
            # The message never quotes the value: it may be a secret.
            raise where.error(f"expected a string, got {type(item).__name__}")
        if not item.strip():
            raise where.error("is empty")
        values.append(SecretStr(item.strip()))
    return tuple(values)
