"""The root of tailjit's error tree.

Every error tailjit raises on purpose derives from `TailjitError`; foreign exceptions (httpx,
sqlite3, pydantic, ...) are translated into it once, at the boundary where they occur, and chained
with ``raise ... from``. The CLI turns these errors into exit codes in one place.
"""

from __future__ import annotations


class TailjitError(Exception):
    """Base of tailjit's documented error tree; catch this to catch every tailjit error."""
