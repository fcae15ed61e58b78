"""Custom posture attributes over real HTTP: Tailscale's key, value, type and expiry rules."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tailjit.sandbox import ManualClock, SandboxConfig, SandboxHandle, serve_in_thread


def attr_path(sandbox: SandboxHandle, host: str, key: str = "") -> str:
    base = f"/api/v2/device/{sandbox.device_id(host)}/attributes"
    return f"{base}/{key}" if key else base


def set_attr(
    client: httpx.Client, sandbox: SandboxHandle, host: str, key: str, body: object
) -> httpx.Response:
    return client.post(attr_path(sandbox, host, key), json=body)


def custom(client: httpx.Client, sandbox: SandboxHandle, host: str) -> dict[str, object]:
    attributes = client.get(attr_path(sandbox, host)).json()["attributes"]
    return {k: v for k, v in attributes.items() if k.startswith("custom:")}


@pytest.mark.parametrize("value", [True, False, 0, -17, 2**53 - 1, "", "v1.2_ok", "x" * 50])
def test_valid_values_are_stored(sandbox: SandboxHandle, value: object) -> None:
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", "custom:flag", {"value": value})
        stored = custom(client, sandbox, "alice-laptop")

    assert reply.status_code == 200
    assert reply.json()["attributes"]["custom:flag"] == value
    assert stored == {"custom:flag": value}


@pytest.mark.parametrize(
    "value", ["has-dash", "has space", "a:b", "x" * 51, 1.5, 2**53, None, [1], {"a": 1}]
)
def test_invalid_values_are_refused(sandbox: SandboxHandle, value: object) -> None:
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", "custom:flag", {"value": value})
        stored = custom(client, sandbox, "alice-laptop")

    assert reply.status_code == 400
    assert "message" in reply.json()
    assert stored == {}


def test_a_missing_value_is_refused(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", "custom:flag", {"expiry": None})

    assert reply.status_code == 400


@pytest.mark.parametrize(
    "key", ["flag", "node:os", "custom:", "custom:has-dash", "custom:sp ace", "Custom:x"]
)
def test_keys_must_be_custom_with_letters_digits_underscores_colons(
    sandbox: SandboxHandle, key: str
) -> None:
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", key, {"value": True})

    assert reply.status_code == 400


def test_key_length_is_limited_to_128_including_the_namespace(sandbox: SandboxHandle) -> None:
    longest = "custom:" + "k" * 121
    with sandbox.client() as client:
        ok = set_attr(client, sandbox, "alice-laptop", longest, {"value": True})
        too_long = set_attr(client, sandbox, "alice-laptop", longest + "k", {"value": True})

    assert ok.status_code == 200
    assert too_long.status_code == 400


def test_key_length_limit_can_be_the_older_50(tmp_path: Path) -> None:
    config = SandboxConfig(attribute_key_max_length=50)
    with serve_in_thread(tmp_path / "s", config=config) as sandbox, sandbox.client() as client:
        ok = set_attr(client, sandbox, "alice-laptop", "custom:" + "k" * 43, {"value": 1})
        too_long = set_attr(client, sandbox, "alice-laptop", "custom:" + "k" * 44, {"value": 1})

    assert (ok.status_code, too_long.status_code) == (200, 400)


def test_percent_encoded_keys_are_decoded(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        reply = client.post(attr_path(sandbox, "alice-laptop", "custom%3Ajit"), json={"value": 1})
        stored = custom(client, sandbox, "alice-laptop")

    assert reply.status_code == 200
    assert stored == {"custom:jit": 1}


def test_a_keys_type_is_locked_across_the_tailnet(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        first = set_attr(client, sandbox, "alice-laptop", "custom:score", {"value": 87})
        other_type = set_attr(client, sandbox, "bob-laptop", "custom:score", {"value": "78"})
        same_type = set_attr(client, sandbox, "bob-laptop", "custom:score", {"value": 78})

    assert first.status_code == 200
    assert other_type.status_code == 400
    assert "number" in other_type.json()["message"]
    assert same_type.status_code == 200


def test_keys_are_unique_case_insensitively(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        set_attr(client, sandbox, "alice-laptop", "custom:MyAttribute", {"value": True})
        clash_here = set_attr(client, sandbox, "alice-laptop", "custom:myattribute", {"value": 1})
        clash_there = set_attr(client, sandbox, "bob-laptop", "custom:MYATTRIBUTE", {"value": 1})
        same_case = set_attr(client, sandbox, "bob-laptop", "custom:MyAttribute", {"value": False})

    assert clash_here.status_code == clash_there.status_code == 400
    assert same_case.status_code == 200


def test_delete_removes_one_attribute(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        set_attr(client, sandbox, "alice-laptop", "custom:a", {"value": True})
        set_attr(client, sandbox, "alice-laptop", "custom:b", {"value": True})
        reply = client.delete(attr_path(sandbox, "alice-laptop", "custom:a"))
        stored = custom(client, sandbox, "alice-laptop")
        not_custom = client.delete(attr_path(sandbox, "alice-laptop", "node:os"))

    assert reply.status_code == 200
    assert stored == {"custom:b": True}
    assert not_custom.status_code == 400


def test_get_lists_node_attributes_and_expiries_only_for_keys_with_one(
    sandbox: SandboxHandle,
) -> None:
    with sandbox.client() as client:
        set_attr(client, sandbox, "alice-laptop", "custom:a", {"value": True})
        set_attr(
            client,
            sandbox,
            "alice-laptop",
            "custom:b",
            {"value": 1, "expiry": "2026-01-01T14:00:00+01:00", "comment": "INC-1"},
        )
        body = client.get(attr_path(sandbox, "alice-laptop")).json()

    assert body["attributes"]["node:os"] == "macos"
    assert body["expiries"] == {"custom:b": "2026-01-01T13:00:00Z"}


def test_expired_attributes_disappear_after_the_lag(
    sandbox: SandboxHandle, sandbox_clock: ManualClock
) -> None:
    """Expiry at 12:01:00 with the default 5 s lag: still there at 12:01:04, gone at 12:01:05."""
    with sandbox.client() as client:
        set_attr(
            client,
            sandbox,
            "alice-laptop",
            "custom:jit",
            {"value": True, "expiry": "2026-01-01T12:01:00Z"},
        )
        set_attr(client, sandbox, "alice-laptop", "custom:keep", {"value": True})
        sandbox_clock.advance(64)
        before_lag = custom(client, sandbox, "alice-laptop")
        sandbox_clock.advance(1)
        after_lag = custom(client, sandbox, "alice-laptop")

    assert before_lag == {"custom:jit": True, "custom:keep": True}
    assert after_lag == {"custom:keep": True}


def test_expiry_lag_is_configurable(tmp_path: Path) -> None:
    clock = ManualClock()
    config = SandboxConfig(attribute_expiry_lag=120)
    with (
        serve_in_thread(tmp_path / "s", config=config, clock=clock) as sandbox,
        sandbox.client() as client,
    ):
        set_attr(
            client,
            sandbox,
            "bob-laptop",
            "custom:jit",
            {"value": 1, "expiry": "2026-01-01T12:00:00Z"},
        )
        clock.advance(119)
        kept = custom(client, sandbox, "bob-laptop")
        clock.advance(1)
        removed = custom(client, sandbox, "bob-laptop")

    assert (kept, removed) == ({"custom:jit": 1}, {})


def test_client_gos_zero_expiry_and_empty_comment_mean_no_expiry(
    sandbox: SandboxHandle, sandbox_clock: ManualClock
) -> None:
    body = {"value": True, "expiry": "0001-01-01T00:00:00Z", "comment": ""}
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", "custom:jit", body)
        sandbox_clock.advance(10 * 365 * 86400)
        stored = client.get(attr_path(sandbox, "alice-laptop")).json()

    assert reply.status_code == 200
    assert stored["attributes"]["custom:jit"] is True
    assert stored["expiries"] == {}


@pytest.mark.parametrize(
    "body", [{"value": 1, "expiry": "tomorrow"}, {"value": 1, "comment": "c" * 201}]
)
def test_bad_expiry_or_long_comment_is_refused(sandbox: SandboxHandle, body: object) -> None:
    with sandbox.client() as client:
        reply = set_attr(client, sandbox, "alice-laptop", "custom:x", body)

    assert reply.status_code == 400


def test_unknown_device_is_404_and_legacy_numeric_ids_work(sandbox: SandboxHandle) -> None:
    legacy = next(d["id"] for d in sandbox.state.view().devices if d["hostname"] == "bob-laptop")
    with sandbox.client() as client:
        missing = client.get("/api/v2/device/nNOPE/attributes")
        by_legacy = client.post(f"/api/v2/device/{legacy}/attributes/custom:x", json={"value": 1})

    assert missing.status_code == 404
    assert by_legacy.status_code == 200


def test_batch_patch_merges_sets_and_deletes(sandbox: SandboxHandle) -> None:
    alice, bob = sandbox.device_id("alice-laptop"), sandbox.device_id("bob-laptop")
    with sandbox.client() as client:
        set_attr(client, sandbox, "alice-laptop", "custom:old", {"value": "x"})
        set_attr(client, sandbox, "alice-laptop", "custom:stay", {"value": "y"})
        reply = client.patch(
            "/api/v2/tailnet/-/device-attributes",
            json={
                "nodes": {
                    alice: {"custom:old": None, "custom:flag": {"value": True}},
                    bob: {"custom:flag": {"value": False, "expiry": "2026-02-01T00:00:00Z"}},
                },
                "comment": "bulk update",
            },
        )
        on_alice = custom(client, sandbox, "alice-laptop")
        on_bob = client.get(attr_path(sandbox, "bob-laptop")).json()

    assert reply.status_code == 200
    assert reply.json() is None
    assert on_alice == {"custom:flag": True, "custom:stay": "y"}
    assert on_bob["attributes"]["custom:flag"] is False
    assert on_bob["expiries"] == {"custom:flag": "2026-02-01T00:00:00Z"}


def test_batch_patch_is_all_or_nothing(sandbox: SandboxHandle) -> None:
    alice, bob = sandbox.device_id("alice-laptop"), sandbox.device_id("bob-laptop")
    with sandbox.client() as client:
        reply = client.patch(
            "/api/v2/tailnet/-/device-attributes",
            json={"nodes": {alice: {"custom:t": {"value": 1}}, bob: {"custom:t": {"value": "s"}}}},
        )
        on_alice = custom(client, sandbox, "alice-laptop")

    assert reply.status_code == 400
    assert on_alice == {}


@pytest.mark.parametrize(
    "body",
    [
        {"nodes": []},
        {"nodes": {"DEVICE": {"custom:x": {"expiry": "2026-01-01T00:00:00Z"}}}},
        {"nodes": {"DEVICE": {"custom:x": True}}},
        {"nodes": {"DEVICE": {"flag": {"value": True}}}},
    ],
)
def test_batch_patch_refuses_invalid_payloads(
    sandbox: SandboxHandle, body: dict[str, object]
) -> None:
    text = str(body).replace("DEVICE", sandbox.device_id("alice-laptop")).replace("'", '"')
    with sandbox.client() as client:
        reply = client.patch(
            "/api/v2/tailnet/-/device-attributes",
            content=text.replace("True", "true"),
            headers={"Content-Type": "application/json"},
        )

    assert reply.status_code == 400
