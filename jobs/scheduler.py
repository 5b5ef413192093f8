"""The process's one APScheduler: jobs are registered from code and the database, never pickled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler


def build_scheduler(tz: tzinfo) -> AsyncIOScheduler:
    """An asyncio scheduler with explicit misfire handling (the 1 s default silently skips jobs)."""
    return AsyncIOScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )


def every(scheduler: AsyncIOScheduler, job_id: str, seconds: float, fn: Callable[[], Awaitable[object]]) -> None:
    """Run fn every `seconds`; a run that is still going makes the next one wait, never overlap."""
    scheduler.add_job(fn, "interval", seconds=seconds, id=job_id, replace_existing=True)
