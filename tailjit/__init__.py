"""tailjit: just-in-time, time-limited access for Tailscale tailnets.

An approved request becomes a policy entry gated by a posture attribute that Tailscale itself
expires; every policy write is a comment-preserving HuJSON edit under ETag compare-and-swap, and a
reconcile loop verifies and repairs drift. See README.md and DESIGN.md.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__: str = version("tailjit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
