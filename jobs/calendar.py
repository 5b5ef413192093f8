"""Timed work of the Party calendar: occurrences (and recurring shifts) are materialised ahead of time, and the
periodic pushes queued, by the leader (jobs/leader.py), which also sends them (the dispatcher)."""

from __future__ import annotations

import logging

from handlers import duty_rules
from handlers.calendar import materialize
from handlers.core.context import Services
from jobs.leader import Leadership
from jobs.periodic import queue_periodic
from jobs.scheduler import Scheduler

log = logging.getLogger(__name__)

EXPAND_EVERY_S = 3600.0  # rules are also expanded at once when they are set up or changed


async def expand(services: Services) -> None:
    """The calendar's occurrences and the recurring shifts made ahead, from the services' now."""
    made = await materialize(services)
    if made:
        log.info("calendar: %d occurrences scheduled", made)
    shifts = await duty_rules.materialize(services)
    if shifts:
        log.info("duty rules: %d shifts put on the rota", shifts)


async def timed_work(services: Services, dormancy_weeks: int) -> None:
    """Everything the hourly jobs do, once: what a clock moved on by hand (the console's /clock,
    the demo) runs on its way."""
    await expand(services)
    await queue_periodic(services, dormancy_weeks)


def register(scheduler: Scheduler, services: Services, leadership: Leadership, *, dormancy_weeks: int) -> None:
    async def calendar_job() -> None:
        if await leadership.check():  # else another process runs the calendar
            await expand(services)

    scheduler.every("calendar", EXPAND_EVERY_S, calendar_job, run_now=True)

    async def periodic() -> None:
        if await leadership.check():
            await queue_periodic(services, dormancy_weeks)

    scheduler.every("periodic", EXPAND_EVERY_S, periodic, run_now=True)
