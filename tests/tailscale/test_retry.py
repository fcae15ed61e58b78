"""Retries: only 429, 5xx and transport errors, within a bounded budget, waits recorded exactly."""

from __future__ import annotations

import logging

import httpx
import pytest

from tailjit.tailscale import (
    ApiError,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    is_retryable,
)
from tailjit.tailscale.testing import in_turn, mock_client, settings_for_tests

DEVICES = httpx.Response(200, json={"devices": []})


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"message": f"status {code}"}, headers=headers)


def test_429_waits_as_long_as_retry_after_says() -> None:
    api = mock_client(in_turn(status(429, **{"Retry-After": "7"}), DEVICES))

    assert api.client.list_devices() == []

    assert api.sleep.waits == [7.0]
    assert len(api.requests) == 2


def test_429_with_an_http_date_retry_after_is_measured_against_the_date_header() -> None:
    limited = status(
        429,
        **{
            "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
            "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
        },
    )
    api = mock_client(in_turn(limited, DEVICES))

    api.client.list_devices()

    assert api.sleep.waits == [30.0]


def test_429_without_retry_after_backs_off_exponentially() -> None:
    api = mock_client(in_turn(status(429), status(429), status(429), DEVICES))

    api.client.list_devices()

    assert api.sleep.waits == [0.5, 1.0, 2.0]


def test_5xx_is_retried_until_the_attempts_run_out() -> None:
    api = mock_client(in_turn(*[status(503)] * 5))

    with pytest.raises(ServerError) as caught:
        api.client.list_devices()

    assert caught.value.status == 503
    assert len(api.requests) == 5
    assert api.sleep.waits == [0.5, 1.0, 2.0, 4.0]


def test_backoff_waits_are_capped() -> None:
    settings = settings_for_tests(retry_max_attempts=6, retry_max_wait_seconds=3.0)
    api = mock_client(in_turn(*[status(500)] * 5, DEVICES), settings)

    api.client.list_devices()

    assert api.sleep.waits == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_transport_errors_are_retried_then_raised() -> None:
    api = mock_client(in_turn(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), DEVICES))

    assert api.client.list_devices() == []
    assert api.sleep.waits == [0.5, 1.0]

    failing = mock_client(in_turn(*[httpx.ConnectError("refused")] * 5))
    with pytest.raises(TransportError, match="ConnectError: refused"):
        failing.client.list_devices()
    assert len(failing.requests) == 5


def test_the_total_wait_budget_ends_retries_before_the_attempts_do() -> None:
    settings = settings_for_tests(retry_max_attempts=10, retry_max_total_wait_seconds=4.0)
    api = mock_client(in_turn(*[status(502)] * 4), settings)

    with pytest.raises(ServerError):
        api.client.list_devices()

    # 0.5 + 1 + 2 = 3.5 fits in 4; the next wait (4) would not, so the third retry is the last.
    assert api.sleep.waits == [0.5, 1.0, 2.0]
    assert len(api.requests) == 4


def test_a_retry_after_beyond_the_budget_is_handed_back_to_the_caller() -> None:
    api = mock_client(in_turn(status(429, **{"Retry-After": "3600"})))

    with pytest.raises(RateLimited) as caught:
        api.client.list_devices()

    assert caught.value.retry_after == 3600.0
    assert api.sleep.waits == []
    assert len(api.requests) == 1


def test_jitter_stays_within_its_bound() -> None:
    api = mock_client(
        in_turn(*[status(500)] * 3, DEVICES), settings_for_tests(retry_jitter_seconds=0.25)
    )

    api.client.list_devices()

    for wait, base in zip(api.sleep.waits, [0.5, 1.0, 2.0], strict=True):
        assert base <= wait <= base + 0.25


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 412, 501])
def test_answers_that_retrying_cannot_change_are_not_retried(code: int) -> None:
    api = mock_client(in_turn(status(code)))

    with pytest.raises(ApiError) as caught:
        api.client.list_devices()

    assert caught.value.status == code
    assert len(api.requests) == 1
    assert api.sleep.waits == []


def test_retries_off_makes_one_attempt() -> None:
    api = mock_client(in_turn(status(503)), settings_for_tests().without_retries())

    with pytest.raises(ServerError):
        api.client.list_devices()

    assert len(api.requests) == 1
    assert api.sleep.waits == []


def test_writes_are_retried_with_the_same_request() -> None:
    api = mock_client(in_turn(status(504), httpx.Response(200, json={})))

    api.client.set_posture_attribute("nDEV1", "custom:x", True)

    assert [r.content for r in api.requests] == [b'{"value": true}'] * 2


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (RateLimited(429, "too many requests"), True),
        (ServerError(500, "internal server error"), True),
        (ServerError(504, "took too long"), True),
        (ServerError(501, "not implemented"), False),
        (TransportError("refused"), True),
        (NotFound(404, "not found"), False),
        (ValueError("bug"), False),
    ],
)
def test_the_retry_predicate(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_each_retry_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    api = mock_client(in_turn(status(503), DEVICES))

    with caplog.at_level(logging.WARNING, logger="tailjit.tailscale"):
        api.client.list_devices()

    assert [r.getMessage() for r in caplog.records] == [
        "GET /api/v2/tailnet/-/devices: 503 status 503; attempt 1 of 5 failed, retrying in 0.50s"
    ]
