"""Identifiers, parsed once at the edge: logins, groups, tags, host aliases, request and grant ids.

Each type is a ``str`` subclass whose constructor validates and normalises, so a value of the
type is always well formed; ``parse`` is the documented way to make one. Anything refused raises
`InvalidInput` naming the field.

The grammars are deliberately strict. Every one of these values may be written into the policy
file (inside a marker comment or as a selector) or into a posture attribute key or comment
(DESIGN.md §3), so none of them can hold whitespace, a quote, a ``/``, a ``*`` or anything
outside ASCII: nothing typed by a requester can close a comment, break a line or look like a
name it is not.
"""

from __future__ import annotations

import re
import secrets
from typing import ClassVar, Self, TypeAlias

from tailjit.errors import InvalidInput

__all__ = [
    "CROCKFORD_ALPHABET",
    "GrantId",
    "GroupName",
    "HostAlias",
    "Login",
    "Principal",
    "RequestId",
    "Tag",
    "parse_principal",
]

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LOGIN = re.compile(
    # local part: no leading, trailing or doubled dot; domain: DNS labels, one label allowed
    # (GitHub and passkey logins are ``name@github``, ``name@passkey``).
    rf"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@{_LABEL}(?:\.{_LABEL})*"
)
_GROUP = re.compile(r"group:[A-Za-z0-9](?:[A-Za-z0-9_.@+-]*[A-Za-z0-9_])?")
_TAG = re.compile(r"tag:[A-Za-z][A-Za-z0-9-]*")
_HOST_ALIAS = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+")

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32 digits: no I, L, O or U, so an id read aloud or copied by hand survives."""
_ID_LENGTH = 8
_ID = re.compile(f"[{CROCKFORD_ALPHABET}]{{{_ID_LENGTH}}}")


def _checked(field: str, text: object, pattern: re.Pattern[str], allowed: str, limit: int) -> str:
    """``text`` if it is an ASCII str that ``pattern`` matches fully and no longer than ``limit``.

    ASCII is checked before anything else: ``str.lower`` would otherwise turn the Kelvin sign
    into ``k`` and let a lookalike through.
    """
    if not isinstance(text, str) or not text.isascii() or len(text) > limit:
        raise InvalidInput(field, text, allowed)
    if not pattern.fullmatch(text):
        raise InvalidInput(field, text, allowed)
    return text


class Login(str):
    """A Tailscale login name, lowercased: ``alice@example.com``, ``octocat@github``.

    Letters, digits, ``_``, ``+``, ``-`` and inner dots before the ``@``; DNS labels after it;
    254 characters at most.
    """

    __slots__ = ()
    ALLOWED: ClassVar[str] = (
        "a login name such as alice@example.com or octocat@github: ASCII letters, digits, "
        "'_', '+', '-' and inner dots, then '@' and a domain; no spaces, quotes or other symbols"
    )

    def __new__(cls, text: str) -> Self:
        if isinstance(text, str) and text.isascii():
            text = text.lower()
        return super().__new__(cls, _checked("login", text, _LOGIN, cls.ALLOWED, 254))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The login ``text`` names, lowercased; `InvalidInput` if it is not one."""
        return cls(text)

    @property
    def domain(self) -> str:
        """What follows the ``@``: ``example.com``, ``github``."""
        return self.partition("@")[2]


class GroupName(str):
    """A policy group, ``group:<name>``, kept as written (group names are case-sensitive).

    The name is ASCII letters, digits and ``_ . @ + -``, starting with a letter or digit.
    """

    __slots__ = ()
    ALLOWED: ClassVar[str] = (
        "a group such as group:eng: 'group:' then ASCII letters, digits, '_', '.', '@', '+' "
        "or '-', starting with a letter or digit"
    )

    def __new__(cls, text: str) -> Self:
        return super().__new__(cls, _checked("group", text, _GROUP, cls.ALLOWED, 134))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The group ``text`` names; `InvalidInput` if it is not one."""
        return cls(text)

    @property
    def name(self) -> str:
        """The name after ``group:``."""
        return self[len("group:") :]


class Tag(str):
    """A device tag, ``tag:<name>``: a letter, then letters, digits and ``-`` (Tailscale's rule)."""

    __slots__ = ()
    ALLOWED: ClassVar[str] = (
        "a tag such as tag:prod: 'tag:' then an ASCII letter, then letters, digits or '-'"
    )

    def __new__(cls, text: str) -> Self:
        return super().__new__(cls, _checked("tag", text, _TAG, cls.ALLOWED, 132))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The tag ``text`` names; `InvalidInput` if it is not one."""
        return cls(text)

    @property
    def name(self) -> str:
        """The name after ``tag:``."""
        return self[len("tag:") :]


class HostAlias(str):
    """A key of the policy's ``hosts``: ASCII letters, digits, ``-`` and inner dots.

    Kept as written. A name of only digits and dots is refused: it would be read as an address.
    """

    __slots__ = ()
    ALLOWED: ClassVar[str] = (
        "a host alias such as db-prod: ASCII letters, digits, '-' and '.', starting and ending "
        "with a letter or digit, and not only digits and dots (an address)"
    )

    def __new__(cls, text: str) -> Self:
        alias = _checked("host", text, _HOST_ALIAS, cls.ALLOWED, 253)
        if _DIGITS_AND_DOTS.fullmatch(alias):  # 10.0.0.1, and 10.0 or 17 too: read as addresses
            raise InvalidInput("host", text, cls.ALLOWED)
        return super().__new__(cls, alias)

    @classmethod
    def parse(cls, text: str) -> Self:
        """The host alias ``text`` names; `InvalidInput` if it is not one."""
        return cls(text)


class _CrockfordId(str):
    """Eight uppercase Crockford base32 digits (40 random bits), e.g. ``G7KQ2M3X``.

    Input is accepted in either case and uppercased. The letters Crockford leaves out (I, L, O,
    U) are refused rather than read as 1 or 0, so one id has exactly one spelling. The id fits a
    posture attribute key (``custom:tailjit_<id>``: letters, digits, ``_`` and ``:``, and 23
    characters, within the 50 that older API docs allow), and ids differ even when compared
    case-insensitively, as Tailscale compares keys.
    """

    __slots__ = ()
    FIELD: ClassVar[str] = "id"

    def __new__(cls, text: str) -> Self:
        allowed = (
            f"a {cls.FIELD} such as G7KQ2M3X: {_ID_LENGTH} characters from "
            f"{CROCKFORD_ALPHABET} (Crockford base32: no I, L, O or U)"
        )
        if isinstance(text, str) and text.isascii():
            text = text.upper()
        return super().__new__(cls, _checked(cls.FIELD, text, _ID, allowed, _ID_LENGTH))

    @classmethod
    def parse(cls, text: str) -> Self:
        """The id ``text`` spells, uppercased; `InvalidInput` if it is not one."""
        return cls(text)

    @classmethod
    def new(cls) -> Self:
        """A fresh random id, from `secrets`."""
        return cls("".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(_ID_LENGTH)))


class RequestId(_CrockfordId):
    """The id of an access request."""

    __slots__ = ()
    FIELD = "request id"


class GrantId(_CrockfordId):
    """The id of a grant: it names the marker comment and the ``custom:tailjit_<id>`` attribute."""

    __slots__ = ()
    FIELD = "grant id"

    @property
    def attribute_key(self) -> str:
        """The posture attribute of this grant: ``custom:tailjit_<id>``."""
        return f"custom:tailjit_{self}"

    @property
    def posture_name(self) -> str:
        """The posture that tests the attribute: ``posture:tailjit_<id>``."""
        return f"posture:tailjit_{self}"


Principal: TypeAlias = Login | GroupName
"""Someone who may request or approve: one login, or every member of a group."""


def parse_principal(text: str) -> Principal:
    """A `GroupName` for ``group:...``, otherwise a `Login`; `InvalidInput` if neither."""
    if isinstance(text, str) and text.startswith("group:"):
        return GroupName.parse(text)
    if isinstance(text, str) and "@" in text:
        return Login.parse(text)
    raise InvalidInput(
        "principal", text, "a login such as alice@example.com or a group such as group:eng"
    )
