"""Okta event hooks: the one-time verification, the shared-secret check, and deliveries.

Okta signs nothing: an event hook is authenticated only by a header whose name and value the
admin configures (usually ``Authorization``), sent on the verification GET and on every POST;
`check_secret` compares it in constant time. `verification_response` answers the GET.

A delivery is an envelope (``eventId``, ``data.events[]``) of System Log events. tailjit acts on:

=================================================  =====================
``group.user_membership.add`` / ``.remove``        member added / removed
``user.lifecycle.deactivate``, ``.suspend``,       user deactivated
``.delete.initiated``
``user.lifecycle.activate``, ``.reactivate``,      user reactivated
``.unsuspend``
=================================================  =====================

The user is the ``target[]`` element of ``type`` ``User`` (its ``alternateId``, lowercased) and
the group the element of type ``UserGroup`` (its ``displayName``), selected by type, never by
position. Other event types are ignored. An event of a type tailjit acts on is skipped, and
the reason returned, when it cannot be used: ``target`` is null (Okta's preview deliveries),
a target is missing, the login is not a tailnet login, or ``outcome.result`` is not SUCCESS
(the change did not happen). The envelope and the fields tailjit reads are otherwise strict.
``IdentityEvent.delivery`` is the envelope's ``eventId``, ``event_id`` the event's ``uuid``
(Okta delivers at least once; deduplicate on both) and ``at`` its ``published`` time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tailjit.errors import InvalidInput, shown
from tailjit.identity.errors import DeliveryRejected, Reason
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.wire import (
    Parsed,
    as_list,
    as_object,
    child,
    find_header,
    instant,
    load_json,
    optional_object,
    optional_str,
    require_header,
    required_str,
    same_secret,
    secrets_of,
)
from tailjit.ids import Login

__all__ = [
    "CHALLENGE_HEADER",
    "KINDS",
    "check_secret",
    "parse_delivery",
    "verification_response",
]

CHALLENGE_HEADER = "X-Okta-Verification-Challenge"
_CHALLENGE_MAX = 1024
"""Characters of a challenge tailjit echoes at most (Okta's are about 40)."""

KINDS: Mapping[str, EventKind] = {
    "group.user_membership.add": EventKind.MEMBER_ADDED,
    "group.user_membership.remove": EventKind.MEMBER_REMOVED,
    "user.lifecycle.deactivate": EventKind.USER_DEACTIVATED,
    "user.lifecycle.suspend": EventKind.USER_DEACTIVATED,
    "user.lifecycle.delete.initiated": EventKind.USER_DEACTIVATED,
    "user.lifecycle.activate": EventKind.USER_REACTIVATED,
    "user.lifecycle.reactivate": EventKind.USER_REACTIVATED,
    "user.lifecycle.unsuspend": EventKind.USER_REACTIVATED,
}
"""The Okta event types tailjit acts on, and what each means."""

_MEMBERSHIP = frozenset({EventKind.MEMBER_ADDED, EventKind.MEMBER_REMOVED})


def check_secret(
    headers: Mapping[str, str], *, header_name: str, secret: str | Sequence[str]
) -> None:
    """Refuse a request whose ``header_name`` header is not the configured secret.

    ``secret`` may be several values while a rotation is under way. ``missing-header`` when the
    header is absent, ``wrong-secret`` when it matches none; the value is never echoed.
    """
    expected = secrets_of(secret, "okta secret")
    given = find_header(headers, header_name)
    if given is None or not given:
        raise DeliveryRejected(Reason.MISSING_HEADER, f"the {header_name} header is missing")
    # Check every secret, so the time taken does not say which one matched.
    if not sum(same_secret(given, candidate) for candidate in expected):
        raise DeliveryRejected(
            Reason.WRONG_SECRET, f"the {header_name} header is not the configured secret"
        )


def verification_response(headers: Mapping[str, str]) -> dict[str, str]:
    """The JSON body answering Okta's one-time verification GET: ``{"verification": ...}``.

    Call `check_secret` first: Okta sends the configured header on this request too.
    """
    challenge = require_header(headers, CHALLENGE_HEADER)
    if len(challenge) > _CHALLENGE_MAX or not challenge.isprintable() or not challenge.isascii():
        raise DeliveryRejected(
            Reason.MALFORMED_HEADER,
            f"the {CHALLENGE_HEADER} header {shown(challenge)} is not a plausible challenge "
            f"(printable ASCII, at most {_CHALLENGE_MAX} characters)",
        )
    return {"verification": challenge}


def parse_delivery(body: bytes) -> Parsed:
    """The events of one event-hook delivery (see the module docstring for the mapping)."""
    envelope = as_object(load_json(body), "the body")
    delivery = required_str(envelope, "eventId", "")
    data = as_object(child(envelope, "data", ""), "data")
    items = as_list(child(data, "events", "data"), "data.events")
    events: list[IdentityEvent] = []
    skipped: list[str] = []
    ignored: list[str] = []
    for index, item in enumerate(items):
        path = f"data.events[{index}]"
        log_event = as_object(item, path)
        event_type = required_str(log_event, "eventType", path)
        kind = KINDS.get(event_type)
        if kind is None:
            ignored.append(event_type)
            continue
        uuid = required_str(log_event, "uuid", path)
        published = optional_str(log_event, "published", path)
        at = instant(published, f"{path}.published") if published is not None else None
        found = _event(log_event, kind, path)
        if isinstance(found, str):
            skipped.append(f"{path} ({event_type} {uuid}): {found}")
            continue
        login, group = found
        events.append(
            IdentityEvent(
                source=Source.OKTA,
                kind=kind,
                delivery=delivery,
                login=login,
                group=group,
                event_id=uuid,
                at=at,
            )
        )
    return Parsed(tuple(events), tuple(skipped), tuple(ignored))


def _event(log_event: dict[str, Any], kind: EventKind, path: str) -> tuple[str, str | None] | str:
    """``(login, group)`` of a LogEvent tailjit acts on, or why it cannot be used."""
    outcome = optional_object(log_event, "outcome", path)
    result = optional_str(outcome, "result", f"{path}.outcome")
    if result is not None and result.upper() != "SUCCESS":
        return f"outcome.result is {shown(result)}, so nothing changed"
    targets = log_event.get("target")
    if targets is None:
        return "target is null (a preview delivery?); re-read the user's state from Okta"
    targets = as_list(targets, f"{path}.target")
    user = _target(targets, "User", f"{path}.target")
    if user is None:
        return "no target of type User"
    raw_login = required_str(user[1], "alternateId", user[0])
    try:
        login = Login.parse(raw_login)
    except InvalidInput:
        return f"the User alternateId {shown(raw_login)} is not a tailnet login"
    if kind not in _MEMBERSHIP:
        return login, None
    group = _target(targets, "UserGroup", f"{path}.target")
    if group is None:
        return "no target of type UserGroup"
    return login, required_str(group[1], "displayName", group[0])


def _target(targets: list[Any], kind: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The one target of type ``kind`` with its path; refused when there are several."""
    found = [
        (f"{path}[{i}]", target)
        for i, target in enumerate(targets)
        if as_object(target, f"{path}[{i}]").get("type") == kind
    ]
    if len(found) > 1:
        raise DeliveryRejected(
            Reason.MALFORMED_BODY, f"{path}: {len(found)} targets of type {kind}, expected one"
        )
    return found[0] if found else None
