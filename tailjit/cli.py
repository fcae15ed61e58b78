"""The ``tailjit`` command-line interface: the group every subcommand attaches to."""

from __future__ import annotations

import click

from tailjit import __version__

_HELP = """\
tailjit: just-in-time access for a Tailscale tailnet.

tailjit turns an approved access request into real, time-limited network access in the tailnet,
removes it when the time is up, and keeps checking that the live tailnet still matches what it
granted. By default a grant is a policy entry gated by a posture attribute that Tailscale itself
expires, so access ends on time even if tailjit is not running. Every policy edit keeps the
file's comments and layout, and is written with an ETag compare-and-swap.

This is an early release: it contains the project's foundation. Requesting, approving and
granting access arrive in later releases.
"""


@click.group(help=_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="tailjit")
def main() -> None:
    """Entry point of the ``tailjit`` console script."""
