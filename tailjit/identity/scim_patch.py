"""SCIM 2.0 values and the changes to them: resources, error bodies, paths, filters, PatchOps.

Pure functions on frozen values; `tailjit.identity.scim` keeps the directory that uses them. The
subset is what Entra ID and Okta provisioning send (``../shared/ref/WEBHOOKS.md`` §2b), parsed
strictly: anything outside it is refused with a SCIM error the identity provider can show its
operator, 400 ``invalidFilter``, ``invalidPath``, ``invalidSyntax``, ``invalidValue``,
``mutability`` or ``noTarget``.

Attribute names are case-insensitive in SCIM (RFC 7643 §2.1), so a `Path` holds them lowercased;
so are operation names (Entra sends ``Add``, Okta ``add``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, TypeVar

from tailjit.errors import TailjitError, shown

__all__ = [
    "ERROR_SCHEMA",
    "GROUP_SCHEMA",
    "LIST_SCHEMA",
    "MAX_MEMBER_VALUES",
    "MAX_OPERATIONS",
    "MAX_PAGE_SIZE",
    "MAX_TEXT",
    "PAGE_SIZE",
    "PATCH_SCHEMA",
    "USER_SCHEMA",
    "Operation",
    "Path",
    "ScimEmail",
    "ScimError",
    "ScimGroup",
    "ScimUser",
    "apply_to_group",
    "apply_to_user",
    "error_body",
    "group_from",
    "group_matches",
    "login",
    "lowered",
    "parse_filter",
    "parse_patch",
    "parse_path",
    "user_from",
    "user_matches",
]

ERROR_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_SCHEMA: Final = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
CORE_SCHEMA_PREFIX: Final = "urn:ietf:params:scim:schemas:core:2.0:"
USER_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Group"
_ENTERPRISE_SCHEMA: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"

MAX_OPERATIONS: Final = 1000
"""Operations in one PATCH. Neither provider documents its batch size (WEBHOOKS.md §Security)."""
MAX_MEMBER_VALUES: Final = 10_000
"""Member references in one value: a full ``replace`` of a large group still fits."""
MAX_TEXT: Final = 256
"""Characters in a userName, displayName, externalId or email address."""
PAGE_SIZE: Final = 100
"""Resources in a ListResponse page when the request gives no ``count`` (Okta asks for 100)."""
MAX_PAGE_SIZE: Final = 1000
"""Resources in a ListResponse page at most, whatever ``count`` asks for (``filter.maxResults``
in the ServiceProviderConfig)."""

_IGNORED_USER_ATTRIBUTES: Final = frozenset(
    # Core User attributes (RFC 7643 §4.1) that tailjit accepts and does not keep: Entra's default
    # attribute mappings send several of them, and refusing them would fail provisioning.
    {"name", "nickname", "profileurl", "title", "usertype", "preferredlanguage", "locale"}
    | {"timezone", "password", "phonenumbers", "ims", "photos", "addresses", "groups"}
    | {"entitlements", "roles", "x509certificates"}
)
_READ_ONLY: Final = frozenset({"id", "meta", "schemas"})

_NAME = r"[A-Za-z][\w$-]*"
_STRING = r'"(?:[^"\\]|\\.)*"'
_PATH = re.compile(
    rf"(?P<attr>{_NAME})"
    rf"(?:\[\s*(?P<fattr>{_NAME})\s+eq\s+(?P<fvalue>{_STRING})\s*\])?"
    rf"(?:\.(?P<sub>{_NAME}))?",
    re.IGNORECASE,
)
_FILTER_CLAUSE = re.compile(
    rf"\s*(?P<path>{_NAME}(?:\[[^\]]*\])?(?:\.{_NAME})?)\s+eq\s+(?P<value>{_STRING})\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"and\b", re.IGNORECASE)


class ScimError(TailjitError):
    """A request refused with a SCIM error body (RFC 7644 §3.12): ``status`` and ``scim_type``."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        super().__init__(f"SCIM {status} {scim_type or ''}: {detail}".replace("  ", " "))

    def body(self) -> dict[str, object]:
        return error_body(self.status, self.detail, self.scim_type)


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, object]:
    """The RFC 7644 §3.12 error body; ``status`` is a string there, as Entra's example shows."""
    body: dict[str, object] = {"schemas": [ERROR_SCHEMA], "status": str(status)}
    if scim_type is not None:
        body["scimType"] = scim_type
    body["detail"] = detail
    return body


@dataclass(frozen=True, slots=True)
class Path:
    """``attribute[filter_attribute eq "filter_value"].sub_attribute``, names lowercased.

    ``schema`` is the lowercased URN of an extension schema (``urn:…:enterprise:2.0:User``)
    when the path named one; a core schema URN prefix is dropped.
    """

    attribute: str
    filter_attribute: str | None = None
    filter_value: str | None = None
    sub_attribute: str | None = None
    schema: str | None = None

    def __str__(self) -> str:
        text = f"{self.schema}:{self.attribute}" if self.schema else self.attribute
        if self.filter_attribute is not None:
            text += f"[{self.filter_attribute} eq {json.dumps(self.filter_value)}]"
        if self.sub_attribute is not None:
            text += f".{self.sub_attribute}"
        return text


def parse_path(text: object) -> Path:
    """A PATCH ``path``; 400 ``invalidPath`` naming it when it is not one this subset reads."""
    if not isinstance(text, str) or not text or len(text) > 512:
        raise ScimError(400, f"path {shown(text)} is not an attribute path", "invalidPath")
    schema: str | None = None
    rest = text
    if text.lower().startswith("urn:"):
        head, sep, rest = text.rpartition(":")
        if not sep or not rest:
            raise ScimError(
                400, f"path {shown(text)} names a schema but no attribute", "invalidPath"
            )
        schema = None if head.lower().startswith(CORE_SCHEMA_PREFIX) else head.lower()
    match = _PATH.fullmatch(rest)
    if match is None:
        raise ScimError(
            400,
            f'path {shown(text)} is not attribute[.sub] or attribute[sub eq "value"][.sub]',
            "invalidPath",
        )
    fvalue = match["fvalue"]
    return Path(
        attribute=match["attr"].lower(),
        filter_attribute=match["fattr"].lower() if match["fattr"] else None,
        filter_value=json.loads(fvalue) if fvalue is not None else None,
        sub_attribute=match["sub"].lower() if match["sub"] else None,
        schema=schema,
    )


def parse_filter(text: str) -> list[tuple[Path, str]]:
    """A ``filter`` query: ``attr eq "value"`` clauses joined by ``and``, as Entra and Okta send.

    Anything else (``co``, ``sw``, ``or``, ``not``, a non-string value) is 400 ``invalidFilter``.
    """
    refused = ScimError(
        400,
        f'filter {shown(text)} is not supported: use attribute eq "value" (joined by "and")',
        "invalidFilter",
    )
    clauses: list[tuple[Path, str]] = []
    position = 0
    while True:
        match = _FILTER_CLAUSE.match(text, position)
        if match is None:
            raise refused
        try:
            path = parse_path(match["path"])
        except ScimError:
            raise refused from None
        clauses.append((path, json.loads(match["value"])))
        position = match.end()
        if position == len(text):
            return clauses
        joined = _AND.match(text, position)
        if joined is None:
            raise refused
        position = joined.end()


@dataclass(frozen=True, slots=True)
class Operation:
    """One PatchOp operation: ``op`` lowercased, ``path`` if given, ``value`` if ``has_value``."""

    op: str
    path: Path | None
    value: object = None
    has_value: bool = False
    index: int = 0

    @property
    def where(self) -> str:
        """How error details name this operation: ``Operations[2] (remove members)``."""
        return f"Operations[{self.index}] ({self.op} {self.path or '(no path)'})"


def lowered(body: Mapping[str, object]) -> dict[str, object]:
    """``body`` with its keys lowercased: SCIM attribute names are case-insensitive."""
    return {key.lower(): value for key, value in body.items()}


def parse_patch(body: object) -> list[Operation]:
    """A PatchOp request body (RFC 7644 §3.5.2) as operations, checked before any is applied."""
    if not isinstance(body, dict):
        raise ScimError(400, "a PATCH body must be a JSON object", "invalidSyntax")
    fields = lowered(body)
    schemas = fields.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise ScimError(400, f'a PATCH body needs "schemas": ["{PATCH_SCHEMA}"]', "invalidSyntax")
    raw = fields.get("operations")
    if not isinstance(raw, list) or not raw:
        raise ScimError(400, 'a PATCH body needs a non-empty "Operations" list', "invalidSyntax")
    if len(raw) > MAX_OPERATIONS:
        raise ScimError(
            400, f"{len(raw)} operations in one PATCH; at most {MAX_OPERATIONS}", "invalidValue"
        )
    operations = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ScimError(400, f"Operations[{index}] is not an object", "invalidSyntax")
        item = lowered(item)
        op = item.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "remove", "replace"):
            raise ScimError(
                400,
                f"Operations[{index}]: op {shown(op)} is not add, remove or replace",
                "invalidSyntax",
            )
        path = parse_path(item["path"]) if item.get("path") is not None else None
        operation = Operation(op.lower(), path, item.get("value"), "value" in item, index)
        if operation.op == "remove" and path is None:
            raise ScimError(400, f"{operation.where}: remove needs a path", "noTarget")
        if operation.op != "remove" and not operation.has_value:
            raise ScimError(
                400, f"{operation.where}: {operation.op} needs a value", "invalidSyntax"
            )
        operations.append(operation)
    return operations


# --- resources ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScimEmail:
    value: str
    type: str | None = None
    primary: bool = False

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"value": self.value}
        if self.type is not None:
            body["type"] = self.type
        if self.primary:
            body["primary"] = True
        return body


@dataclass(frozen=True, slots=True)
class ScimUser:
    """A provisioned user; ``user_name`` is the login, ASCII letters lowercased."""

    id: str
    user_name: str
    external_id: str | None = None
    active: bool = True
    display_name: str | None = None
    emails: tuple[ScimEmail, ...] = ()
    created: datetime | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScimGroup:
    """A provisioned group; ``members`` are user ids, ``display_name`` names it in events."""

    id: str
    display_name: str
    external_id: str | None = None
    members: frozenset[str] = frozenset()
    created: datetime | None = None
    last_modified: datetime | None = None


# --- values ------------------------------------------------------------------------------------


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ScimError(
            400,
            f"{what} {shown(value)} must be a non-empty string of at most {MAX_TEXT} characters",
            "invalidValue",
        )
    if not value.isprintable():
        raise ScimError(400, f"{what} {shown(value)} has a control character", "invalidValue")
    return value


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def login(value: object) -> str:
    """A userName as tailjit keeps it: the login, ASCII letters lowercased.

    Only ASCII is lowercased: ``str.lower`` would turn the Kelvin sign into ``k``.
    """
    return "".join(c.lower() if c.isascii() else c for c in _text(value, "userName"))


def _bool(value: object, what: str) -> bool:
    # Entra sends "True"/"False" strings unless the app opts in to its 2020 SCIM compliance fixes.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, f"{what} {shown(value)} is not true or false", "invalidValue")


def _email(value: object) -> ScimEmail:
    if not isinstance(value, dict):
        raise ScimError(400, f"email {shown(value)} is not an object", "invalidValue")
    fields = lowered(value)
    return ScimEmail(
        _text(fields.get("value"), "emails.value"),
        _optional_text(fields.get("type"), "emails.type"),
        _bool(fields.get("primary", False), "emails.primary"),
    )


def _items(value: object) -> list[object]:
    """A multi-valued attribute's value: a list, or one item on its own, or nothing (null)."""
    return [] if value is None else value if isinstance(value, list) else [value]


def _member_ids(value: object) -> list[str]:
    """The user ids in a ``members`` value: ``[{"value": id, "display": …}, …]``."""
    items = _items(value)
    if len(items) > MAX_MEMBER_VALUES:
        raise ScimError(
            400, f"{len(items)} members in one value; at most {MAX_MEMBER_VALUES}", "invalidValue"
        )
    ids = []
    for item in items:
        ref = lowered(item).get("value") if isinstance(item, dict) else None
        if not isinstance(ref, str) or not ref:
            raise ScimError(400, f'member {shown(item)} needs a "value": a user id', "invalidValue")
        ids.append(ref)
    return ids


def _resource_fields(body: object, schema: str) -> dict[str, object]:
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    fields = lowered(body)
    schemas = fields.get("schemas")
    if not isinstance(schemas, list) or schema not in schemas:
        raise ScimError(400, f'the body needs "schemas" with "{schema}"', "invalidSyntax")
    return fields


def user_from(
    body: object, user_id: str, created: datetime | None, modified: datetime | None
) -> ScimUser:
    """The user a POST or PUT body describes; attributes tailjit does not keep are ignored."""
    fields = _resource_fields(body, USER_SCHEMA)
    active = fields.get("active")
    return ScimUser(
        id=user_id,
        user_name=login(fields.get("username")),
        external_id=_optional_text(fields.get("externalid"), "externalId"),
        active=True if active is None else _bool(active, "active"),
        display_name=_optional_text(fields.get("displayname"), "displayName"),
        emails=tuple(_email(item) for item in _items(fields.get("emails"))),
        created=created,
        last_modified=modified,
    )


Known = Callable[[list[str], str], frozenset[str]]
"""Checks member ids against the directory: the ids, or 400 ``invalidValue`` naming unknown ones;
the second argument says where they came from, for the message."""


def group_from(
    body: object, group_id: str, created: datetime | None, modified: datetime | None, known: Known
) -> ScimGroup:
    """The group a POST or PUT body describes, with its full member list."""
    fields = _resource_fields(body, GROUP_SCHEMA)
    return ScimGroup(
        id=group_id,
        display_name=_text(fields.get("displayname"), "displayName"),
        external_id=_optional_text(fields.get("externalid"), "externalId"),
        members=known(_member_ids(fields.get("members")), "members"),
        created=created,
        last_modified=modified,
    )


# --- filters -----------------------------------------------------------------------------------


def _unfilterable(path: Path) -> ScimError:
    return ScimError(400, f"tailjit cannot filter on {shown(str(path))}", "invalidFilter")


def user_matches(user: ScimUser, path: Path, value: str) -> bool:
    """Whether ``user`` passes the clause ``path eq value`` (userName is case-insensitive)."""
    plain = path.filter_attribute is None and path.sub_attribute is None and path.schema is None
    if plain and path.attribute == "username":
        return user.user_name == "".join(c.lower() if c.isascii() else c for c in value)
    if plain and path.attribute in ("externalid", "id", "displayname"):
        found = {"externalid": user.external_id, "id": user.id, "displayname": user.display_name}
        return found[path.attribute] == value
    if path.attribute == "emails" and path.schema is None and path.sub_attribute in (None, "value"):
        if path.filter_attribute not in (None, "type"):
            raise _unfilterable(path)
        wanted = (path.filter_value or "").lower()
        return any(
            email.value.lower() == value.lower()
            and (path.filter_attribute is None or (email.type or "").lower() == wanted)
            for email in user.emails
        )
    raise _unfilterable(path)


def group_matches(group: ScimGroup, path: Path, value: str) -> bool:
    """Whether ``group`` passes ``path eq value`` (displayName is case-insensitive)."""
    if path.filter_attribute is not None or path.sub_attribute is not None or path.schema:
        raise _unfilterable(path)
    if path.attribute == "displayname":
        return group.display_name.casefold() == value.casefold()
    if path.attribute in ("externalid", "id"):
        return (group.external_id if path.attribute == "externalid" else group.id) == value
    raise _unfilterable(path)


# --- PATCH -------------------------------------------------------------------------------------

_Resource = TypeVar("_Resource", ScimUser, ScimGroup)


def _each_key(
    resource: _Resource,
    operation: Operation,
    schema: str,
    apply: Callable[[_Resource, Operation], _Resource],
) -> _Resource:
    """A path-less add or replace (Okta's rename): each key of the value as if it were a path."""
    if not isinstance(operation.value, dict):
        raise ScimError(
            400, f"{operation.where}: without a path the value must be an object", "invalidValue"
        )
    for key, value in operation.value.items():
        name = key.lower()
        if name == "id" and value != resource.id:
            raise ScimError(400, f"{operation.where}: id is read-only", "mutability")
        if name in _READ_ONLY or name == _ENTERPRISE_SCHEMA:
            continue
        if name == schema.lower():
            resource = _each_key(resource, replace(operation, value=value), schema, apply)
            continue
        resource = apply(resource, replace(operation, path=parse_path(key), value=value))
    return resource


def _unknown(operation: Operation, resource_type: str) -> ScimError:
    if operation.path is not None and operation.path.attribute in _READ_ONLY:
        return ScimError(400, f"{operation.where}: {operation.path} is read-only", "mutability")
    return ScimError(
        400, f"{operation.where}: not a {resource_type} attribute tailjit accepts", "invalidPath"
    )


def _required(operation: Operation, name: str) -> None:
    if operation.op == "remove":
        raise ScimError(400, f"{operation.where}: {name} cannot be removed", "invalidValue")


def apply_to_user(user: ScimUser, operation: Operation) -> ScimUser:
    """``user`` with one PATCH operation applied; 400 naming the operation when it cannot be."""
    path = operation.path
    if path is None:
        return _each_key(user, operation, USER_SCHEMA, apply_to_user)
    if path.schema == _ENTERPRISE_SCHEMA or (
        path.schema is None and path.attribute in _IGNORED_USER_ATTRIBUTES
    ):
        return user
    if path.schema is None and path.attribute == "emails":
        return replace(user, emails=_patch_emails(user.emails, operation, path))
    if path.schema is not None or path.filter_attribute or path.sub_attribute:
        raise _unknown(operation, "User")
    value, removing = operation.value, operation.op == "remove"
    if path.attribute == "active":
        _required(operation, "active")
        return replace(user, active=_bool(value, "active"))
    if path.attribute == "username":
        _required(operation, "userName")
        return replace(user, user_name=login(value))
    if path.attribute == "displayname":
        return replace(user, display_name=None if removing else _text(value, "displayName"))
    if path.attribute == "externalid":
        return replace(user, external_id=None if removing else _text(value, "externalId"))
    raise _unknown(operation, "User")


def _patch_emails(
    emails: tuple[ScimEmail, ...], operation: Operation, path: Path
) -> tuple[ScimEmail, ...]:
    if path.filter_attribute is None:
        if path.sub_attribute is not None:
            raise _unknown(operation, "User")
        if operation.op == "remove":
            gone = {email.value.lower() for email in map(_email, _items(operation.value))}
            keep = operation.has_value and operation.value is not None
            return tuple(email for email in emails if keep and email.value.lower() not in gone)
        new = tuple(_email(item) for item in _items(operation.value))
        if operation.op == "replace":
            return new
        return emails + tuple(email for email in new if email not in emails)
    if path.filter_attribute not in ("type", "value") or path.sub_attribute not in (None, "value"):
        raise _unknown(operation, "User")
    wanted = (path.filter_value or "").lower()

    def hit(email: ScimEmail) -> bool:
        found = email.type if path.filter_attribute == "type" else email.value
        return (found or "").lower() == wanted

    kept = tuple(email for email in emails if not hit(email))
    if operation.op == "remove":
        return kept
    if path.sub_attribute is None:
        return (*kept, _email(operation.value))
    address = _text(operation.value, "emails.value")
    if len(kept) < len(emails):
        return tuple(replace(email, value=address) if hit(email) else email for email in emails)
    kind = path.filter_value if path.filter_attribute == "type" else None
    return (*emails, ScimEmail(address, kind))


def apply_to_group(group: ScimGroup, operation: Operation, known: Known) -> ScimGroup:
    """``group`` with one PATCH operation applied, in Entra's or Okta's spelling.

    Added and replacing members must be known users; removing one that is not a member (or no
    longer a user) changes nothing, so a provider's retry or a late removal after DELETE /Users
    is not an error.
    """
    path = operation.path
    if path is None:
        return _each_key(group, operation, GROUP_SCHEMA, lambda g, o: apply_to_group(g, o, known))
    if path.schema is not None or path.sub_attribute is not None:
        raise _unknown(operation, "Group")
    if path.attribute == "members":
        if path.filter_attribute is not None:
            if path.filter_attribute != "value" or operation.op != "remove":
                raise ScimError(
                    400,
                    f'{operation.where}: only remove takes a members[value eq "…"] path',
                    "invalidPath",
                )
            return replace(group, members=group.members - {path.filter_value})
        if operation.op == "remove":
            if operation.value is None:  # RFC 7644 §3.5.2.2: no filter and no value: all of them
                return replace(group, members=frozenset())
            return replace(group, members=group.members - set(_member_ids(operation.value)))
        ids = known(_member_ids(operation.value), operation.where)
        return replace(group, members=group.members | ids if operation.op == "add" else ids)
    if path.filter_attribute is not None:
        raise _unknown(operation, "Group")
    if path.attribute == "displayname":
        _required(operation, "displayName")
        return replace(group, display_name=_text(operation.value, "displayName"))
    if path.attribute == "externalid":
        removing = operation.op == "remove"
        return replace(
            group, external_id=None if removing else _text(operation.value, "externalId")
        )
    raise _unknown(operation, "Group")
