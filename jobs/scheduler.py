"""The process's one APScheduler: jobs are registered from code and the database, never pickled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.db import unreachable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Scheduler:
    """APScheduler 3 with explicit misfire handling and a clean stop.

    AsyncIOScheduler.shutdown() cancels jobs that are still running, which would cut a delivery
    round off in the middle of a transaction; `stop()` pauses first and lets running jobs end.
    """

    def __init__(self, tz: tzinfo) -> None:
        self.aps = AsyncIOScheduler(
            timezone=tz,
            # the 1 s default grace silently skips a run after a busy moment; runs never overlap
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        self._running: set[asyncio.Task[Any]] = set()

    def _tracked(self, fn: Job) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await fn()
            except asyncio.CancelledError:  # the process stops without waiting for it any longer
                log.info("scheduled job cancelled: the process is stopping")
            except Exception as exc:
                if unreachable(exc):
                    log.warning("scheduled job skipped: the database cannot be reached; it runs again at its next time")
                else:
                    log.exception("scheduled job failed; it runs again at its next time")
            finally:
                self._running.discard(task)

        return run

    def every(self, job_id: str, seconds: float, fn: Job, *, run_now: bool = False) -> None:
        """Run fn every `seconds` (and once at start if run_now); runs never overlap."""
        first = {"next_run_time": datetime.now(self.aps.timezone)} if run_now else {}
        self.aps.add_job(self._tracked(fn), "interval", seconds=seconds, id=job_id, replace_existing=True, **first)

    def run_now(self, *job_ids: str) -> None:
        """Run these jobs at once (and then at their own interval)."""
        for job_id in job_ids:
            if self.aps.get_job(job_id) is not None:
                self.aps.modify_job(job_id, next_run_time=datetime.now(self.aps.timezone))

    def start(self) -> None:
        self.aps.start()

    async def stop(self) -> None:
        if not self.aps.running:
            return
        self.aps.pause()
        # a run handed to the executor just before the pause starts on the next turn of the loop,
        # and one may start while others are awaited: wait until none is left
        await asyncio.sleep(0)
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
            await asyncio.sleep(0)
        self.aps.shutdown(wait=False)
