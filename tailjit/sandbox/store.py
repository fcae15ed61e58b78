"""The state directory on disk: atomic writes, loading, and one sandbox per directory.

Layout of DIR:

- ``policy.hujson``: the policy file, exactly the bytes last saved;
- ``state.json``: users, devices, attributes, OAuth clients and tokens, settings;
- ``sandbox.json``: where a running sandbox listens (written once it serves, removed on exit);
- ``.lock``: held (flock) by the running sandbox, so two never share a directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tailjit.errors import TailjitError


class StateDirError(TailjitError):
    """The state directory cannot be used (locked by another sandbox, unreadable, corrupt)."""


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a reader or a crash sees the old or the new file whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def dump_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=False) + "\n").encode()


class StateDir:
    """Paths and file operations for one state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.policy_file = path / "policy.hujson"
        self.state_file = path / "state.json"
        self.discovery_file = path / "sandbox.json"
        self._lock_fd: int | None = None

    def initialized(self) -> bool:
        return self.state_file.exists() and self.policy_file.exists()

    def acquire(self) -> None:
        """Create the directory if needed and take its lock; fail if another sandbox holds it."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateDirError(f"cannot use state directory {self.path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StateDirError(
                f"state directory {self.path} is in use by another sandbox"
            ) from exc
        self._lock_fd = fd

    @property
    def locked(self) -> bool:
        """True while this object holds the directory's lock."""
        return self._lock_fd is not None

    def release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def load(self) -> tuple[bytes, dict[str, Any]]:
        try:
            policy = self.policy_file.read_bytes()
            state = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise StateDirError(f"cannot read sandbox state in {self.path}: {exc}") from exc
        if not isinstance(state, dict) or state.get("version") != 1:
            raise StateDirError(f"{self.state_file} is not a sandbox state file (version 1)")
        return policy, state

    def save_policy(self, text: bytes) -> None:
        write_atomic(self.policy_file, text)

    def save_state(self, state: dict[str, Any]) -> None:
        write_atomic(self.state_file, dump_json(state))

    def write_discovery(self, info: dict[str, Any]) -> None:
        write_atomic(self.discovery_file, dump_json(info))

    def remove_discovery(self) -> None:
        self.discovery_file.unlink(missing_ok=True)
