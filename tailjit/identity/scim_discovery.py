"""SCIM 2.0 discovery: what tailjit's SCIM service provider supports, as SCIM documents.

``/ServiceProviderConfig`` (RFC 7643 §5), ``/ResourceTypes`` (§6) and ``/Schemas`` (§7), served
read-only as RFC 7644 §4 says: GET only, a list as a ListResponse, one document by its id
(``/Schemas/urn:ietf:params:scim:schemas:core:2.0:User``), every other query parameter ignored
but ``filter``, which is 403 so that no client takes the full list for a filtered one.

Every claim here must stay true of `tailjit.identity.scim` and `tailjit.identity.scim_patch`:
the schemas list only the attributes tailjit keeps and returns, with the case sensitivity its
filters use and the uniqueness it enforces; attributes it accepts and drops (``name``,
``phoneNumbers``, the enterprise extension, …) are not offered. The documents are data; nothing
here reads a clock, the network or a file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Final

from tailjit.errors import shown
from tailjit.identity.scim_patch import (
    GROUP_SCHEMA,
    LIST_SCHEMA,
    MAX_PAGE_SIZE,
    USER_SCHEMA,
    ScimError,
)

__all__ = [
    "ENDPOINTS",
    "RESOURCE_TYPE_SCHEMA",
    "SCHEMA_SCHEMA",
    "SERVICE_PROVIDER_CONFIG_SCHEMA",
    "discover",
]

SERVICE_PROVIDER_CONFIG_SCHEMA: Final = (
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)
RESOURCE_TYPE_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA: Final = "urn:ietf:params:scim:schemas:core:2.0:Schema"

ENDPOINTS: Final = frozenset({"serviceproviderconfig", "resourcetypes", "schemas"})
"""The discovery endpoints' first path segments, lowercased (paths are matched case-insensitively,
as for /Users and /Groups)."""

_SERVICE_PROVIDER_CONFIG: Final[dict[str, object]] = {
    "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    # Only `attribute eq "value"` clauses joined by `and`; a page is cut at MAX_PAGE_SIZE.
    "filter": {"supported": True, "maxResults": MAX_PAGE_SIZE},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "Authorization: Bearer with the scim_token of tailjit's configuration",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        }
    ],
    "meta": {"resourceType": "ServiceProviderConfig"},
}


def _attribute(
    name: str,
    kind: str,
    description: str,
    *,
    multi_valued: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    sub_attributes: tuple[dict[str, object], ...] = (),
) -> dict[str, object]:
    """An attribute definition (RFC 7643 §7); ``caseExact`` only where it means something, on
    strings, and ``subAttributes`` only on complex attributes."""
    attribute: dict[str, object] = {
        "name": name,
        "type": kind,
        "multiValued": multi_valued,
        "description": description,
        "required": required,
    }
    if kind == "string":
        attribute["caseExact"] = case_exact
    if kind == "complex":
        attribute["subAttributes"] = list(sub_attributes)
    attribute.update(mutability=mutability, returned="default", uniqueness=uniqueness)
    return attribute


# RFC 7643 §3.1 makes externalId common to every resource and lets a schema list it; tailjit
# does, since it keeps and filters on it.
def _external_id(resource: str) -> dict[str, object]:
    return _attribute(
        "externalId",
        "string",
        f"The identity provider's identifier of the {resource}; kept and matched exactly.",
        case_exact=True,
    )


_USER: Final[dict[str, object]] = {
    "schemas": [SCHEMA_SCHEMA],
    "id": USER_SCHEMA,
    "name": "User",
    "description": "A provisioned user: a tailnet login and whether it is active",
    "attributes": [
        _attribute(
            "userName",
            "string",
            "The tailnet login (alice@example.com); ASCII letters are lowercased.",
            required=True,
            uniqueness="server",
        ),
        _external_id("user"),
        _attribute(
            "active",
            "boolean",
            "Whether the user may request, approve and hold access; true when not given.",
        ),
        # tailjit's filter compares a user's displayName exactly (scim_patch.user_matches).
        _attribute("displayName", "string", "The user's name, for display.", case_exact=True),
        _attribute(
            "emails",
            "complex",
            "The user's email addresses.",
            multi_valued=True,
            sub_attributes=(
                _attribute("value", "string", "The email address.", required=True),
                _attribute("type", "string", "The kind of address, such as work."),
                _attribute("primary", "boolean", "Whether this is the primary address."),
            ),
        ),
    ],
    "meta": {"resourceType": "Schema"},
}

_GROUP: Final[dict[str, object]] = {
    "schemas": [SCHEMA_SCHEMA],
    "id": GROUP_SCHEMA,
    "name": "Group",
    "description": "A provisioned group of users, mapped to a tailnet group by its displayName",
    "attributes": [
        _attribute(
            "displayName",
            "string",
            "The group's name; [receivers.groups] maps it to a tailnet group.",
            required=True,
            uniqueness="server",
        ),
        _external_id("group"),
        _attribute(
            "members",
            "complex",
            "The group's members: users, by id.",
            multi_valued=True,
            sub_attributes=(
                _attribute(
                    "value",
                    "string",
                    "The id of a provisioned user.",
                    required=True,
                    case_exact=True,
                    mutability="immutable",
                ),
                _attribute(
                    "display",
                    "string",
                    "The member's userName, as tailjit returns it.",
                    mutability="readOnly",
                ),
            ),
        ),
    ],
    "meta": {"resourceType": "Schema"},
}

_RESOURCE_TYPES: Final[tuple[dict[str, object], ...]] = tuple(
    {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": f"/{name}s",
        "description": description,
        "schema": schema,
        "meta": {"resourceType": "ResourceType"},
    }
    for name, description, schema in (
        ("User", "A user, by tailnet login", USER_SCHEMA),
        ("Group", "A group of users", GROUP_SCHEMA),
    )
)
_SCHEMAS: Final[tuple[dict[str, object], ...]] = (_USER, _GROUP)


def discover(method: str, path: str, query: Mapping[str, object]) -> dict[str, object]:
    """The answer to a discovery request (a 200 body), or `ScimError` 403, 404 or 405.

    ``method`` is uppercased, ``path`` is below the SCIM base (``/ResourceTypes/User``) and its
    first segment is one of `ENDPOINTS`; ``query`` has lowercased keys. The body is a fresh copy.
    """
    parts = path.strip("/").split("/")
    endpoint = parts[0].lower()
    if len(parts) > 2 or "" in parts or (endpoint == "serviceproviderconfig" and len(parts) > 1):
        raise ScimError(404, f"no SCIM endpoint {shown(path)}")
    if method != "GET":
        raise ScimError(405, f"{method} is not supported on {shown(path)}: it is read-only")
    if query.get("filter") is not None:
        raise ScimError(403, f"{shown(path)} cannot be filtered: it answers every document")
    if endpoint == "serviceproviderconfig":
        return copy.deepcopy(_SERVICE_PROVIDER_CONFIG)
    documents = _RESOURCE_TYPES if endpoint == "resourcetypes" else _SCHEMAS
    if len(parts) == 1:
        return {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(documents),
            "Resources": copy.deepcopy(list(documents)),
            "startIndex": 1,
            "itemsPerPage": len(documents),
        }
    wanted = parts[1].casefold()
    for document in documents:
        if str(document["id"]).casefold() == wanted:
            return copy.deepcopy(document)
    what = "ResourceType" if endpoint == "resourcetypes" else "Schema"
    raise ScimError(404, f"{what} {shown(parts[1])} not found")
