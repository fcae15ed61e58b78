"""The systemd notification protocol (sd_notify(3)), in the standard library only.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET``, an ``AF_UNIX`` datagram socket (a path,
or an abstract name written with a leading ``@``), and waits for ``READY=1`` before it counts the
service as started. With ``WatchdogSec=`` it also passes ``$WATCHDOG_USEC`` and expects
``WATCHDOG=1`` more often than that, or it kills and restarts the service. Outside systemd
``$NOTIFY_SOCKET`` is unset and every function here does nothing and returns False.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

__all__ = [
    "notify",
    "ready",
    "reloading",
    "status",
    "stopping",
    "watchdog",
    "watchdog_interval",
]

_log = logging.getLogger(__name__)


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send ``message`` (``KEY=value`` lines) to ``$NOTIFY_SOCKET``; True if it was sent.

    False when the variable is unset or not a ``AF_UNIX`` address (a ``vsock:`` address, say),
    and when sending fails: a lost notification is logged, not raised, so that a watchdog thread
    keeps going (if systemd never hears from us it restarts the service, which is the point).
    """
    address = environ.get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    elif not address.startswith("/"):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        _log.warning("could not notify systemd at %s: %s", environ["NOTIFY_SOCKET"], exc)
        return False
    return True


def ready(environ: Mapping[str, str] = os.environ) -> bool:
    """Tell systemd start-up is complete (``READY=1``)."""
    return notify("READY=1", environ)


def reloading(environ: Mapping[str, str] = os.environ) -> bool:
    """Tell systemd a reload (SIGHUP) has begun; send `ready` when it is done."""
    monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify(f"RELOADING=1\nMONOTONIC_USEC={monotonic_usec}", environ)


def stopping(environ: Mapping[str, str] = os.environ) -> bool:
    """Tell systemd the service is shutting down (``STOPPING=1``)."""
    return notify("STOPPING=1", environ)


def watchdog(environ: Mapping[str, str] = os.environ) -> bool:
    """Keep the watchdog from firing (``WATCHDOG=1``)."""
    return notify("WATCHDOG=1", environ)


def status(text: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Show ``text`` (one line; newlines become spaces) in ``systemctl status``."""
    return notify("STATUS=" + " ".join(text.splitlines()), environ)


def watchdog_interval(environ: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between `watchdog` calls: half of ``$WATCHDOG_USEC``; None without a watchdog.

    None too when ``$WATCHDOG_PID`` is set to another process (the variables were inherited,
    not meant for us) or either variable is not a positive whole number.
    """
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 2 / 1_000_000
