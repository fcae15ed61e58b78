"""SCIM 2.0 service provider: the Users and Groups that Entra ID and Okta provisioning push.

`ScimDirectory` is tailjit's in-memory copy of what the identity provider provisioned: users
(``userName`` is the login, lowercased) and groups (members are user ids). Each operation takes
the request as the route received it and returns a `ScimResult`: the status, the SCIM body (or
None for 204) and the `IdentityEvent` values the change means, each carrying the caller's request
id as ``delivery``. Nothing here reads a clock, the network or a file: mutating operations take
``now``, and the daemon persists `ScimDirectory.to_json` in its store. Not thread-safe: the
daemon serialises requests.

Events come from comparing what the daemon cares about before and after an operation, so an
idempotent retry (add an existing member, remove a missing one) produces none, and a rename
reads as every membership moving: MEMBER_REMOVED under the old name, MEMBER_ADDED under the new.
Revocations come first in the list (removals, deactivations), then reactivations and additions.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, NamedTuple, ParamSpec, TypeVar

from tailjit.errors import InvalidInput, TailjitError, shown
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.scim_discovery import ENDPOINTS as DISCOVERY_ENDPOINTS
from tailjit.identity.scim_discovery import discover
from tailjit.identity.scim_patch import (
    GROUP_SCHEMA,
    LIST_SCHEMA,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    USER_SCHEMA,
    ScimEmail,
    ScimError,
    ScimGroup,
    ScimUser,
    apply_to_group,
    apply_to_user,
    error_body,
    group_from,
    group_matches,
    lowered,
    parse_filter,
    parse_patch,
    user_from,
    user_matches,
)
from tailjit.instants import format_exact, format_instant, parse_instant

__all__ = [
    "CONTENT_TYPE",
    "GROUP_SCHEMA",
    "LIST_SCHEMA",
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "USER_SCHEMA",
    "ScimDirectory",
    "ScimEmail",
    "ScimError",
    "ScimGroup",
    "ScimResult",
    "ScimUser",
    "error_body",
]

CONTENT_TYPE: Final = "application/scim+json"
_FORMAT: Final = 1
"""The version of the `ScimDirectory.to_json` layout."""

_R = TypeVar("_R")
_P = ParamSpec("_P")


class ScimResult(NamedTuple):
    """What the route answers: ``status``, the JSON ``body`` (None for 204) and the ``events``."""

    status: int
    body: dict[str, object] | None
    events: list[IdentityEvent]


@dataclass(frozen=True, slots=True)
class _View:
    """What the daemon cares about in part of the directory: who is active, who is in what."""

    active: Mapping[str, bool]
    memberships: frozenset[tuple[str, str]]


_NOTHING: Final = _View({}, frozenset())


def _answers(operation: Callable[_P, ScimResult]) -> Callable[_P, ScimResult]:
    """``operation`` answering a refusal with its SCIM error body instead of raising it."""

    @functools.wraps(operation)
    def answered(*args: _P.args, **kwargs: _P.kwargs) -> ScimResult:
        try:
            return operation(*args, **kwargs)
        except ScimError as exc:
            return ScimResult(exc.status, exc.body(), [])

    return answered


def _meta(resource_type: str, created: datetime | None, modified: datetime | None) -> object:
    meta: dict[str, object] = {"resourceType": resource_type}
    if created is not None:
        meta["created"] = format_instant(created)
    if modified is not None:
        meta["lastModified"] = format_instant(modified)
    return meta


def _when(value: datetime | None) -> str | None:
    return None if value is None else format_exact(value)


def _parse_when(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"time {shown(value)} is not a string")
    return parse_instant(value)


class ScimDirectory:
    """Users and groups as the identity provider provisioned them, answering SCIM requests.

    ``new_id`` makes resource ids (a random UUID by default; tests pass their own).
    Every operation returns a `ScimResult` and changes nothing when it refuses.
    """

    def __init__(self, *, new_id: Callable[[], str] | None = None) -> None:
        self.users: dict[str, ScimUser] = {}
        self.groups: dict[str, ScimGroup] = {}
        self._new_id = new_id or (lambda: str(uuid.uuid4()))

    # --- the route's entry point -----------------------------------------------------------------

    @_answers
    def handle(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: bytes = b"",
        now: datetime,
        delivery: str,
    ) -> ScimResult:
        """One request as received: ``path`` below the SCIM base (``/Users/2819c223``), the query
        parameters, the raw body (already cut to the size limit by the route)."""
        return self._route(method.upper(), path, lowered(query or {}), body, now, delivery)

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, object],
        body: bytes,
        now: datetime,
        delivery: str,
    ) -> ScimResult:
        parts = path.strip("/").split("/")
        kind = parts[0].lower()
        if kind in DISCOVERY_ENDPOINTS:
            return ScimResult(200, discover(method, path, query), [])
        if len(parts) > 2 or kind not in ("users", "groups") or "" in parts:
            raise ScimError(
                404,
                f"no SCIM endpoint {shown(path)}: tailjit serves /Users, /Groups,"
                " /ServiceProviderConfig, /ResourceTypes and /Schemas",
            )
        if len(parts) == 1 and method == "GET":
            start, count = _number(query, "startindex", 1), _number(query, "count", None)
            found = query.get("filter")
            filter_text = found if isinstance(found, str) else None
            if kind == "users":
                return self.list_users(filter_text, start_index=start or 1, count=count)
            return self.list_groups(
                filter_text, start_index=start or 1, count=count, exclude_members=_no_members(query)
            )
        if len(parts) == 1 and method == "POST":
            create = self.create_user if kind == "users" else self.create_group
            return create(_json(body), now=now, delivery=delivery)
        if len(parts) == 2:
            rid = parts[1]
            if method == "GET":
                if kind == "users":
                    return self.get_user(rid)
                return self.get_group(rid, exclude_members=_no_members(query))
            if method in ("PUT", "PATCH"):
                users = kind == "users"
                if method == "PUT":
                    change = self.replace_user if users else self.replace_group
                else:
                    change = self.patch_user if users else self.patch_group
                return change(rid, _json(body), now=now, delivery=delivery)
            if method == "DELETE":
                delete = self.delete_user if kind == "users" else self.delete_group
                return delete(rid, now=now, delivery=delivery)
        raise ScimError(405, f"{method} is not supported on {shown(path)}")

    # --- users -----------------------------------------------------------------------------------

    @_answers
    def create_user(self, body: object, *, now: datetime, delivery: str) -> ScimResult:
        """POST /Users: 201 with the user; 409 ``uniqueness`` when the userName is taken."""
        user = user_from(body, self._fresh_id(), now, now)
        events = self._put_user(user, now=now, delivery=delivery)
        return ScimResult(201, self._user_body(user), events)

    @_answers
    def get_user(self, user_id: str) -> ScimResult:
        """GET /Users/{id}: 200 with the user, or 404."""
        return ScimResult(200, self._user_body(self._user(user_id)), [])

    @_answers
    def list_users(
        self, filter_text: str | None = None, *, start_index: int = 1, count: int | None = None
    ) -> ScimResult:
        """GET /Users[?filter=userName eq "…"]: a ListResponse, 200 even when nothing matches."""
        found = list(self.users.values())
        for path, value in parse_filter(filter_text) if filter_text is not None else []:
            found = [user for user in found if user_matches(user, path, value)]
        page = _page(found, start_index, count)
        return _listing([self._user_body(user) for user in page], len(found), start_index)

    @_answers
    def replace_user(
        self, user_id: str, body: object, *, now: datetime, delivery: str
    ) -> ScimResult:
        """PUT /Users/{id}: every attribute from the body; 200 with the user."""
        old = self._user(user_id)
        user = user_from(body, old.id, old.created, now)
        events = self._put_user(user, now=now, delivery=delivery)
        return ScimResult(200, self._user_body(user), events)

    @_answers
    def patch_user(self, user_id: str, body: object, *, now: datetime, delivery: str) -> ScimResult:
        """PATCH /Users/{id}: operations applied in order, all or none; 200 with the user."""
        old = self._user(user_id)
        user = old
        for operation in parse_patch(body):
            user = apply_to_user(user, operation)
        if user != old:
            user = replace(user, last_modified=now)
        events = self._put_user(user, now=now, delivery=delivery)
        return ScimResult(200, self._user_body(user), events)

    @_answers
    def delete_user(self, user_id: str, *, now: datetime, delivery: str) -> ScimResult:
        """DELETE /Users/{id}: 204; the user leaves every group and is deactivated."""
        user = self._user(user_id)
        before = self._user_view(user_id)
        for group in list(self.groups.values()):
            if user_id in group.members:
                self.groups[group.id] = replace(
                    group, members=group.members - {user_id}, last_modified=now
                )
        del self.users[user_id]
        # Always say so, even if a PATCH deactivated the user before: deletion is final.
        gone = _View({user.user_name: True}, before.memberships)
        return ScimResult(204, None, _events(gone, _NOTHING, now=now, delivery=delivery))

    def _put_user(self, user: ScimUser, *, now: datetime, delivery: str) -> list[IdentityEvent]:
        """Store ``user`` unless its userName is taken (409); the events the change means."""
        for other in self.users.values():
            if other.id != user.id and other.user_name == user.user_name:
                raise ScimError(
                    409,
                    f"userName {shown(user.user_name)} belongs to user {other.id}",
                    "uniqueness",
                )
        before = self._user_view(user.id)
        self.users[user.id] = user
        return _events(before, self._user_view(user.id), now=now, delivery=delivery)

    def _user(self, user_id: str) -> ScimUser:
        user = self.users.get(user_id)
        if user is None:
            raise ScimError(404, f"User {shown(user_id)} not found")
        return user

    def _user_view(self, user_id: str) -> _View:
        user = self.users.get(user_id)
        if user is None:
            return _NOTHING
        return _View(
            {user.user_name: user.active},
            frozenset(
                (user.user_name, group.display_name)
                for group in self.groups.values()
                if user_id in group.members
            ),
        )

    def _user_body(self, user: ScimUser) -> dict[str, object]:
        body: dict[str, object] = {"schemas": [USER_SCHEMA], "id": user.id}
        if user.external_id is not None:
            body["externalId"] = user.external_id
        body["userName"] = user.user_name
        body["active"] = user.active
        if user.display_name is not None:
            body["displayName"] = user.display_name
        if user.emails:
            body["emails"] = [email.to_json() for email in user.emails]
        body["meta"] = _meta("User", user.created, user.last_modified)
        return body

    # --- groups ----------------------------------------------------------------------------------

    @_answers
    def create_group(self, body: object, *, now: datetime, delivery: str) -> ScimResult:
        """POST /Groups: 201 with the group; 409 ``uniqueness`` when the displayName is taken."""
        group = group_from(body, self._fresh_id(), now, now, self._known)
        events = self._put_group(group, now=now, delivery=delivery)
        return ScimResult(201, self._group_body(group), events)

    @_answers
    def get_group(self, group_id: str, *, exclude_members: bool = False) -> ScimResult:
        """GET /Groups/{id}[?excludedAttributes=members]: 200 with the group, or 404."""
        return ScimResult(200, self._group_body(self._group(group_id), exclude_members), [])

    @_answers
    def list_groups(
        self,
        filter_text: str | None = None,
        *,
        start_index: int = 1,
        count: int | None = None,
        exclude_members: bool = False,
    ) -> ScimResult:
        """GET /Groups[?filter=displayName eq "…"]: a ListResponse, 200 even if nothing matches."""
        found = list(self.groups.values())
        for path, value in parse_filter(filter_text) if filter_text is not None else []:
            found = [group for group in found if group_matches(group, path, value)]
        page = _page(found, start_index, count)
        bodies = [self._group_body(group, exclude_members) for group in page]
        return _listing(bodies, len(found), start_index)

    @_answers
    def replace_group(
        self, group_id: str, body: object, *, now: datetime, delivery: str
    ) -> ScimResult:
        """PUT /Groups/{id}: every attribute from the body, members replaced; 200 with the group."""
        old = self._group(group_id)
        group = group_from(body, old.id, old.created, now, self._known)
        events = self._put_group(group, now=now, delivery=delivery)
        return ScimResult(200, self._group_body(group), events)

    @_answers
    def patch_group(
        self, group_id: str, body: object, *, now: datetime, delivery: str
    ) -> ScimResult:
        """PATCH /Groups/{id}: operations applied in order, all or none; 204 as Entra expects."""
        old = self._group(group_id)
        group = old
        for operation in parse_patch(body):
            group = apply_to_group(group, operation, self._known)
        if group != old:
            group = replace(group, last_modified=now)
        return ScimResult(204, None, self._put_group(group, now=now, delivery=delivery))

    @_answers
    def delete_group(self, group_id: str, *, now: datetime, delivery: str) -> ScimResult:
        """DELETE /Groups/{id}: 204; every member is removed from it."""
        self._group(group_id)
        before = self._group_view(group_id)
        del self.groups[group_id]
        return ScimResult(204, None, _events(before, _NOTHING, now=now, delivery=delivery))

    def _put_group(self, group: ScimGroup, *, now: datetime, delivery: str) -> list[IdentityEvent]:
        """Store ``group`` unless its displayName is taken (409); the events the change means."""
        name = group.display_name.casefold()
        for other in self.groups.values():
            if other.id != group.id and other.display_name.casefold() == name:
                raise ScimError(
                    409,
                    f"displayName {shown(group.display_name)} belongs to group {other.id}",
                    "uniqueness",
                )
        before = self._group_view(group.id)
        self.groups[group.id] = group
        return _events(before, self._group_view(group.id), now=now, delivery=delivery)

    def _group(self, group_id: str) -> ScimGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise ScimError(404, f"Group {shown(group_id)} not found")
        return group

    def _known(self, ids: list[str], where: str) -> frozenset[str]:
        unknown = [user_id for user_id in ids if user_id not in self.users]
        if unknown:
            named = ", ".join(shown(user_id) for user_id in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise ScimError(400, f"{where}: no user with id {named}{more}", "invalidValue")
        return frozenset(ids)

    def _group_view(self, group_id: str) -> _View:
        group = self.groups.get(group_id)
        if group is None:
            return _NOTHING
        logins = (self.users[user_id].user_name for user_id in group.members)
        return _View({}, frozenset((name, group.display_name) for name in logins))

    def _group_body(self, group: ScimGroup, exclude_members: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"schemas": [GROUP_SCHEMA], "id": group.id}
        if group.external_id is not None:
            body["externalId"] = group.external_id
        body["displayName"] = group.display_name
        if not exclude_members:
            body["members"] = [
                {"value": user_id, "display": self.users[user_id].user_name}
                for user_id in sorted(group.members)
            ]
        body["meta"] = _meta("Group", group.created, group.last_modified)
        return body

    def _fresh_id(self) -> str:
        while True:
            new = self._new_id()
            if new not in self.users and new not in self.groups:
                return new

    # --- persistence -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        """The directory as JSON-able data, for the daemon's store; `from_json` reads it back."""
        return {
            "format": _FORMAT,
            "users": [
                {
                    "id": user.id,
                    "userName": user.user_name,
                    "externalId": user.external_id,
                    "active": user.active,
                    "displayName": user.display_name,
                    "emails": [email.to_json() for email in user.emails],
                    "created": _when(user.created),
                    "lastModified": _when(user.last_modified),
                }
                for user in self.users.values()
            ],
            "groups": [
                {
                    "id": group.id,
                    "displayName": group.display_name,
                    "externalId": group.external_id,
                    "members": sorted(group.members),
                    "created": _when(group.created),
                    "lastModified": _when(group.last_modified),
                }
                for group in self.groups.values()
            ],
        }

    @classmethod
    def from_json(cls, data: object, *, new_id: Callable[[], str] | None = None) -> ScimDirectory:
        """The directory `to_json` wrote; `InvalidInput` if ``data`` is not that."""
        directory = cls(new_id=new_id)
        try:
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError(f"not format {_FORMAT}")
            for item in data["users"]:
                stored = {**item, "schemas": [USER_SCHEMA]}
                created = _parse_when(item["created"])
                user = user_from(stored, item["id"], created, _parse_when(item["lastModified"]))
                directory.users[user.id] = user
            for item in data["groups"]:
                stored = {**item, "schemas": [GROUP_SCHEMA]}
                stored["members"] = [{"value": user_id} for user_id in item["members"]]
                created = _parse_when(item["created"])
                group = group_from(
                    stored,
                    item["id"],
                    created,
                    _parse_when(item["lastModified"]),
                    directory._known,
                )
                directory.groups[group.id] = group
        except (TailjitError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                "SCIM directory", str(exc), "the data ScimDirectory.to_json wrote"
            ) from exc
        return directory


def _events(before: _View, after: _View, *, now: datetime, delivery: str) -> list[IdentityEvent]:
    """What changed between two views of the same part of the directory, revocations first.

    Each event's ``event_id`` is ``delivery#n``: one request can mean many events, and the
    daemon deduplicates by ``event_id or delivery``.
    """
    deactivated = {
        name
        for name, active in before.active.items()
        if active and not after.active.get(name, False)
    } | {name for name, active in after.active.items() if not active and name not in before.active}
    reactivated = {
        name for name, active in after.active.items() if active and before.active.get(name) is False
    }
    changes: list[tuple[EventKind, str, str | None]] = [
        *(
            (EventKind.MEMBER_REMOVED, name, group)
            for name, group in sorted(before.memberships - after.memberships)
        ),
        *((EventKind.USER_DEACTIVATED, name, None) for name in sorted(deactivated)),
        *((EventKind.USER_REACTIVATED, name, None) for name in sorted(reactivated)),
        *(
            (EventKind.MEMBER_ADDED, name, group)
            for name, group in sorted(after.memberships - before.memberships)
        ),
    ]
    return [
        IdentityEvent(
            source=Source.SCIM,
            kind=kind,
            delivery=delivery,
            login=name,
            group=group,
            event_id=f"{delivery}#{index}",
            at=now,
        )
        for index, (kind, name, group) in enumerate(changes)
    ]


def _page(resources: list[_R], start_index: int, count: int | None) -> list[_R]:
    """RFC 7644 §3.4.2.4: ``startIndex`` is 1-based (below 1 means 1), ``count`` at most a page."""
    start = max(start_index, 1) - 1
    size = PAGE_SIZE if count is None else min(max(count, 0), MAX_PAGE_SIZE)
    return resources[start : start + size]


def _listing(resources: list[dict[str, object]], total: int, start_index: int) -> ScimResult:
    body: dict[str, object] = {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "Resources": resources,
        "startIndex": max(start_index, 1),
        "itemsPerPage": len(resources),
    }
    return ScimResult(200, body, [])


def _number(query: Mapping[str, object], name: str, default: int | None) -> int | None:
    text = query.get(name)
    if text is None:
        return default
    if not isinstance(text, str) or not text.strip().lstrip("-").isdigit() or len(text) > 9:
        raise ScimError(400, f"{name} {shown(text)} is not a whole number", "invalidValue")
    return int(text)


def _no_members(query: Mapping[str, object]) -> bool:
    """Whether ``excludedAttributes`` names ``members`` (Entra's lookups send it)."""
    excluded = query.get("excludedattributes")
    names = excluded.split(",") if isinstance(excluded, str) else []
    return any(name.strip().lower() == "members" for name in names)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json(body: bytes) -> object:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ScimError(400, f"the body is not JSON: {exc}", "invalidSyntax") from exc
