"""The acl package is pure domain code: no I/O, no frameworks (DESIGN.md §5, STYLE.md 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import tailjit.acl

FORBIDDEN = {
    "asyncio",
    "httpx",
    "click",
    "io",
    "os",
    "pathlib",
    "shutil",
    "socket",
    "sqlite3",
    "starlette",
    "subprocess",
    "tempfile",
    "threading",
    "time",
    "urllib",
    "uvicorn",
    "schedule",
}


def test_the_acl_package_imports_nothing_that_does_io() -> None:
    package = Path(tailjit.acl.__file__).parent
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])

    assert imported & FORBIDDEN == set()
    assert imported - {"__future__"} <= {
        "bisect",
        "collections",
        "dataclasses",
        "functools",
        "ipaddress",
        "re",
        "types",
        "typing",
        "pydantic",
        "tailjit",
    }
