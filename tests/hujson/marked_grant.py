"""The edit tailjit makes most: a grant appended to `grants` under its marker comment.

Loaded by the corpus and format tests with `tailjit.testing.load_module`.
"""

from __future__ import annotations

from tailjit import hujson

GRANT = {"src": ["alice@example.com"], "dst": ["tag:prod"], "ip": ["tcp:5432"]}
MARKER = (
    "// tailjit:grant id=G7KQ2M3X exp=2026-11-21T15:04:05Z mac=5f0c1a2b9d8e47c1a0b3d6e9f2a4c871"
)


def append_marked_grant(doc: hujson.Value) -> hujson.Value:
    """Append GRANT under MARKER to `grants`, creating the member when it is absent."""
    if doc.find("/grants") is None:
        doc = doc.set_member("", "grants", [])
    return doc.append("/grants", GRANT, comments=[MARKER])
