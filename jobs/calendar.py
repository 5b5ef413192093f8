"""Timed work of the Party calendar: occurrences (and recurring shifts) are materialised ahead of time by the process
that holds the scheduler lease; sending is the dispatcher's, in every process."""

from __future__ import annotations

import logging

from handlers import duty_rules
from handlers.calendar import materialize
from handlers.core.context import Services
from jobs.periodic import queue_periodic
from jobs.scheduler import Scheduler
from storage.lease import Lease

log = logging.getLogger(__name__)

EXPAND_EVERY_S = 3600.0  # rules are also expanded at once when they are set up or changed


def register(scheduler: Scheduler, services: Services, lease: Lease, *, dormancy_weeks: int) -> None:
    async def expand() -> None:
        if not await lease.try_acquire():
            return  # another process runs the calendar
        made = await materialize(services)
        if made:
            log.info("calendar: %d occurrences scheduled", made)
        shifts = await duty_rules.materialize(services)
        if shifts:
            log.info("duty rules: %d shifts put on the rota", shifts)

    scheduler.every("calendar", EXPAND_EVERY_S, expand, run_now=True)

    async def periodic() -> None:
        if await lease.try_acquire():
            await queue_periodic(services, dormancy_weeks)

    scheduler.every("periodic", EXPAND_EVERY_S, periodic, run_now=True)
