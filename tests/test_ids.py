"""Identifier types: what each accepts, how it normalises, what it refuses (DESIGN.md §3, §6.7)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailjit.errors import InvalidInput, TailjitError
from tailjit.ids import (
    CROCKFORD_ALPHABET,
    GrantId,
    GroupName,
    HostAlias,
    Login,
    RequestId,
    Tag,
    parse_principal,
)

# Text that must never survive into a policy comment or a posture attribute key.
INJECTIONS = [
    "a*/b@example.com",
    "a/*b@example.com",
    "a//b@example.com",
    "alice@example.com\n",
    "alice@example.com\r",
    "alice@example.com */ {",
    'al"ice@example.com',
    "al'ice@example.com",
    "al ice@example.com",
    "alice@exa\tmple.com",
    "alice@example.com\x00",
    "alice@example.com\u2028",
    "\u0430lice@example.com",  # Cyrillic a
    "\u212alice@example.com",  # Kelvin sign, which str.lower() turns into "k"
    "alice@ex\u0430mple.com",
    "\uff41lice@example.com",  # fullwidth a
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "alice@example.com"),
        ("octocat@github", "octocat@github"),
        ("OctoCat@GitHub", "octocat@github"),
        ("user@passkey", "user@passkey"),
        ("first.last+jit@sub.example.co.uk", "first.last+jit@sub.example.co.uk"),
        ("a_b-c@x-y.example", "a_b-c@x-y.example"),
    ],
)
def test_login_accepts_and_lowercases(text: str, expected: str) -> None:
    login = Login.parse(text)

    assert login == expected
    assert type(login) is Login


@pytest.mark.parametrize(
    "text",
    [
        "",
        "alice",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice@example..com",
        ".alice@example.com",
        "alice.@example.com",
        "al..ice@example.com",
        "alice@-example.com",
        "alice@example-.com",
        "alice@example.com.",
        "group:eng",
        "tag:prod",
        "a" * 250 + "@x.com",
        *INJECTIONS,
    ],
)
def test_login_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Login.parse(text)

    assert caught.value.field == "login"
    assert "alice@example.com" in str(caught.value), "the message shows what is allowed"


def test_invalid_input_is_a_tailjit_error_and_a_value_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        Login.parse("nope")

    assert isinstance(caught.value, TailjitError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a*/b\n@x", '"a*/b\\n@x"'),
        ("\u0430lice@example.com", '"\\u0430lice@example.com"'),
        ("x" * 100, '"' + "x" * 60 + '"... (100 characters)'),
    ],
)
def test_invalid_input_shows_the_value_escaped_and_cut(text: str, shown: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Login.parse(text)

    assert caught.value.value == shown
    assert "\n" not in str(caught.value)


def test_constructor_validates_like_parse() -> None:
    """Building a Login directly cannot skip the check (a store reading a row, say)."""
    with pytest.raises(InvalidInput):
        Login("bad login@example.com")
    assert Login("BOB@example.com") == "bob@example.com"


@pytest.mark.parametrize("text", ["group:eng", "group:DBA", "group:sre-oncall", "group:a.b_c"])
def test_group_accepts_and_keeps_case(text: str) -> None:
    assert GroupName.parse(text) == text
    assert GroupName.parse(text).name == text.removeprefix("group:")


@pytest.mark.parametrize(
    "text",
    ["eng", "group:", "group:-eng", "group:e ng", "group:eng*/", "Group:eng", "group:ęng", "tag:x"],
)
def test_group_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        GroupName.parse(text)

    assert caught.value.field == "group"


@pytest.mark.parametrize("text", ["tag:prod", "tag:Prod-DB-2", "tag:a"])
def test_tag_accepts(text: str) -> None:
    assert Tag.parse(text) == text
    assert Tag.parse(text).name == text[4:]


@pytest.mark.parametrize(
    "text",
    [
        "prod",
        "tag:",
        "tag:2prod",
        "tag:-prod",
        "tag:prod_db",
        "tag:prod.db",
        "tag:prod:1",
        "tag:pr od",
    ],
)
def test_tag_refuses_outside_tailscales_charset(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Tag.parse(text)

    assert caught.value.field == "tag"


@pytest.mark.parametrize("text", ["db-prod", "web-staging", "DB1", "db.prod.internal", "1db"])
def test_host_alias_accepts(text: str) -> None:
    assert HostAlias.parse(text) == text


@pytest.mark.parametrize(
    "text",
    ["", "-db", "db-", "db.", "db_prod", "db prod", "tag:prod", "a@b", "10.0.0.1", "17", "10.0"],
)
def test_host_alias_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        HostAlias.parse(text)

    assert caught.value.field == "host"


@pytest.mark.parametrize("kind", [RequestId, GrantId])
def test_ids_are_uppercased_crockford(kind: type[RequestId] | type[GrantId]) -> None:
    assert kind.parse("g7kq2m3x") == "G7KQ2M3X"
    assert kind.parse("G7KQ2M3X") == "G7KQ2M3X"


@pytest.mark.parametrize(
    "text", ["", "G7KQ2M3", "G7KQ2M3XY", "G7KQ2M3I", "G7KQ2M3L", "G7KQ2M3O", "G7KQ2M3U", "G7KQ-M3X"]
)
def test_ids_refuse_other_lengths_and_letters(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        GrantId.parse(text)

    assert caught.value.field == "grant id"
    assert "Crockford" in str(caught.value)


def test_new_ids_are_valid_and_distinct() -> None:
    ids = {GrantId.new() for _ in range(200)}

    assert len(ids) == 200
    assert all(GrantId.parse(i) == i and type(i) is GrantId for i in ids)
    assert type(RequestId.new()) is RequestId


def test_grant_id_fits_a_posture_attribute_key() -> None:
    """custom:tailjit_<id> keeps to letters, digits, '_' and ':' and to the older 50-char limit."""
    key = GrantId.new().attribute_key

    assert re.fullmatch(r"custom:[A-Za-z0-9_:]+", key)
    assert len(key) <= 50
    assert GrantId.parse("G7KQ2M3X").posture_name == "posture:tailjit_G7KQ2M3X"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("alice@example.com", Login), ("Bob@Example.com", Login), ("group:eng", GroupName)],
)
def test_parse_principal_picks_the_type(text: str, kind: type) -> None:
    assert type(parse_principal(text)) is kind


@pytest.mark.parametrize(
    ("text", "field"), [("eng", "principal"), ("group:", "group"), ("a@", "login")]
)
def test_parse_principal_refuses(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_principal(text)

    assert caught.value.field == field


# --- properties -------------------------------------------------------------------------------

_LOCAL = st.from_regex(r"[a-zA-Z0-9_+-]{1,10}(\.[a-zA-Z0-9_+-]{1,10}){0,2}", fullmatch=True)
_DOMAIN = st.from_regex(r"[a-zA-Z0-9]{1,10}(\.[a-zA-Z0-9]{1,10}){0,3}", fullmatch=True)


@given(_LOCAL, _DOMAIN)
def test_login_parse_is_idempotent_and_lowercase(local: str, domain: str) -> None:
    login = Login.parse(f"{local}@{domain}")

    assert login == f"{local}@{domain}".lower()
    assert Login.parse(login) == login


@given(st.text(max_size=40))
def test_anything_accepted_is_safe_in_a_comment(text: str) -> None:
    """Whatever parses contains nothing that could end a comment or a line, and is ASCII."""
    for parse in (Login.parse, GroupName.parse, Tag.parse, HostAlias.parse, GrantId.parse):
        try:
            value = parse(text)
        except InvalidInput:
            continue
        assert value.isascii()
        assert value.isprintable()
        assert not any(bad in value for bad in ("*/", "/*", "//", '"', "'", " ", "\\"))


@given(st.text(alphabet=CROCKFORD_ALPHABET + CROCKFORD_ALPHABET.lower(), min_size=8, max_size=8))
def test_grant_id_round_trip(text: str) -> None:
    grant_id = GrantId.parse(text)

    assert grant_id == text.upper()
    assert GrantId.parse(str(grant_id)) == grant_id
