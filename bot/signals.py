"""How a process learns it should stop: SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal


def until_signalled(stop: asyncio.Event | None) -> asyncio.Event:
    """The event a process runs until: set by SIGINT or SIGTERM (or by the caller)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop
