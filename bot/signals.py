"""How a process learns it should stop (SIGINT or SIGTERM), and the bound on how long stopping takes."""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import signal
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STOP_LIMIT_S = 45.0  # from the signal on, a process ends within this long whatever holds it up
STOP_REPORT_S = 30.0  # when it is still stopping after this long, the log says what it waits on


def until_signalled(stop: asyncio.Event | None) -> asyncio.Event:
    """The event a process runs until: set by SIGINT or SIGTERM (or by the caller). A signal also
    bounds the stopping: what still waits after STOP_REPORT_S is logged, and at STOP_LIMIT_S every
    thread's stack goes to stderr and the process exits (a service manager would kill it anyway,
    without saying where it hung)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()

    def signalled() -> None:
        if not stop.is_set():
            loop.call_later(
                STOP_REPORT_S, lambda: log.error("stopping: still held up after %.0f s: %s", STOP_REPORT_S, held_up())
            )
            faulthandler.dump_traceback_later(STOP_LIMIT_S, exit=True, file=sys.stderr)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, signalled)
    return stop


def held_up(depth: int = 6) -> str:
    """What this process is still waiting on: each task's name and where it waits, outermost
    first, following the chain of awaits (a suspended task's own stack shows only its first frame)."""
    where = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task():
            continue
        chain: list[str] = []
        step: Any = task.get_coro()
        while step is not None and len(chain) < depth:
            frame = getattr(step, "cr_frame", None) or getattr(step, "gi_frame", None)
            if frame is not None:
                chain.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}")
            step = getattr(step, "cr_await", None) or getattr(step, "gi_yieldfrom", None)
        where.append(f"{task.get_name()} ({' > '.join(chain) or '?'})")
    return "; ".join(sorted(where)[:40]) or "nothing"
