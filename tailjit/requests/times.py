"""Instants as tailjit writes them: RFC 3339 in UTC with ``Z``.

`format_instant` is for people (``2026-01-01T12:00:00Z``, a fraction only when there is one);
`format_exact` always writes six fraction digits, so one instant has exactly one spelling, which
the store and the audit chain rely on. `parse_instant` reads either.
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
    """The aware UTC datetime of an RFC 3339 text ending in ``Z`` or an offset.

    Raises ValueError for anything else, including a time without an offset.
    """
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"an instant needs a UTC offset or Z: {text!r}")
    return parsed.astimezone(UTC)
