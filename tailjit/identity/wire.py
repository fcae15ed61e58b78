"""What every receiver checks on the wire: headers, the replay window, strict JSON, and the result.

Standard library only. Secrets are compared with `hmac.compare_digest` on SHA-256 digests of
both sides, so neither the content nor the length of a secret leaks through timing. JSON is
parsed strictly: no duplicate keys (two parsers could disagree on which one counts) and no
``NaN``/``Infinity``; each refusal names the field by its path (``data.events[0].uuid``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tailjit.errors import InvalidInput, json_type, shown
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import IdentityEvent
from tailjit.instants import parse_instant

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_BODY_BYTES",
    "Parsed",
    "check_size",
    "check_window",
    "find_header",
    "require_header",
    "same_secret",
    "secrets_of",
]

MAX_BODY_BYTES = 1024 * 1024
"""The default body limit, in bytes (1 MiB): far above any real delivery, far below harm."""

DEFAULT_TOLERANCE = 300.0
"""The replay window, in seconds either side of now: 5 minutes, as Slack, Tailscale's example
and the Standard Webhooks reference library use."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The events of one delivery, plus what was left out and why.

    ``skipped`` says, per event, why an event of a type tailjit acts on could not be used (Okta's
    null ``target``, a login that is not a tailnet login): the receiver logs these. ``ignored``
    lists the types of events tailjit does not act on (``user.session.start``, ``nodeCreated``).
    """

    events: tuple[IdentityEvent, ...]
    skipped: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


# --- headers, secrets, the replay window -------------------------------------------------------


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name``, matched case-insensitively; None when absent."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, found in headers.items():
        if key.lower() == wanted:
            return found
    return None


def require_header(headers: Mapping[str, str], name: str) -> str:
    """The value of header ``name``; `DeliveryRejected` ``missing-header`` when absent or empty."""
    value = find_header(headers, name)
    if value is None or not value.strip():
        raise DeliveryRejected(Reason.MISSING_HEADER, f"the {name} header is missing")
    return value.strip()


def check_size(length: int, *, limit: int = MAX_BODY_BYTES) -> None:
    """Refuse a body of ``length`` bytes over ``limit`` (``too-large``); call before reading."""
    if length > limit:
        raise DeliveryRejected(Reason.TOO_LARGE, f"the body is {length} bytes; at most {limit}")


def secrets_of(secret: str | Sequence[str], what: str) -> tuple[str, ...]:
    """One secret or several (during a rotation) as a tuple; an empty one is a setup error."""
    found = (secret,) if isinstance(secret, str) else tuple(secret)
    if not found or any(not isinstance(s, str) or not s for s in found):
        raise InvalidInput(what, "", "a non-empty secret (one, or several during a rotation)")
    return found


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Whether two secrets or signatures are equal, in time independent of both."""
    a = given.encode() if isinstance(given, str) else given
    b = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(hashlib.sha256(a).digest(), hashlib.sha256(b).digest())


def parse_unix(text: str, header: str) -> int:
    """A header's integer unix time in seconds; ``malformed-header`` otherwise."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise DeliveryRejected(
            Reason.MALFORMED_HEADER, f"{header} {shown(text)} is not integer unix seconds"
        )
    return int(text)


def check_window(timestamp: int, *, now: datetime, tolerance: float, header: str) -> None:
    """Refuse a signed ``timestamp`` more than ``tolerance`` seconds from ``now`` either way."""
    drift = timestamp - now.timestamp()
    if abs(drift) > tolerance:
        side = "old" if drift < 0 else "in the future"
        raise DeliveryRejected(
            Reason.STALE_TIMESTAMP,
            f"{header} {timestamp} is {abs(drift):.0f} s {side}; at most {tolerance:.0f} s allowed",
        )


# --- strict JSON -----------------------------------------------------------------------------


def load_json(body: bytes, what: str = "the body") -> Any:
    """The JSON value of ``body`` (UTF-8); ``malformed-body`` naming the problem otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY, f"{what} is not UTF-8 (byte {exc.start})"
        ) from exc
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY,
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DeliveryRejected(Reason.MALFORMED_BODY, f"the key {shown(key)} appears twice")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise DeliveryRejected(Reason.MALFORMED_BODY, f"{name} is not a JSON number")


def malformed(path: str, expected: str, value: object) -> DeliveryRejected:
    """``malformed-body``: the field at ``path`` is not what was ``expected``."""
    return DeliveryRejected(
        Reason.MALFORMED_BODY, f"{path}: expected {expected}, got {json_type(value)}"
    )


def as_object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise malformed(path, "an object", value)
    return value


def as_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise malformed(path, "an array", value)
    return value


def _missing(path: str) -> DeliveryRejected:
    return DeliveryRejected(Reason.MALFORMED_BODY, f"{path}: missing")


def child(parent: Mapping[str, Any], key: str, path: str) -> Any:
    """``parent[key]``, which must be present; ``path`` is the parent's (empty for the root)."""
    where = f"{path}.{key}" if path else key
    if key not in parent:
        raise _missing(where)
    return parent[key]


def required_str(parent: Mapping[str, Any], key: str, path: str) -> str:
    """A non-empty string field."""
    where = f"{path}.{key}" if path else key
    value = child(parent, key, path)
    if not isinstance(value, str) or not value:
        raise malformed(where, "a non-empty string", value)
    return value


def optional_str(parent: Mapping[str, Any] | None, key: str, path: str) -> str | None:
    """A string field that may be absent or null (None then); anything else is refused."""
    if parent is None:
        return None
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise malformed(f"{path}.{key}" if path else key, "a string", value)
    return value


def optional_object(parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = parent.get(key)
    return None if value is None else as_object(value, f"{path}.{key}" if path else key)


def instant(text: str, path: str) -> datetime:
    """An RFC 3339 time field, as an aware UTC datetime."""
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY, f"{path}: {shown(text)} is not an RFC 3339 date-time"
        ) from exc
