"""A byte-exact HuJSON (JWCC) syntax-tree editor, standard library only.

HuJSON is JSON with ``//`` and ``/* */`` comments and one optional trailing comma per object or
array: the format of Tailscale policy files. ``parse`` accepts exactly what tailscale/hujson
accepts; ``Value.pack`` gives back the input byte for byte; edits (``append``, ``insert``,
``remove``, ``set_member``, ``replace``, ``comment_above``) return a new tree, keep comments
with the entries they belong to, lay new entries out like their siblings, and verify their own
output before returning.
"""

from tailjit.hujson._edit import line_comment_above
from tailjit.hujson._errors import HuJSONError
from tailjit.hujson._tree import JSON, Array, Literal, Member, Object, Value, parse

__all__ = [
    "JSON",
    "Array",
    "HuJSONError",
    "Literal",
    "Member",
    "Object",
    "Value",
    "line_comment_above",
    "parse",
]
