"""The one error the HuJSON package raises, with a position like tailscale/hujson's."""

from __future__ import annotations


class HuJSONError(ValueError):
    """Text that is not HuJSON, or an edit that cannot be made.

    ``line`` and ``column`` are 1-based and counted as tailscale/hujson counts them: lines end at
    ``\\n`` and columns count UTF-8 bytes. They are 0 for errors that have no place in a text (an
    invalid edit). ``offset`` is the character offset into the decoded text, or -1.
    """

    def __init__(self, message: str, *, line: int = 0, column: int = 0, offset: int = -1) -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.offset = offset
        text = f"line {line}, column {column}: {message}" if line else message
        super().__init__(text)


def error_at(text: str, offset: int, message: str) -> HuJSONError:
    """A positioned error for ``offset`` in ``text`` (a str decoded with surrogateescape)."""
    line_start = text.rfind("\n", 0, offset) + 1
    line = text.count("\n", 0, offset) + 1
    column = len(text[line_start:offset].encode("utf-8", "surrogateescape")) + 1
    return HuJSONError(message, line=line, column=column, offset=offset)


def quote_char(ch: str) -> str:
    """Quote one character the way Go's ``%q`` quotes a rune, as tailscale/hujson's messages do.

    A byte that was not valid UTF-8 (decoded as a lone surrogate) prints as ``'\\xff'``, and a
    control character as ``'\\u000c'`` (the reference's spelling for a form feed).
    """
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"'\\x{code - 0xDC00:02x}'"
    if ch in "'\\":
        return f"'\\{ch}'"
    if ch == " " or ch.isprintable():  # control characters are not printable: '\u000c
        return f"'{ch}'"
    if code < 0x10000:
        return f"'\\u{code:04x}'"
    return f"'\\U{code:08x}'"


def show_literal(raw: str) -> str:
    """A literal as it appears in an error message: raw, with undecodable bytes as ``\\xNN``."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
