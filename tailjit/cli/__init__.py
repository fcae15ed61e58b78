"""The ``tailjit`` command line: the entry point (``tailjit.cli:main``) and its commands.

`_main` holds the group and the local commands (sandbox, check, policy check, audit); the
commands that talk to a running daemon register themselves on the same group.
"""

from tailjit.cli._main import main

__all__ = ["main"]
from tailjit.cli import _access, _daemon  # noqa: F401  register their commands
