"""The groups of a tailnet policy file, for checking the group names an eligibility uses."""

from __future__ import annotations

from tailjit import hujson
from tailjit.errors import InvalidInput
from tailjit.ids import GroupName, Login


def tailnet_groups(text: str | bytes) -> dict[GroupName, frozenset[Login]]:
    """The ``groups`` of a tailnet policy (HuJSON text), with the members that are logins.

    Raises `hujson.HuJSONError` for text that is not HuJSON. Names that are not valid group
    names, and members that are not logins (Tailscale groups hold only users), are left out: the
    tailnet policy's own validation reports those.
    """
    data = hujson.parse(text).to_python()
    groups = data.get("groups") if isinstance(data, dict) else None
    found: dict[GroupName, frozenset[Login]] = {}
    for name, members in (groups if isinstance(groups, dict) else {}).items():
        try:
            group = GroupName.parse(name)
        except InvalidInput:
            continue
        found[group] = frozenset(_logins(members))
    return found


def _logins(members: object) -> list[Login]:
    logins: list[Login] = []
    for member in members if isinstance(members, list) else []:
        try:
            logins.append(Login.parse(member))
        except InvalidInput:
            continue
    return logins
