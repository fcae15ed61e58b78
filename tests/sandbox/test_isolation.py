"""The sandbox is an independent implementation: it never imports tailjit's Tailscale client,
and only ``app.py`` touches the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import tailjit.sandbox

PACKAGE = Path(tailjit.sandbox.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_sandbox_module_imports_the_tailscale_client() -> None:
    for path in PACKAGE.glob("*.py"):
        assert not any(
            name == "tailjit.tailscale" or name.startswith("tailjit.tailscale.")
            for name in imported_modules(path)
        ), path.name


def test_only_app_imports_starlette() -> None:
    users = {
        path.name
        for path in PACKAGE.glob("*.py")
        if any(name.split(".")[0] == "starlette" for name in imported_modules(path))
    }

    assert users == {"app.py"}
