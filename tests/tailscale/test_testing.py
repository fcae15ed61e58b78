"""The shipped test helpers behave as their users' tests assume."""

from __future__ import annotations

import httpx
import pytest

from tailjit.tailscale.testing import FakeClock, RecordingSleep, in_turn, mock_client


def test_in_turn_fails_the_test_on_an_unexpected_request() -> None:
    api = mock_client(in_turn(httpx.Response(200, json={"devices": []})))
    api.client.list_devices()

    with pytest.raises(AssertionError, match="unexpected extra request: GET"):
        api.client.list_devices()


def test_recording_sleep_advances_the_fake_clock() -> None:
    clock = FakeClock(10.0)
    sleep = RecordingSleep(clock)

    sleep(2.5)
    sleep(0.5)

    assert sleep.waits == [2.5, 0.5]
    assert clock() == 13.0


def test_mock_client_settings_make_retry_waits_exact() -> None:
    api = mock_client(in_turn(httpx.Response(503), httpx.Response(200, json={"devices": []})))

    api.client.list_devices()

    assert api.sleep.waits == [0.5]
    assert api.clock() == 0.5
