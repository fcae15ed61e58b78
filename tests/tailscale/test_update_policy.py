"""`update_policy`: read, change, write under `If-Match`; a 412 starts again from a fresh read."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tailjit.tailscale import (
    PolicyFile,
    PreconditionFailed,
    ServerError,
    UnexpectedResponse,
    ValidationFailed,
)
from tailjit.tailscale.testing import in_turn, mock_client

ETAG_1 = '"' + "1" * 64 + '"'
ETAG_2 = '"' + "2" * 64 + '"'
ETAG_3 = '"' + "3" * 64 + '"'
PRECONDITION_FAILED = httpx.Response(412, json={"message": "precondition failed, invalid old hash"})


def policy(body: bytes, etag: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/hujson"}
    if etag is not None:
        headers["ETag"] = etag
    return httpx.Response(200, content=body, headers=headers)


def add_line(seen: list[bytes]) -> Callable[[PolicyFile], bytes]:
    """A change that records the text it was given and appends a comment line to it."""

    def change(current: PolicyFile) -> bytes:
        seen.append(current.raw)
        return current.raw + b"// ours\n"

    return change


def test_writes_the_changed_text_under_the_etag_it_read() -> None:
    api = mock_client(in_turn(policy(b"{}\n", ETAG_1), policy(b"{}\n// ours\n", ETAG_2)))

    stored = api.client.update_policy(lambda current: current.raw + b"// ours\n")

    get, post = api.requests
    assert (get.method, post.method) == ("GET", "POST")
    assert post.headers["If-Match"] == ETAG_1
    assert post.headers["Content-Type"] == "application/hujson"
    assert post.content == b"{}\n// ours\n"
    assert stored == PolicyFile(raw=b"{}\n// ours\n", etag=ETAG_2)


def test_a_conflict_starts_again_from_a_fresh_read() -> None:
    """The change is applied to the policy as it is now, so the other writer's edit is kept."""
    seen: list[bytes] = []
    api = mock_client(
        in_turn(
            policy(b"{}\n", ETAG_1),
            PRECONDITION_FAILED,
            policy(b"// theirs\n{}\n", ETAG_2),
            policy(b"// theirs\n{}\n// ours\n", ETAG_3),
        )
    )

    stored = api.client.update_policy(add_line(seen))

    assert seen == [b"{}\n", b"// theirs\n{}\n"]
    assert [r.headers.get("If-Match") for r in api.requests if r.method == "POST"] == [
        ETAG_1,
        ETAG_2,
    ]
    assert api.requests[-1].content == b"// theirs\n{}\n// ours\n"
    assert stored.etag == ETAG_3
    assert api.sleep.waits == []  # a 412 is an answer, not a transient failure


def test_conflicts_beyond_the_attempts_raise_precondition_failed() -> None:
    attempts = 3
    api = mock_client(in_turn(*[policy(b"{}\n", ETAG_1), PRECONDITION_FAILED] * attempts))

    with pytest.raises(PreconditionFailed):
        api.client.update_policy(lambda current: current.raw + b"// ours\n", attempts=attempts)

    assert [r.method for r in api.requests] == ["GET", "POST"] * attempts


def test_an_unchanged_text_is_not_written() -> None:
    api = mock_client(in_turn(policy(b"{}\n", ETAG_1)))

    stored = api.client.update_policy(lambda current: current.text)

    assert stored == PolicyFile(raw=b"{}\n", etag=ETAG_1)
    assert [r.method for r in api.requests] == ["GET"]


def test_a_policy_without_an_etag_is_never_written() -> None:
    api = mock_client(in_turn(policy(b"{}\n", None)))

    with pytest.raises(UnexpectedResponse, match="without an ETag"):
        api.client.update_policy(lambda current: current.raw + b"// ours\n")

    assert [r.method for r in api.requests] == ["GET"]


def test_a_parsed_policy_is_refused_before_anything_is_written() -> None:
    api = mock_client(in_turn(policy(b"{}\n", ETAG_1)))

    with pytest.raises(TypeError, match="HuJSON text"):
        api.client.update_policy(lambda current: {"grants": []})  # type: ignore[arg-type,return-value]

    assert [r.method for r in api.requests] == ["GET"]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(400, json={"message": 'json: unknown field "grantz"'}), ValidationFailed),
        (httpx.Response(501, json={"message": "not implemented"}), ServerError),
    ],
)
def test_other_errors_are_raised_without_reading_again(
    answer: httpx.Response, error: type[Exception]
) -> None:
    api = mock_client(in_turn(policy(b"{}\n", ETAG_1), answer))

    with pytest.raises(error):
        api.client.update_policy(lambda current: current.raw + b"// ours\n")

    assert [r.method for r in api.requests] == ["GET", "POST"]


def test_transient_failures_are_retried_within_one_attempt() -> None:
    api = mock_client(
        in_turn(
            httpx.Response(503, json={"message": "service unavailable"}),
            policy(b"{}\n", ETAG_1),
            httpx.Response(429, json={"message": "too many requests"}),
            policy(b"{}\n// ours\n", ETAG_2),
        )
    )

    stored = api.client.update_policy(lambda current: current.raw + b"// ours\n")

    assert stored.etag == ETAG_2
    assert [r.method for r in api.requests] == ["GET", "GET", "POST", "POST"]
    assert api.requests[-1].headers["If-Match"] == ETAG_1
    assert api.sleep.waits == [0.5, 0.5]


@pytest.mark.parametrize("attempts", [0, -1])
def test_attempts_must_be_positive(attempts: int) -> None:
    api = mock_client(in_turn())

    with pytest.raises(ValueError, match="attempts"):
        api.client.update_policy(lambda current: current.raw, attempts=attempts)

    assert api.requests == []
