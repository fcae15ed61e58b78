"""Who a call comes from: bearer tokens, and the identity header only where it cannot be forged."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tailjit.api import Authenticator
from tailjit.api.auth import is_loopback

from .conftest import ALICE, BOB, CAROL, TOKENS, Client, FakeBackend, make_app

LOCAL = ("127.0.0.1", 40000)
REMOTE = ("100.64.0.7", 40000)


def _auth(*, trust: bool = True, loopback: bool = True) -> Authenticator:
    return Authenticator(TOKENS, trust_identity_header=trust, listening_on_loopback=loopback)


def test_a_known_token_names_its_login() -> None:
    headers = {"authorization": "Bearer bob-token"}
    assert _auth().authenticate(headers, "100.64.0.7") == BOB


@pytest.mark.parametrize(
    "authorization",
    ["Bearer nope", "Bearer ", "Basic Ym9iLXRva2Vu", "bob-token", "Bearer bob-token-x"],
)
def test_an_unknown_or_malformed_credential_is_nobody(authorization: str) -> None:
    assert _auth().authenticate({"authorization": authorization}, "127.0.0.1") is None


def test_the_scheme_is_case_insensitive() -> None:
    assert _auth().authenticate({"authorization": "bearer alice-token"}, None) == ALICE


def test_a_bad_token_does_not_fall_back_to_the_identity_header() -> None:
    headers = {"authorization": "Bearer nope", "tailscale-user-login": "carol@example.com"}
    assert _auth().authenticate(headers, "127.0.0.1") is None


def test_tokens_are_kept_only_as_digests() -> None:
    assert "alice-token" not in repr(vars(_auth()))


@pytest.mark.parametrize(
    ("trust", "loopback", "peer", "expected"),
    [
        (True, True, "127.0.0.1", CAROL),
        (True, True, "::1", CAROL),
        (True, True, "::ffff:127.0.0.1", CAROL),
        (True, True, "100.64.0.7", None),
        (True, True, "testclient", None),
        (True, True, None, None),
        (True, False, "127.0.0.1", None),
        (False, True, "127.0.0.1", None),
    ],
)
def test_the_identity_header_counts_only_when_trusted_on_loopback_from_loopback(
    trust: bool, loopback: bool, peer: str | None, expected: object
) -> None:
    headers = {"tailscale-user-login": "Carol@Example.com"}
    assert _auth(trust=trust, loopback=loopback).authenticate(headers, peer) == expected


def test_a_malformed_identity_header_is_nobody() -> None:
    assert _auth().authenticate({"tailscale-user-login": "carol"}, "127.0.0.1") is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("[::1]", True), ("10.0.0.1", False), ("", False)],
)
def test_loopback_addresses(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


# --- over HTTP ------------------------------------------------------------------------------


def test_no_token_is_401_with_the_contract_error_body(client: Client) -> None:
    response = client(None).get("/v1/whoami")
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": "no valid credentials: send 'Authorization: Bearer <token>'",
            "field": None,
        }
    }
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"


def test_an_unknown_token_is_401(client: Client) -> None:
    response = client(None).get("/v1/whoami", headers={"Authorization": "Bearer guess"})
    assert response.status_code == 401


def test_a_token_answers_whoami(client: Client) -> None:
    response = client(ALICE).get("/v1/whoami")
    assert response.status_code == 200
    assert response.json() == {"login": "alice@example.com", "admin": False}
    assert client(CAROL).get("/v1/whoami").json() == {"login": "carol@example.com", "admin": True}


def test_the_header_is_ignored_when_not_trusted(backend: FakeBackend) -> None:
    app = make_app(backend, trust_header=False)
    response = TestClient(app, client=LOCAL).get(
        "/v1/whoami", headers={"Tailscale-User-Login": "carol@example.com"}
    )
    assert response.status_code == 401


def test_the_header_is_honoured_when_trusted_and_the_peer_is_loopback(
    backend: FakeBackend,
) -> None:
    app = make_app(backend, trust_header=True)
    response = TestClient(app, client=LOCAL).get(
        "/v1/whoami", headers={"Tailscale-User-Login": "carol@example.com"}
    )
    assert response.json() == {"login": "carol@example.com", "admin": True}


def test_the_header_is_ignored_from_a_peer_not_on_loopback(backend: FakeBackend) -> None:
    app = make_app(backend, trust_header=True)
    response = TestClient(app, client=REMOTE).get(
        "/v1/whoami", headers={"Tailscale-User-Login": "carol@example.com"}
    )
    assert response.status_code == 401


def test_health_and_readiness_need_no_token(client: Client, backend: FakeBackend) -> None:
    anonymous = client(None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"ready": True, "detail": "first cycle verified"},
    )
    backend.ready = (False, "waiting for the first cycle")
    not_ready = anonymous.get("/readyz")
    assert (not_ready.status_code, not_ready.json()) == (
        503,
        {"ready": False, "detail": "waiting for the first cycle"},
    )
