"""SCIM discovery: /ServiceProviderConfig, /ResourceTypes and /Schemas say what tailjit does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tailjit.identity.scim import (
    GROUP_SCHEMA,
    LIST_SCHEMA,
    MAX_PAGE_SIZE,
    USER_SCHEMA,
    ScimDirectory,
    ScimResult,
    ScimUser,
)
from tailjit.identity.scim_discovery import (
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SERVICE_PROVIDER_CONFIG_SCHEMA,
)
from tailjit.identity.scim_patch import ERROR_SCHEMA

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LISTS = ["/ResourceTypes", "/Schemas"]
DOCUMENTS = [
    "/ServiceProviderConfig",
    "/ResourceTypes/User",
    "/ResourceTypes/Group",
    f"/Schemas/{USER_SCHEMA}",
    f"/Schemas/{GROUP_SCHEMA}",
]

Json = dict[str, Any]


def get(path: str, scim: ScimDirectory | None = None, **query: str) -> ScimResult:
    return (scim or ScimDirectory()).handle("GET", path, query=query, now=NOW, delivery="d")


def body(path: str) -> Json:
    result = get(path)
    assert result.status == 200, result.body
    assert result.events == []
    parsed: Json = json.loads(json.dumps(result.body))
    return parsed


def attributes(schema: str) -> dict[str, Json]:
    return {attribute["name"]: attribute for attribute in body(f"/Schemas/{schema}")["attributes"]}


@pytest.mark.parametrize("path", LISTS + DOCUMENTS)
def test_every_document_is_json_with_its_schema(path: str) -> None:
    expected = {
        "ServiceProviderConfig": SERVICE_PROVIDER_CONFIG_SCHEMA,
        "ResourceTypes": RESOURCE_TYPE_SCHEMA if "/" in path[1:] else LIST_SCHEMA,
        "Schemas": SCHEMA_SCHEMA if "/" in path[1:] else LIST_SCHEMA,
    }[path.split("/")[1]]

    assert body(path)["schemas"] == [expected]


@pytest.mark.parametrize("path", LISTS)
def test_lists_are_list_responses_with_integer_counts_of_every_document(path: str) -> None:
    listed = body(path)

    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(listed[key]) is int, key
    assert listed["totalResults"] == listed["itemsPerPage"] == len(listed["Resources"]) == 2
    assert listed["startIndex"] == 1
    assert [body(f"{path}/{item['id']}") for item in listed["Resources"]] == listed["Resources"]


def test_paging_parameters_are_ignored_on_discovery_lists() -> None:
    """RFC 7644 §4: paging and sorting SHALL be ignored here."""
    listed = get("/Schemas", startIndex="2", count="1", sortBy="id").body

    assert listed is not None
    assert (listed["startIndex"], listed["itemsPerPage"]) == (1, 2)


def test_the_service_provider_config_claims_what_tailjit_does() -> None:
    config = body("/ServiceProviderConfig")

    assert config["patch"] == {"supported": True}
    assert config["bulk"] == {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
    assert config["filter"] == {"supported": True, "maxResults": MAX_PAGE_SIZE}
    for feature in ("changePassword", "sort", "etag"):
        assert config[feature] == {"supported": False}, feature
    [scheme] = config["authenticationSchemes"]
    assert scheme["type"] == "oauthbearertoken"
    assert scheme["name"]
    assert scheme["description"]
    assert config["meta"] == {"resourceType": "ServiceProviderConfig"}


def test_filter_max_results_is_the_largest_page_a_filtered_list_answers() -> None:
    scim = ScimDirectory()
    for n in range(MAX_PAGE_SIZE + 1):
        scim.users[f"u{n}"] = ScimUser(f"u{n}", f"user{n}@example.com", external_id="same")
    max_results = body("/ServiceProviderConfig")["filter"]["maxResults"]

    listed = get("/Users", scim, filter='externalId eq "same"', count=str(max_results + 1)).body

    assert listed is not None
    assert listed["totalResults"] == max_results + 1
    assert listed["itemsPerPage"] == max_results


def test_resource_types_point_at_served_endpoints_and_schemas() -> None:
    for resource_type in body("/ResourceTypes")["Resources"]:
        assert resource_type["meta"] == {"resourceType": "ResourceType"}
        assert body(f"/Schemas/{resource_type['schema']}")["name"] == resource_type["name"]
        assert body(resource_type["endpoint"])["schemas"] == [LIST_SCHEMA]


def test_the_schemas_list_exactly_what_tailjit_keeps_and_returns() -> None:
    scim = ScimDirectory()
    user = scim.create_user(
        {
            "schemas": [USER_SCHEMA],
            "userName": "alice@example.com",
            "externalId": "e1",
            "displayName": "Alice",
            "emails": [{"value": "alice@example.com", "type": "work", "primary": True}],
            "name": {"givenName": "Alice"},  # accepted, not kept
        },
        now=NOW,
        delivery="d1",
    ).body
    assert user is not None
    group = scim.create_group(
        {"schemas": [GROUP_SCHEMA], "displayName": "On-call", "externalId": "g1"},
        now=NOW,
        delivery="d2",
    ).body
    assert group is not None
    common = {"schemas", "id", "meta"}

    assert set(attributes(USER_SCHEMA)) == set(user) - common
    assert set(attributes(GROUP_SCHEMA)) == set(group) - common
    emails = attributes(USER_SCHEMA)["emails"]["subAttributes"]
    assert {sub["name"] for sub in emails} == set(user["emails"][0])
    members = attributes(GROUP_SCHEMA)["members"]["subAttributes"]
    assert {sub["name"] for sub in members} == {"value", "display"}


def _every_attribute() -> list[tuple[str, Json]]:
    found = []
    for schema in (USER_SCHEMA, GROUP_SCHEMA):
        for attribute in attributes(schema).values():
            found.append((f"{schema}:{attribute['name']}", attribute))
            found += [
                (f"{schema}:{attribute['name']}.{sub['name']}", sub)
                for sub in attribute.get("subAttributes", [])
            ]
    return found


@pytest.mark.parametrize(("where", "attribute"), _every_attribute())
def test_each_attribute_definition_is_complete(where: str, attribute: Json) -> None:
    """RFC 7643 §7: every characteristic, with one of its defined values."""
    assert attribute["type"] in ("string", "boolean", "complex")
    assert type(attribute["multiValued"]) is bool
    assert type(attribute["required"]) is bool
    assert attribute["description"]
    assert attribute["mutability"] in ("readOnly", "readWrite", "immutable", "writeOnly")
    assert attribute["returned"] in ("always", "never", "default", "request")
    assert attribute["uniqueness"] in ("none", "server", "global")
    assert ("caseExact" in attribute) == (attribute["type"] == "string")
    assert ("subAttributes" in attribute) == (attribute["type"] == "complex")


@pytest.mark.parametrize(
    ("schema", "resource"),
    [
        (USER_SCHEMA, {"userName": "alice@example.com"}),
        (GROUP_SCHEMA, {"displayName": "On-call"}),
    ],
)
def test_required_attributes_are_the_ones_a_create_refuses_without(
    schema: str, resource: Json
) -> None:
    required = {name for name, attribute in attributes(schema).items() if attribute["required"]}
    create = "/Users" if schema == USER_SCHEMA else "/Groups"

    def post(fields: Json) -> int:
        raw = json.dumps({"schemas": [schema], **fields}).encode()
        return ScimDirectory().handle("POST", create, body=raw, now=NOW, delivery="d").status

    assert required == set(resource)
    assert post(resource) == 201
    for name in required:
        assert post({key: value for key, value in resource.items() if key != name}) == 400, name


def test_case_exactness_matches_the_filters() -> None:
    scim = ScimDirectory(new_id=lambda: "u1")
    scim.create_user(
        {"schemas": [USER_SCHEMA], "userName": "alice@example.com", "displayName": "Alice"},
        now=NOW,
        delivery="d",
    )
    user = attributes(USER_SCHEMA)

    for name, value in (("userName", "ALICE@example.com"), ("displayName", "ALICE")):
        found = get("/Users", scim, filter=f'{name} eq "{value}"').body
        assert found is not None
        assert found["totalResults"] == (0 if user[name]["caseExact"] else 1), name


def test_answers_are_copies_a_caller_cannot_change() -> None:
    first = get("/ServiceProviderConfig").body
    assert first is not None
    first["patch"] = {"supported": False}

    assert body("/ServiceProviderConfig")["patch"] == {"supported": True}


@pytest.mark.parametrize(
    "path",
    ["/serviceproviderconfig", "/resourcetypes/user", f"/schemas/{GROUP_SCHEMA.upper()}"],
)
def test_paths_and_ids_are_case_insensitive(path: str) -> None:
    assert get(path).status == 200


@pytest.mark.parametrize(
    ("method", "path", "query", "status", "named"),
    [
        ("GET", "/ResourceTypes/Device", {}, 404, "Device"),
        ("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device", {}, 404, "Device"),
        ("GET", "/ServiceProviderConfig/1", {}, 404, "/ServiceProviderConfig/1"),
        ("GET", "/Schemas/a/b", {}, 404, "/Schemas/a/b"),
        ("POST", "/Schemas", {}, 405, "POST"),
        ("PUT", "/ServiceProviderConfig", {}, 405, "PUT"),
        ("PATCH", "/ResourceTypes/User", {}, 405, "PATCH"),
        ("DELETE", f"/Schemas/{USER_SCHEMA}", {}, 405, "DELETE"),
        ("GET", "/ResourceTypes", {"filter": 'name eq "User"'}, 403, "filter"),
        ("GET", "/ServiceProviderConfig", {"Filter": "x"}, 403, "filter"),
    ],
)
def test_refusals_are_scim_errors(
    method: str, path: str, query: dict[str, str], status: int, named: str
) -> None:
    result = ScimDirectory().handle(method, path, query=query, body=b"{}", now=NOW, delivery="d")

    assert result.status == status
    assert result.body is not None
    assert result.body["schemas"] == [ERROR_SCHEMA]
    assert result.body["status"] == str(status)
    assert named in result.body["detail"]
    assert result.events == []
