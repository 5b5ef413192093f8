"""The periodic pushes: queued ahead of their time by the process holding the scheduler lease,
from the steps each feature declares (its FEATURE's `periodic`). The dispatcher sends them when
due, or reports them as missed after a longer outage. Idempotent (the keys name the month or the
week), so it runs often and picks up chats bound since the last run."""

from __future__ import annotations

from handlers.core.context import Services
from handlers.core.outbox import Moment
from storage.uow import UnitOfWork


async def queue_periodic(services: Services, dormancy_weeks: int) -> int:
    """Run every feature's periodic steps in one unit of work; how many pushes were new."""
    now = services.clock.now()
    at = Moment(now, services.policy.tz, dormancy_weeks)

    async def work(uow: UnitOfWork) -> int:
        return sum([await step(uow, at) for step in services.periodic])

    return await services.db.unit(lambda c: work(UnitOfWork(c, now)))
