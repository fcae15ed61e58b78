"""Helpers for tests of tailjit, shipped with the package so every test suite shares them."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import time
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

SHARED_DIR_ENV = "TAILJIT_SHARED_DIR"
"""Environment variable naming the shared directory (third-party corpus and reference files)."""

_REPO_ROOT = Path(__file__).resolve().parent.parent


def find_shared_dir(repo_root: Path | None = None) -> Path | None:
    """Return the shared directory, or None when it is absent.

    ``$TAILJIT_SHARED_DIR`` wins when set; it must then name a directory, since a typo there would
    otherwise silently skip every test that needs the corpus. Without it, look for ``shared/``
    beside the repository (``repo_root``, by default the checkout this package was loaded from).
    """
    override = os.environ.get(SHARED_DIR_ENV)
    if override:
        path = Path(override)
        if not path.is_dir():
            raise FileNotFoundError(f"${SHARED_DIR_ENV} is set to {override!r}, not a directory")
        return path
    candidate = (repo_root or _REPO_ROOT).parent / "shared"
    return candidate if candidate.is_dir() else None


def load_module(path: Path, name: str) -> ModuleType:
    """Import a data module of the test suite by path.

    Tests run with ``--import-mode=importlib``, which puts nothing on ``sys.path``.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def poll(condition: Callable[[], Any], timeout: float, every: float) -> Any:
    """Call ``condition`` every ``every`` seconds until it returns something truthy, and return
    that; None once ``timeout`` seconds have passed without."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            return None
        time.sleep(every)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None while it is missing or half-written."""
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class OktaDelivery:
    """One Okta event hook delivery of a group membership change; ``body`` is the same bytes on
    every retry, ``delivery`` its ``eventId``."""

    group: str
    login: str
    added: bool
    delivery: str
    body: bytes

    @property
    def membership(self) -> tuple[str, str]:
        return (self.group, self.login)


def okta_delivery(
    group: str, login: str, *, added: bool, event_id: str | None = None
) -> OktaDelivery:
    """A delivery of one ``group.user_membership.add`` (or ``.remove``) event, shaped as Okta
    sends it; ``event_id`` is the event's ``uuid`` (the dedupe key), random by default."""
    delivery = str(uuid.uuid4())
    body = {
        "eventType": "com.okta.event_hook",
        "eventId": delivery,
        "data": {
            "events": [
                {
                    "uuid": event_id or str(uuid.uuid4()),
                    "published": "2026-11-21T12:00:00.000Z",
                    "eventType": f"group.user_membership.{'add' if added else 'remove'}",
                    "outcome": {"result": "SUCCESS"},
                    "target": [
                        {"type": "UserGroup", "id": f"00g-{group}", "displayName": group},
                        {"type": "User", "id": f"00u-{login}", "alternateId": login},
                    ],
                }
            ]
        },
    }
    return OktaDelivery(group, login, added, delivery, json.dumps(body).encode())


def okta_lanes(
    events: list[OktaDelivery], retries: int, senders: int, rng: random.Random
) -> list[list[OktaDelivery]]:
    """Split ``events`` among ``senders`` by membership (one sender per membership, so its
    events go out in order), then resend ``retries`` of them later from the same sender, as
    Okta does when an answer is lost: the same eventId and event uuid, the same bytes."""
    lanes: list[list[OktaDelivery]] = [[] for _ in range(senders)]

    def lane(e: OktaDelivery) -> list[OktaDelivery]:
        return lanes[zlib.crc32(f"{e.group} {e.login}".encode()) % senders]

    for e in events:
        lane(e).append(e)
    for e in rng.sample(events, retries):
        found = lane(e)
        found.insert(rng.randint(found.index(e) + 1, len(found)), e)
    return lanes


def okta_changes(
    start: dict[tuple[str, str], bool], events: Iterable[OktaDelivery]
) -> tuple[dict[tuple[str, str], bool], list[str]]:
    """The final membership and the deliveries that change it, as the store decides: a report
    that repeats the current state changes nothing; a first removal is recorded (it makes the
    group one tailjit manages)."""
    state = dict(start)
    changes = []
    for e in events:
        if state.get(e.membership) is not e.added:
            state[e.membership] = e.added
            changes.append(e.delivery)
    return state, changes
