"""The root of tailjit's error tree.

Every error tailjit raises on purpose derives from `TailjitError`; foreign exceptions (httpx,
sqlite3, pydantic, ...) are translated into it once, at the boundary where they occur, and chained
with ``raise ... from``. The CLI turns these errors into exit codes in one place.
"""

from __future__ import annotations

import json

_SHOWN_MAX = 60
"""Characters of a refused value that an error message shows before cutting it."""


class TailjitError(Exception):
    """Base of tailjit's documented error tree; catch this to catch every tailjit error."""


class InvalidInput(TailjitError, ValueError):
    """A value that does not parse: a login, host, port, duration, id, ... (DESIGN.md §6.7).

    ``field`` names what was being parsed (``login``, ``duration``, ``target``, ...) and ``value``
    is the refused input made safe to print: cut to about 60 characters and quoted as a JSON
    string with every non-ASCII and control character escaped, so a newline, a ``*/`` or a
    Cyrillic lookalike is visible for what it is. ``allowed`` says what would have been accepted.
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = shown(value)
        self.allowed = allowed
        super().__init__(f"invalid {field} {self.value}: {allowed}")


def shown(value: object) -> str:
    """``value`` as an error message shows it: cut, then quoted with everything odd escaped."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _SHOWN_MAX:
        return json.dumps(text[:_SHOWN_MAX]) + f"... ({len(text)} characters)"
    return json.dumps(text)


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages (``a number``, ``null``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"
