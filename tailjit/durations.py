"""Durations as people write them: ``90s``, ``15m``, ``1h``, ``1h30m``, ``2d``.

A duration is one or more ``<number><unit>`` parts with the units ``d`` (24 hours), ``h``, ``m``
and ``s``, largest first, each at most once, no spaces. Units may be given in either case. The
total must be positive and at most a year. `format_duration` writes the canonical spelling
(``90m`` becomes ``1h30m``), which parses back to the same `timedelta`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tailjit.errors import InvalidInput

__all__ = ["MAX_DURATION", "format_duration", "parse_duration"]

MAX_DURATION = timedelta(days=365)
"""The longest duration `parse_duration` accepts."""

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")
_ALLOWED = (
    "a positive duration of at most 365d such as 90s, 15m, 1h, 1h30m or 2d "
    "(units d, h, m, s, largest first, no spaces)"
)


def parse_duration(text: str, *, field: str = "duration") -> timedelta:
    """The `timedelta` ``text`` spells; `InvalidInput` naming ``field`` otherwise."""
    if not isinstance(text, str) or not text.isascii():
        raise InvalidInput(field, text, _ALLOWED)
    match = _DURATION.fullmatch(text.lower())
    if not text or match is None:
        raise InvalidInput(field, text, _ALLOWED)
    seconds = sum(
        int(part) * size for part, (_, size) in zip(match.groups(), _UNITS, strict=True) if part
    )
    if not 0 < seconds <= MAX_DURATION.total_seconds():
        raise InvalidInput(field, text, _ALLOWED)
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The canonical spelling of ``duration``: ``1h30m``, ``2d``, ``45s``; ``0s`` for zero.

    Raises ValueError for a negative duration or one with a fraction of a second, which no
    spelling here can express.
    """
    if duration < timedelta(0) or duration.microseconds:
        raise ValueError(f"{duration!r} is not a whole, non-negative number of seconds")
    remaining = duration.days * 86400 + duration.seconds
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
