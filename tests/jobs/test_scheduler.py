"""The process scheduler stops without cutting a running job off, and jobs never overlap."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.delivery.ordering import KeyedLocks
from jobs.scheduler import Scheduler


async def test_stop_lets_a_running_job_finish() -> None:
    scheduler = Scheduler(ZoneInfo("Asia/Shanghai"))
    started, finished, runs = asyncio.Event(), asyncio.Event(), []

    async def slow() -> None:
        runs.append(1)
        started.set()
        await asyncio.sleep(0.3)
        finished.set()

    scheduler.every("slow", 0.05, slow)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    await scheduler.stop()
    assert finished.is_set()  # APScheduler's own shutdown would have cancelled it mid-sleep
    assert len(runs) == 1  # max_instances=1: the 0.05 s ticks did not start a second copy
    await asyncio.sleep(0.2)
    assert len(runs) == 1  # nothing runs after stop


async def test_a_failing_job_keeps_its_schedule() -> None:
    scheduler = Scheduler(ZoneInfo("Asia/Shanghai"))
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(1)
        raise RuntimeError("database away")

    scheduler.every("flaky", 0.05, flaky)
    scheduler.start()
    for _ in range(100):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.05)
    await scheduler.stop()
    assert len(calls) >= 3


async def test_keyed_locks_serialise_one_key_and_not_others() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(key: str, name: str, pause: float) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")

    await asyncio.gather(work("a", "a1", 0.05), work("a", "a2", 0), work("b", "b1", 0.01))
    assert order.index("a1-") < order.index("a2+")  # same key: in order, never interleaved
    assert order.index("b1+") < order.index("a1-")  # other key: not held up
    assert len(locks) == 0  # locks are dropped once nobody holds or waits


async def test_stop_never_cuts_a_run_short_even_one_started_while_stopping() -> None:
    """A run handed to the executor just before the stop, or starting while another is awaited,
    finishes too: none is cancelled halfway (a delivery round cut off mid-transaction)."""
    cut: list[int] = []
    finished: list[int] = []
    for _ in range(20):
        scheduler = Scheduler(ZoneInfo("Asia/Shanghai"))

        async def job() -> None:
            try:
                await asyncio.sleep(0.003)
                finished.append(1)
            except asyncio.CancelledError:
                cut.append(1)
                raise

        scheduler.every("a", 0.001, job, run_now=True)
        scheduler.every("b", 0.001, job, run_now=True)
        scheduler.start()
        await asyncio.sleep(0.02)
        await scheduler.stop()
    assert finished and cut == []
