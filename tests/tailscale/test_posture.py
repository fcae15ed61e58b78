"""Posture attributes: read with expiries, set with an expiry only when meant, delete, batch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tailjit.tailscale import AttributeUpdate, PostureAttribute, format_expiry
from tailjit.tailscale.testing import in_turn, mock_client


def ok() -> httpx.Response:
    return httpx.Response(200, json={})


def test_get_attributes_reads_values_and_expiries(wire: Path) -> None:
    body = (wire / "openapi-examples" / "device-posture-attributes.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(200, content=body)))

    attributes = api.client.get_posture_attributes("nDEV1")

    assert api.last.url.path == "/api/v2/device/nDEV1/attributes"
    assert attributes.get("custom:myScore") == PostureAttribute(
        value=80, expiry=datetime(2024, 4, 23, 18, 25, 43, 511000, tzinfo=UTC)
    )
    assert attributes.get("custom:diskEncryption") == PostureAttribute(value=True)
    assert attributes.get("node:tsStateEncrypted") == PostureAttribute(value=False)
    assert attributes.get("custom:absent") is None
    assert set(attributes.custom()) == {
        "custom:myScore",
        "custom:diskEncryption",
        "custom:myAttribute",
    }


def test_get_attributes_reads_the_older_form_without_expiries(wire: Path) -> None:
    body = (wire / "docs" / "publicapi-device-attributes.response.json").read_bytes()
    api = mock_client(in_turn(httpx.Response(200, content=body)))

    attributes = api.client.get_posture_attributes("nDEV1")

    assert attributes.expiries == {}
    assert attributes.get("custom:myScore") == PostureAttribute(value=87)
    assert attributes.get("custom:myAttribute") == PostureAttribute(value="my_value")


def test_set_with_expiry_and_comment_sends_both() -> None:
    api = mock_client(in_turn(ok()))
    expiry = datetime(2026, 11, 21, 16, 4, 5, 999999, tzinfo=timezone(timedelta(hours=1)))

    api.client.set_posture_attribute(
        "nDEV1", "custom:tailjit_g7KQ2M3X", True, expiry=expiry, comment="tailjit grant g7KQ2M3X"
    )

    assert api.last.method == "POST"
    assert api.last.url.raw_path == b"/api/v2/device/nDEV1/attributes/custom:tailjit_g7KQ2M3X"
    assert api.last.headers["Content-Type"] == "application/json"
    assert json.loads(api.last.content) == {
        "value": True,
        "expiry": "2026-11-21T15:04:05Z",
        "comment": "tailjit grant g7KQ2M3X",
    }


def test_set_without_expiry_sends_no_expiry_and_no_comment() -> None:
    """client-go sends the zero time and an empty comment; this client sends nothing (§3.6)."""
    api = mock_client(in_turn(ok()))

    api.client.set_posture_attribute("nDEV1", "custom:tier", "gold")

    assert json.loads(api.last.content) == {"value": "gold"}


@pytest.mark.parametrize("value", [87, "my_value", False])
def test_set_sends_each_value_type_as_is(value: bool | int | str) -> None:
    api = mock_client(in_turn(ok()))

    api.client.set_posture_attribute("nDEV1", "custom:x", value)

    assert json.loads(api.last.content) == {"value": value}


def test_a_naive_expiry_is_refused_before_sending() -> None:
    api = mock_client(in_turn())

    with pytest.raises(ValueError, match="timezone-aware"):
        api.client.set_posture_attribute(
            "nDEV1", "custom:x", True, expiry=datetime(2026, 11, 21, 15, 4, 5)
        )

    assert api.requests == []


@pytest.mark.parametrize("key", ["node:os", "custom:", "custom:a-b", "custom:a b", "x" * 10])
def test_keys_outside_the_custom_namespace_are_refused(key: str) -> None:
    api = mock_client(in_turn())

    with pytest.raises(ValueError, match="custom:"):
        api.client.set_posture_attribute("nDEV1", key, True)
    with pytest.raises(ValueError, match="custom:"):
        api.client.delete_posture_attribute("nDEV1", key)

    assert api.requests == []


def test_a_float_value_is_refused() -> None:
    api = mock_client(in_turn())

    with pytest.raises(ValueError, match="value"):
        api.client.set_posture_attribute("nDEV1", "custom:x", 1.5)  # type: ignore[arg-type]

    assert api.requests == []


def test_a_long_comment_is_refused() -> None:
    with pytest.raises(ValueError, match="200"):
        mock_client(in_turn()).client.set_posture_attribute(
            "nDEV1", "custom:x", True, comment="x" * 201
        )


def test_delete_sends_delete_to_the_attribute() -> None:
    api = mock_client(in_turn(httpx.Response(200)))

    api.client.delete_posture_attribute("nDEV1", "custom:tailjit_g7KQ2M3X")

    assert api.last.method == "DELETE"
    assert api.last.url.raw_path == b"/api/v2/device/nDEV1/attributes/custom:tailjit_g7KQ2M3X"
    assert api.last.content == b""


def test_batch_update_sends_the_documented_merge_patch(wire: Path) -> None:
    expected = json.loads(
        (wire / "openapi-examples" / "device-attributes-batch-patch.request.json").read_text()
    )
    api = mock_client(in_turn(httpx.Response(200, content=b"null")))

    api.client.update_posture_attributes(
        {
            "nPM2KNuedB21DEVEL": {"custom:myattr": AttributeUpdate(value="my_value")},
            "nPpz3VEKzX11DEVEL": {
                "custom:flag": AttributeUpdate(
                    value=True, expiry=datetime(2025, 9, 19, 15, tzinfo=UTC)
                )
            },
        },
        comment="bulk posture attribute update",
    )

    assert api.last.method == "PATCH"
    assert api.last.url.path == "/api/v2/tailnet/-/device-attributes"
    assert api.last.headers["Content-Type"] == "application/json"
    assert json.loads(api.last.content) == expected


def test_batch_update_deletes_with_null_and_omits_an_absent_comment() -> None:
    api = mock_client(in_turn(httpx.Response(200, content=b"null")))

    api.client.update_posture_attributes({"nDEV1": {"custom:tailjit_g1": None}})

    assert json.loads(api.last.content) == {"nodes": {"nDEV1": {"custom:tailjit_g1": None}}}


def test_format_expiry_is_utc_to_the_second() -> None:
    expiry = datetime(2026, 1, 1, 0, 30, 0, 500, tzinfo=timezone(timedelta(hours=-5)))

    assert format_expiry(expiry) == "2026-01-01T05:30:00Z"
