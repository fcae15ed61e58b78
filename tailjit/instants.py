"""Instants as tailjit writes them: RFC 3339 in UTC with ``Z``.

`format_instant` is for people and for the API (``2026-01-01T12:00:00Z``, a fraction only when
there is one, as Go's RFC3339Nano prints it); `format_exact` always writes six fraction digits, so
one instant has exactly one spelling, which the store and the audit chain rely on.
`parse_instant` reads either, and whatever RFC 3339 the Tailscale API sends.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_exact", "format_instant", "parse_instant"]


def format_instant(when: datetime) -> str:
    """``2026-01-01T12:00:00Z``; ``2026-01-01T12:00:00.25Z`` when there is a fraction."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_exact(when: datetime) -> str:
    """``2026-01-01T12:00:00.000000Z``: the one spelling of an instant that the store keeps.

    Fixed width, so text order is time order (for years 1 to 9999)."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    """The aware UTC datetime of an RFC 3339 date-time (``Z`` or an offset, optional fraction).

    Raises ValueError for anything else, including a time without an offset.
    """
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    normalized = text.strip()
    if normalized[-1:] in "zZ":
        normalized = normalized[:-1] + "+00:00"
    date_part, _, rest = normalized.partition("T")
    # Python parses at most 6 fraction digits; RFC 3339 allows more (Go prints up to 9).
    if "." in rest:
        head, _, tail = rest.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:digits][:6].ljust(6, "0") + tail[digits:]
        rest = f"{head}.{tail}"
    parsed = datetime.fromisoformat(f"{date_part}T{rest}")
    if parsed.tzinfo is None:
        raise ValueError(f"RFC 3339 date-time needs an offset or Z: {text!r}")
    return parsed.astimezone(UTC)
