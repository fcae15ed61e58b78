"""The API against a real store and workflow (the sandbox demo's eligibility policy, a fake
clock), behind a small fake of the rest of the daemon."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tailjit.api import Authenticator, create_app
from tailjit.eligibility import load_policy
from tailjit.ids import Login
from tailjit.requests import StaticDirectory
from tailjit.requests.testing import FakeClock, Ids
from tailjit.store import Store
from tailjit.targets import Target, parse_target
from tailjit.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]
ALICE, BOB, CAROL, ERIN = (
    Login(f"{name}@example.com") for name in ("alice", "bob", "carol", "erin")
)
TOKENS = {f"{login.partition('@')[0]}-token": login for login in (ALICE, BOB, CAROL, ERIN)}
OPENS = [{"src": "alice-laptop", "dst": "100.64.0.10:5432", "proto": "tcp"}]
PLAN = {"ops": [], "summary": "nothing to do"}


class FakeBackend:
    """The daemon as the API sees it: the real workflow and store, the rest recorded."""

    def __init__(self, workflow: Workflow, store: Store) -> None:
        self.workflow = workflow
        self.store = store
        self.wakes = 0
        self.ready = (True, "first cycle verified")
        self.opens_asked: list[tuple[Login, Target]] = []

    def wake(self) -> None:
        self.wakes += 1

    def readiness(self) -> tuple[bool, str]:
        return self.ready

    def resolve_target(self, text: str) -> Target:
        return parse_target(text)

    def opens(self, user: Login, target: Target) -> list[dict[str, Any]]:
        self.opens_asked.append((user, target))
        return list(OPENS)

    def plan(self) -> Mapping[str, Any]:
        return PLAN


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    with Store.open(tmp_path / "tailjit.db", clock=clock) as opened:
        yield opened


@pytest.fixture
def workflow(store: Store, clock: FakeClock) -> Workflow:
    demo = load_policy((REPO / "policy" / "examples" / "sandbox-demo.hujson").read_bytes())
    return Workflow(
        store=store, policy=demo, directory=StaticDirectory(), ids=Ids().next, clock=clock
    )


@pytest.fixture
def backend(workflow: Workflow, store: Store) -> FakeBackend:
    return FakeBackend(workflow, store)


def make_app(backend: FakeBackend, *, trust_header: bool = False) -> Starlette:
    auth = Authenticator(
        TOKENS, trust_identity_header=trust_header, listening_on_loopback=trust_header
    )
    return create_app(backend, auth)


@pytest.fixture
def app(backend: FakeBackend) -> Starlette:
    return make_app(backend)


Client = Callable[[Login | None], TestClient]


@pytest.fixture
def client(app: Starlette) -> Client:
    """``client(login)``: a test client sending that login's token (None: no token)."""

    def make(login: Login | None) -> TestClient:
        headers = {}
        if login is not None:
            token = next(t for t, who in TOKENS.items() if who == login)
            headers["Authorization"] = f"Bearer {token}"
        return TestClient(app, headers=headers, raise_server_exceptions=True)

    return make
