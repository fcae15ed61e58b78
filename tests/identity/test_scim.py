"""SCIM 2.0 service provider: the Entra ID and Okta fixtures, each PATCH spelling, the errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tailjit.errors import InvalidInput
from tailjit.identity.events import EventKind, IdentityEvent, Source
from tailjit.identity.scim import (
    GROUP_SCHEMA,
    LIST_SCHEMA,
    USER_SCHEMA,
    ScimDirectory,
    ScimResult,
)
from tailjit.identity.scim_patch import ERROR_SCHEMA, PATCH_SCHEMA

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ENTRA_USER = "f648f8d5ea4e4cd38e9c"
ENTRA_GROUP = "927fa2c08dcb4a7fae9e"
OKTA_GROUP = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"
OKTA_ALICE = "23a35c27-23d3-4c03-b4c5-6443c09e7173"
OKTA_BOB = "89bb1940-b905-4575-9e7f-6f887cfb368e"

Json = dict[str, Any]


def fixture(shared_dir: Path, name: str) -> Json:
    data: Json = json.loads((shared_dir / "ref" / "webhooks" / name).read_text())
    return data


def ids(*values: str) -> Iterator[str]:
    yield from values
    counter = 0
    while True:
        counter += 1
        yield f"id-{counter}"


def directory(*values: str) -> ScimDirectory:
    made = ids(*values)
    return ScimDirectory(new_id=lambda: next(made))


def summary(events: list[IdentityEvent]) -> list[tuple[str, str | None, str | None]]:
    return [(event.kind.value, event.login, event.group) for event in events]


def patch(*operations: Json) -> Json:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def user_body(name: str, **extra: object) -> Json:
    return {"schemas": [USER_SCHEMA], "userName": name, **extra}


def group_body(name: str, *members: str) -> Json:
    return {
        "schemas": [GROUP_SCHEMA],
        "displayName": name,
        "members": [{"value": member} for member in members],
    }


def assert_error(result: ScimResult, status: int, scim_type: str | None, *named: str) -> None:
    assert result.status == status
    assert result.body is not None
    assert result.body["schemas"] == [ERROR_SCHEMA]
    assert result.body["status"] == str(status)
    assert result.body.get("scimType") == scim_type
    for text in named:
        assert text in result.body["detail"]
    assert result.events == []


@pytest.fixture
def okta() -> ScimDirectory:
    """Okta's fixture group, empty, and its two users: test.user (alice) and bob."""
    scim = directory(OKTA_ALICE, OKTA_BOB, OKTA_GROUP)
    assert scim.create_user(user_body("test.user@okta.local"), now=NOW, delivery="r0").status == 201
    assert scim.create_user(user_body("bob@okta.local"), now=NOW, delivery="r0").status == 201
    created = scim.create_group(group_body("Test SCIMv2"), now=NOW, delivery="r0")
    assert created.status == 201
    return scim


# --- Entra ID ---------------------------------------------------------------------------------


def test_entra_fixtures_in_provisioning_order(shared_dir: Path) -> None:
    """Create user and group, add, rename, remove, disable, delete: statuses, bodies, events."""
    scim = directory(ENTRA_USER, ENTRA_GROUP)
    ms = "microsoft/entra-scim-"

    created = scim.create_user(
        fixture(shared_dir, ms + "post-user-request.json"), now=NOW, delivery="d1"
    )
    assert created.status == 201
    assert created.body is not None
    login = "test_user_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
    assert created.body["userName"] == login
    assert created.body["id"] == ENTRA_USER
    assert created.body["active"] is True
    assert created.body["meta"] == {
        "resourceType": "User",
        "created": "2026-01-01T12:00:00Z",
        "lastModified": "2026-01-01T12:00:00Z",
    }
    assert created.events == []

    group = scim.create_group(
        fixture(shared_dir, ms + "post-group-request.json"), now=NOW, delivery="d2"
    )
    expected = fixture(shared_dir, ms + "post-group-response-201.json")
    assert group.status == 201
    assert group.body is not None
    assert group.body.keys() == expected.keys()
    assert group.body["schemas"] == expected["schemas"]
    assert group.body["externalId"] == expected["externalId"]
    assert group.body["members"] == []
    assert group.body["meta"].keys() == expected["meta"].keys()

    added = scim.patch_group(
        ENTRA_GROUP, fixture(shared_dir, ms + "patch-group-add-member.json"), now=NOW, delivery="d3"
    )
    assert (added.status, added.body) == (204, None)
    assert summary(added.events) == [("group.member.added", login, "displayName")]

    renamed = scim.patch_group(
        ENTRA_GROUP, fixture(shared_dir, ms + "patch-group-rename.json"), now=NOW, delivery="d4"
    )
    new_name = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    assert renamed.status == 204
    assert summary(renamed.events) == [
        ("group.member.removed", login, "displayName"),
        ("group.member.added", login, new_name),
    ]

    removed = scim.patch_group(
        ENTRA_GROUP,
        fixture(shared_dir, ms + "patch-group-remove-member.json"),
        now=NOW,
        delivery="d5",
    )
    assert removed.status == 204
    assert summary(removed.events) == [("group.member.removed", login, new_name)]

    disabled = scim.patch_user(
        ENTRA_USER, fixture(shared_dir, ms + "patch-user-disable.json"), now=NOW, delivery="d6"
    )
    assert disabled.status == 200
    assert disabled.body is not None
    assert disabled.body["active"] is False
    assert summary(disabled.events) == [("user.deactivated", login, None)]

    deleted = scim.delete_user(ENTRA_USER, now=NOW, delivery="d7")
    assert (deleted.status, deleted.body) == (204, None)
    assert summary(deleted.events) == [("user.deactivated", login, None)]
    assert_error(scim.get_user(ENTRA_USER), 404, None, ENTRA_USER)


def test_entra_lookups_answer_list_responses_shaped_like_the_fixture(shared_dir: Path) -> None:
    scim = directory(ENTRA_USER)
    body = fixture(shared_dir, "microsoft/entra-scim-post-user-request.json")
    scim.create_user(body, now=NOW, delivery="d1")
    zero = fixture(shared_dir, "microsoft/entra-scim-listresponse-zero-results.json")

    none = scim.list_users('userName eq "nobody@example.com"')
    hit = scim.list_users(f'userName eq "{body["userName"].upper()}"')
    by_external = scim.list_users(f'externalId eq "{body["externalId"]}"')

    assert none.status == 200
    assert none.body is not None
    assert none.body.keys() == zero.keys()
    assert {key: type(value) for key, value in none.body.items()} == {
        key: type(value) for key, value in zero.items()
    }
    assert (none.body["schemas"], none.body["totalResults"]) == ([LIST_SCHEMA], 0)
    assert hit.body is not None
    assert [user["id"] for user in hit.body["Resources"]] == [ENTRA_USER]
    assert by_external.body is not None
    assert by_external.body["totalResults"] == 1


def test_an_unknown_user_is_404_shaped_like_entras_example(shared_dir: Path) -> None:
    expected = fixture(shared_dir, "microsoft/entra-scim-error-404.json")

    result = ScimDirectory().get_user("23B51B0E5D7AE9110A49411D")

    assert result.status == 404
    assert result.body is not None
    assert result.body.keys() == expected.keys()
    assert result.body["schemas"] == expected["schemas"]
    assert result.body["status"] == "404"


# --- Okta ---------------------------------------------------------------------------------------


def test_okta_replace_members_adds_everyone(shared_dir: Path, okta: ScimDirectory) -> None:
    body = fixture(shared_dir, "okta/scim-patch-group-replace-members.json")

    result = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="o1")

    assert result.status == 204
    assert summary(result.events) == [
        ("group.member.added", "bob@okta.local", "Test SCIMv2"),
        ("group.member.added", "test.user@okta.local", "Test SCIMv2"),
    ]
    assert okta.groups[OKTA_GROUP].members == {OKTA_ALICE, OKTA_BOB}


def test_okta_remove_by_filter_path_and_add_existing(shared_dir: Path, okta: ScimDirectory) -> None:
    """The remove-and-add fixture: bob leaves; re-adding alice, already a member, says nothing."""
    replace_all = fixture(shared_dir, "okta/scim-patch-group-replace-members.json")
    okta.patch_group(OKTA_GROUP, replace_all, now=NOW, delivery="o1")
    body = fixture(shared_dir, "okta/scim-patch-group-membership-remove-and-add.json")

    result = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="o2")

    assert result.status == 204
    assert summary(result.events) == [("group.member.removed", "bob@okta.local", "Test SCIMv2")]
    assert okta.groups[OKTA_GROUP].members == {OKTA_ALICE}


def test_okta_rename_without_path(shared_dir: Path, okta: ScimDirectory) -> None:
    """Okta sends the rename with every membership update: the same name changes nothing."""
    body = fixture(shared_dir, "okta/scim-patch-group-rename.json")
    okta.patch_group(
        OKTA_GROUP,
        patch({"op": "add", "path": "members", "value": [{"value": OKTA_ALICE}]}),
        now=NOW,
        delivery="o1",
    )
    okta.patch_group(
        OKTA_GROUP,
        patch({"op": "replace", "path": "displayName", "value": "Old"}),
        now=NOW,
        delivery="o2",
    )

    renamed = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="o3")
    again = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="o4")

    assert renamed.status == 204
    assert summary(renamed.events) == [
        ("group.member.removed", "test.user@okta.local", "Old"),
        ("group.member.added", "test.user@okta.local", "Test SCIMv2"),
    ]
    assert (again.status, again.events) == (204, [])


def test_okta_post_group_fixture(shared_dir: Path) -> None:
    scim = directory(OKTA_GROUP)

    result = scim.create_group(
        fixture(shared_dir, "okta/scim-post-group-request.json"), now=NOW, delivery="o1"
    )

    assert result.status == 201
    assert result.body is not None
    assert (result.body["id"], result.body["displayName"], result.body["members"]) == (
        OKTA_GROUP,
        "Test SCIMv2",
        [],
    )


# --- PATCH spellings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": OKTA_BOB}]},
        {"op": "remove", "path": f'members[value eq "{OKTA_BOB}"]'},
        {"op": "REMOVE", "path": "MEMBERS", "value": {"value": OKTA_BOB}},
        {"op": "replace", "path": "members", "value": [{"value": OKTA_ALICE}]},
        {"op": "Replace", "value": {"members": [{"value": OKTA_ALICE}]}},
    ],
    ids=["entra-value-list", "okta-filter-path", "shouted-single", "replace", "replace-no-path"],
)
def test_every_spelling_of_removing_bob(okta: ScimDirectory, operation: Json) -> None:
    okta.replace_group(
        OKTA_GROUP, group_body("Test SCIMv2", OKTA_ALICE, OKTA_BOB), now=NOW, delivery="p0"
    )

    result = okta.patch_group(OKTA_GROUP, patch(operation), now=NOW, delivery="p1")

    assert result.status == 204
    assert summary(result.events) == [("group.member.removed", "bob@okta.local", "Test SCIMv2")]


@pytest.mark.parametrize("op", ["add", "Add", "ADD", "aDd"])
def test_op_names_are_case_insensitive(okta: ScimDirectory, op: str) -> None:
    body = patch({"op": op, "path": "members", "value": [{"value": OKTA_BOB}]})

    result = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="p1")

    assert summary(result.events) == [("group.member.added", "bob@okta.local", "Test SCIMv2")]


def test_remove_members_without_value_empties_the_group(okta: ScimDirectory) -> None:
    okta.replace_group(
        OKTA_GROUP, group_body("Test SCIMv2", OKTA_ALICE, OKTA_BOB), now=NOW, delivery="p0"
    )

    result = okta.patch_group(
        OKTA_GROUP, patch({"op": "remove", "path": "members"}), now=NOW, delivery="p1"
    )

    assert [event.kind for event in result.events] == [EventKind.MEMBER_REMOVED] * 2
    assert okta.groups[OKTA_GROUP].members == frozenset()


def test_removing_a_non_member_or_unknown_id_is_a_quiet_no_op(okta: ScimDirectory) -> None:
    """Idempotent retries and a removal after DELETE /Users are not errors."""
    body = patch(
        {"op": "remove", "path": "members", "value": [{"value": OKTA_BOB}, {"value": "gone"}]}
    )

    result = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="p1")

    assert (result.status, result.events) == (204, [])


def test_user_patch_reactivates_renames_and_ignores_profile_attributes(okta: ScimDirectory) -> None:
    okta.patch_group(
        OKTA_GROUP,
        patch({"op": "add", "path": "members", "value": [{"value": OKTA_BOB}]}),
        now=NOW,
        delivery="u0",
    )
    okta.patch_user(
        OKTA_BOB,
        patch({"op": "Replace", "path": "active", "value": "False"}),
        now=NOW,
        delivery="u1",
    )
    later = NOW + timedelta(minutes=40)
    body = patch(
        {"op": "Replace", "path": "active", "value": "True"},
        {"op": "replace", "path": "userName", "value": "Robert@Okta.Local"},
        {"op": "replace", "path": "name.givenName", "value": "Robert"},
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "Ops",
        },
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "robert@okta.local"},
    )

    result = okta.patch_user(OKTA_BOB, body, now=later, delivery="u2")

    assert result.status == 200
    assert result.body is not None
    assert result.body["userName"] == "robert@okta.local"
    assert result.body["emails"] == [{"value": "robert@okta.local", "type": "work"}]
    assert result.body["meta"]["lastModified"] == "2026-01-01T12:40:00Z"
    assert summary(result.events) == [
        ("group.member.removed", "bob@okta.local", "Test SCIMv2"),
        ("group.member.added", "robert@okta.local", "Test SCIMv2"),
    ]


def test_reactivation_is_an_event(okta: ScimDirectory) -> None:
    okta.patch_user(
        OKTA_BOB, patch({"op": "replace", "value": {"active": False}}), now=NOW, delivery="u1"
    )

    result = okta.patch_user(
        OKTA_BOB, patch({"op": "replace", "value": {"active": True}}), now=NOW, delivery="u2"
    )

    assert summary(result.events) == [("user.reactivated", "bob@okta.local", None)]


def test_delete_group_removes_every_member(okta: ScimDirectory) -> None:
    okta.replace_group(
        OKTA_GROUP, group_body("Test SCIMv2", OKTA_ALICE, OKTA_BOB), now=NOW, delivery="g0"
    )

    result = okta.delete_group(OKTA_GROUP, now=NOW, delivery="g1")

    assert (result.status, result.body) == (204, None)
    assert summary(result.events) == [
        ("group.member.removed", "bob@okta.local", "Test SCIMv2"),
        ("group.member.removed", "test.user@okta.local", "Test SCIMv2"),
    ]
    assert_error(okta.get_group(OKTA_GROUP), 404, None, OKTA_GROUP)


def test_delete_user_leaves_groups_then_deactivates(okta: ScimDirectory) -> None:
    okta.replace_group(OKTA_GROUP, group_body("Test SCIMv2", OKTA_BOB), now=NOW, delivery="g0")

    result = okta.delete_user(OKTA_BOB, now=NOW, delivery="g1")

    assert summary(result.events) == [
        ("group.member.removed", "bob@okta.local", "Test SCIMv2"),
        ("user.deactivated", "bob@okta.local", None),
    ]
    assert okta.groups[OKTA_GROUP].members == frozenset()


def test_events_carry_the_delivery_each_with_its_own_id(okta: ScimDirectory) -> None:
    body = patch(
        {"op": "add", "path": "members", "value": [{"value": OKTA_ALICE}, {"value": OKTA_BOB}]}
    )

    events = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="req-7").events

    assert {(event.source, event.delivery, event.at) for event in events} == {
        (Source.SCIM, "req-7", NOW)
    }
    assert [event.key for event in events] == ["req-7#0", "req-7#1"]


# --- refusals ---------------------------------------------------------------------------------


def test_adding_an_unknown_user_is_refused_by_name_and_changes_nothing(okta: ScimDirectory) -> None:
    body = patch(
        {"op": "add", "path": "members", "value": [{"value": OKTA_BOB}]},
        {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]},
    )

    result = okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="e1")

    assert_error(result, 400, "invalidValue", "no-such-user", "Operations[1]")
    assert okta.groups[OKTA_GROUP].members == frozenset()


@pytest.mark.parametrize(
    ("operation", "scim_type", "named"),
    [
        (
            {"op": "replace", "path": "favouriteColour", "value": "x"},
            "invalidPath",
            "favouritecolour",
        ),
        (
            {"op": "replace", "path": "members.display", "value": "x"},
            "invalidPath",
            "members.display",
        ),
        ({"op": "add", "path": 'members[display eq "x"]', "value": []}, "invalidPath", "members"),
        ({"op": "replace", "path": "members[", "value": []}, "invalidPath", "members["),
        ({"op": "replace", "value": {"owner": "x"}}, "invalidPath", "owner"),
        ({"op": "remove"}, "noTarget", "remove needs a path"),
        ({"op": "add", "path": "members"}, "invalidSyntax", "needs a value"),
        ({"op": "merge", "path": "members", "value": []}, "invalidSyntax", "merge"),
        ({"op": "replace", "path": "displayName", "value": ""}, "invalidValue", "displayName"),
        ({"op": "remove", "path": "displayName"}, "invalidValue", "displayName"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability", "id"),
        ({"op": "replace", "value": {"id": "other", "displayName": "x"}}, "mutability", "id"),
        ({"op": "add", "path": "members", "value": [{"display": "x"}]}, "invalidValue", "value"),
    ],
)
def test_group_patch_refusals_name_what_was_wrong(
    okta: ScimDirectory, operation: Json, scim_type: str, named: str
) -> None:
    assert_error(
        okta.patch_group(OKTA_GROUP, patch(operation), now=NOW, delivery="e1"),
        400,
        scim_type,
        named,
    )


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "favouriteColour", "value": "x"}, "invalidPath"),
        (
            {"op": "replace", "path": "urn:example:custom:2.0:User:badge", "value": "x"},
            "invalidPath",
        ),
        ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
        ({"op": "remove", "path": "userName"}, "invalidValue"),
        ({"op": "replace", "path": "userName", "value": "a\nb"}, "invalidValue"),
        ({"op": "replace", "path": 'emails[primary eq "true"].value', "value": "x"}, "invalidPath"),
    ],
)
def test_user_patch_refusals(okta: ScimDirectory, operation: Json, scim_type: str) -> None:
    assert_error(
        okta.patch_user(OKTA_BOB, patch(operation), now=NOW, delivery="e1"), 400, scim_type
    )


def test_a_patch_body_needs_the_patchop_schema(okta: ScimDirectory) -> None:
    body = {"Operations": [{"op": "add", "path": "members", "value": []}]}

    assert_error(
        okta.patch_group(OKTA_GROUP, body, now=NOW, delivery="e1"), 400, "invalidSyntax", "schemas"
    )


def test_duplicate_names_are_409_uniqueness(okta: ScimDirectory) -> None:
    user = okta.create_user(user_body("Bob@OKTA.local"), now=NOW, delivery="e1")
    group = okta.create_group(group_body("test scimv2"), now=NOW, delivery="e2")
    renamed = okta.patch_user(
        OKTA_ALICE,
        patch({"op": "replace", "path": "userName", "value": "bob@okta.local"}),
        now=NOW,
        delivery="e3",
    )

    assert_error(user, 409, "uniqueness", "bob@okta.local")
    assert_error(group, 409, "uniqueness", "test scimv2")
    assert_error(renamed, 409, "uniqueness")
    assert len(okta.users) == 2
    assert okta.users[OKTA_ALICE].user_name == "test.user@okta.local"


@pytest.mark.parametrize(
    "filter_text",
    [
        'userName co "bob"',
        'userName eq "a" or userName eq "b"',
        "active eq true",
        'name.givenName eq "x"',
        'userName eq "x" and',
    ],
)
def test_unsupported_filters_are_400_invalid_filter(okta: ScimDirectory, filter_text: str) -> None:
    assert_error(okta.list_users(filter_text), 400, "invalidFilter")


def test_filters_the_providers_send(okta: ScimDirectory) -> None:
    okta.patch_user(
        OKTA_BOB,
        patch(
            {
                "op": "add",
                "path": "emails",
                "value": [{"value": "Bob@Work.example", "type": "work"}],
            }
        ),
        now=NOW,
        delivery="f0",
    )

    def found(result: ScimResult) -> list[str]:
        assert result.status == 200
        assert result.body is not None
        return [resource["id"] for resource in result.body["Resources"]]

    assert found(okta.list_users('emails[type eq "work"].value eq "bob@work.example"')) == [
        OKTA_BOB
    ]
    assert found(okta.list_users('userName eq "BOB@okta.local" and externalId eq "x"')) == []
    assert found(okta.list_groups('displayName eq "test scimv2"')) == [OKTA_GROUP]


# --- the route's entry point -----------------------------------------------------------------


def test_handle_routes_requests_and_reads_query_parameters(okta: ScimDirectory) -> None:
    okta.replace_group(OKTA_GROUP, group_body("Test SCIMv2", OKTA_ALICE), now=NOW, delivery="h0")
    query = {"filter": 'displayName eq "Test SCIMv2"', "excludedAttributes": "members"}

    listed = okta.handle("GET", "/Groups", query=query, now=NOW, delivery="h1")
    one = okta.handle("get", f"/Groups/{OKTA_GROUP}", now=NOW, delivery="h2")
    paged = okta.handle(
        "GET", "/Users", query={"startIndex": "2", "count": "1"}, now=NOW, delivery="h3"
    )
    added = okta.handle(
        "PATCH",
        f"/Groups/{OKTA_GROUP}",
        body=json.dumps(
            patch({"op": "add", "path": "members", "value": [{"value": OKTA_BOB}]})
        ).encode(),
        now=NOW,
        delivery="h4",
    )

    assert listed.body is not None
    assert listed.body["totalResults"] == 1
    assert "members" not in listed.body["Resources"][0]
    assert one.body is not None
    assert one.body["members"] == [{"value": OKTA_ALICE, "display": "test.user@okta.local"}]
    assert paged.body is not None
    assert (paged.body["startIndex"], paged.body["itemsPerPage"], paged.body["totalResults"]) == (
        2,
        1,
        2,
    )
    assert [user["id"] for user in paged.body["Resources"]] == [OKTA_BOB]
    assert summary(added.events) == [("group.member.added", "bob@okta.local", "Test SCIMv2")]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "scim_type"),
    [
        ("POST", "/Users", b"{not json", 400, "invalidSyntax"),
        ("POST", "/Users", b'{"schemas": [], "userName": "x"}', 400, "invalidSyntax"),
        ("POST", "/Users", b'{"schemas": ["' + USER_SCHEMA.encode() + b'"]}', 400, "invalidValue"),
        ("GET", "/Users", b"", 200, None),
        ("GET", "/Bulk", b"", 404, None),
        ("DELETE", "/Users", b"", 405, None),
        ("GET", "/Users/a/b", b"", 404, None),
    ],
)
def test_handle_answers_bad_requests_with_scim_errors(
    method: str, path: str, body: bytes, status: int, scim_type: str | None
) -> None:
    result = ScimDirectory().handle(method, path, body=body, now=NOW, delivery="x")

    assert result.status == status
    if status != 200:
        assert_error(result, status, scim_type)


def test_a_bad_count_is_invalid_value(okta: ScimDirectory) -> None:
    result = okta.handle("GET", "/Users", query={"count": "many"}, now=NOW, delivery="x")

    assert_error(result, 400, "invalidValue", "count")


# --- persistence --------------------------------------------------------------------------------


def test_to_json_from_json_round_trip(shared_dir: Path, okta: ScimDirectory) -> None:
    okta.patch_group(
        OKTA_GROUP,
        fixture(shared_dir, "okta/scim-patch-group-replace-members.json"),
        now=NOW,
        delivery="j1",
    )
    okta.patch_user(
        OKTA_BOB,
        patch(
            {
                "op": "replace",
                "value": {"active": False, "emails": [{"value": "b@x.example", "primary": True}]},
            }
        ),
        now=NOW + timedelta(seconds=1.5),
        delivery="j2",
    )
    data = json.loads(json.dumps(okta.to_json()))

    restored = ScimDirectory.from_json(data)

    assert restored.to_json() == okta.to_json()
    assert restored.users == okta.users
    assert restored.groups == okta.groups
    assert list(restored.users) == list(okta.users)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"format": 2, "users": [], "groups": []},
        {"format": 1, "users": [{"id": "u"}], "groups": []},
        {
            "format": 1,
            "users": [],
            "groups": [
                {
                    "id": "g",
                    "displayName": "G",
                    "externalId": None,
                    "members": ["ghost"],
                    "created": None,
                    "lastModified": None,
                }
            ],
        },
    ],
)
def test_from_json_refuses_what_to_json_did_not_write(data: object) -> None:
    with pytest.raises(InvalidInput, match="SCIM directory"):
        ScimDirectory.from_json(data)
