"""Pydantic field types for the eligibility file, each parsed by one of tailjit's leaf parsers.

A field refuses input with a `PydanticCustomError` whose type is the issue name the loader turns
into a code (``invalid-principal`` becomes E106, see ``_issues``), and whose message is the
parser's own (it names the field and says what is allowed). A group name is also checked against
the known groups in the validation context (``KNOWN_GROUPS``), when there are any. Each field
also says how it looks in the JSON Schema that editors validate with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from tailjit.durations import format_duration, parse_duration
from tailjit.errors import InvalidInput, json_type
from tailjit.ids import GroupName, Login, Principal, parse_principal
from tailjit.targets import Target, parse_target

T = TypeVar("T")

_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_.-]{0,62}[a-z0-9])?")
_ATTRIBUTE = re.compile(r"custom:[A-Za-z0-9_:]{1,43}")  # 50 characters at most: see §3.2
_RESERVED_ATTRIBUTE = "custom:tailjit_"
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")

KNOWN_GROUPS = "known_groups"
"""Key of the validation context that holds the group names a file may use (or None: any)."""

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class _Parsed(Generic[T]):
    """Annotation of a string field that ``parse`` turns into a value; ``show`` writes it back.

    A refusal becomes a `PydanticCustomError` of type ``invalid-<kind>``.
    """

    parse: Callable[[str], T]
    kind: str
    schema: dict[str, Any]
    show: Callable[[T], str] = str

    def validate(self, value: object, info: core_schema.ValidationInfo) -> T:
        if not isinstance(value, str):
            raise PydanticCustomError(
                "wrong-type", "expected a string, got {got}", {"got": json_type(value)}
            )
        try:
            parsed = self.parse(value)
        except InvalidInput as exc:
            raise PydanticCustomError(
                f"invalid-{self.kind}", "{detail}", {"detail": str(exc)}
            ) from exc
        known = (info.context or {}).get(KNOWN_GROUPS)
        if isinstance(parsed, GroupName) and known is not None and parsed not in known:
            raise PydanticCustomError(
                "unknown-group", "{group} is not a group of the tailnet policy", {"group": parsed}
            )
        return parsed

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                self.show, return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"type": "string", **self.schema}


def _name(text: str) -> str:
    if not _NAME.fullmatch(text):
        raise InvalidInput(
            "name",
            text,
            "1-64 lowercase ASCII letters, digits, '_', '.' or '-', starting and ending with a "
            "letter or digit",
        )
    return text


def _attribute(text: str) -> str:
    if not _ATTRIBUTE.fullmatch(text):
        raise InvalidInput(
            "attribute",
            text,
            "a posture attribute key such as custom:jit_prod: 'custom:' then letters, digits, "
            "'_' or ':', 50 characters at most",
        )
    if text.lower().startswith(_RESERVED_ATTRIBUTE):
        raise InvalidInput(
            "attribute", text, f"keys starting with {_RESERVED_ATTRIBUTE} are tailjit's own"
        )
    return text


def _pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise InvalidInput("ticketPattern", text, f"a regular expression ({exc})") from None


def _time(text: str) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise InvalidInput("time", text, "a time of day HH:MM, from 00:00 to 24:00")
    if text == "24:00":
        return time.max
    return time(int(match[1]), int(match[2]))


def show_time(value: time) -> str:
    return "24:00" if value == time.max else value.strftime("%H:%M")


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "timeZone", text, "an IANA time zone such as Europe/Berlin or UTC"
        ) from None


_PRINCIPAL_SCHEMA = {
    "pattern": r"^(group:[A-Za-z0-9][A-Za-z0-9_.@+-]*|[A-Za-z0-9_+.-]+@[A-Za-z0-9.-]+)$",
    "description": "A login (alice@example.com, octocat@github) or a group (group:eng).",
}

PrincipalField = Annotated[Principal, _Parsed(parse_principal, "principal", _PRINCIPAL_SCHEMA)]
LoginField = Annotated[
    Login, _Parsed(Login.parse, "principal", {"description": "A login: alice@example.com."})
]
GroupField = Annotated[
    GroupName, _Parsed(GroupName.parse, "principal", {"description": "A group: group:eng."})
]
TargetField = Annotated[
    Target,
    _Parsed(
        parse_target,
        "target",
        {
            "description": "[proto:]host:ports, e.g. db-prod:5432, tcp:tag:prod:443, "
            "10.0.0.0/24:8000-8100, [fd7a::1]:22 (see policy/README.md)."
        },
    ),
]
DurationField = Annotated[
    timedelta,
    _Parsed(
        parse_duration,
        "duration",
        {
            "pattern": r"^([0-9]+[dD])?([0-9]+[hH])?([0-9]+[mM])?([0-9]+[sS])?$",
            "description": "A duration: 90s, 15m, 1h, 1h30m, 2d.",
        },
        format_duration,
    ),
]
NameField = Annotated[str, _Parsed(_name, "name", {"pattern": f"^{_NAME.pattern}$"})]
AttributeField = Annotated[
    str, _Parsed(_attribute, "attribute", {"pattern": f"^{_ATTRIBUTE.pattern}$"})
]
PatternField = Annotated[
    re.Pattern[str],
    _Parsed(
        _pattern,
        "regex",
        {"format": "regex", "description": "A Python regular expression."},
        lambda p: p.pattern,
    ),
]
TimeField = Annotated[time, _Parsed(_time, "time", {"pattern": f"^({_TIME.pattern})$"}, show_time)]
ZoneField = Annotated[
    ZoneInfo,
    _Parsed(_zone, "time-zone", {"description": "An IANA time zone: Europe/Berlin, UTC."}),
]
