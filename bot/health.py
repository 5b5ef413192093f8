"""What an operator watches: `/healthz` (is the bot well, and what waits) and `/metrics` (the
Prometheus text format, through prometheus-client), served by the Telegram webhook server and by
the web console (also inside `dangjian run` when DANGJIAN_WEB_LISTEN is set).

Counters are this process's since it started; the gauges (inbox depth, outbox lag, database up)
are read from the database at each scrape, so every process reports the same figures for them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from storage.db import Database
from storage.lease import Lease
from storage.repos.inbox import waiting

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 3.0  # a database that does not answer a health check in this long is down

UPDATES_RECEIVED = Counter("dangjian_updates_received", "Updates (messages, button presses) received", ["platform"])
UPDATES_HANDLED = Counter("dangjian_updates_handled", "Updates handled and answered", ["platform"])
UPDATES_FAILED = Counter(
    "dangjian_updates_failed", "Updates answered with a failure line instead of being handled", ["platform", "reason"]
)
HANDLER_ERRORS = Counter("dangjian_handler_errors", "Errors met while handling an update, by kind", ["kind"])
SENDS = Counter("dangjian_sends", "Messages and edits handed to a platform, by result", ["platform", "result"])
RATE_LIMITED = Counter("dangjian_rate_limited", "Answers of 429 (too many requests) from a platform", ["platform"])
OUTBOX_LAG = Gauge("dangjian_outbox_lag_seconds", "How long the oldest due push has waited (0: none waits)")
INBOX_DEPTH = Gauge("dangjian_inbox_depth", "Received updates not yet done", ["platform"])
INBOX_OLDEST = Gauge("dangjian_inbox_oldest_seconds", "Age of the oldest received update not yet done", ["platform"])
DATABASE_UP = Gauge("dangjian_database_up", "1 if the database answered the last check, else 0")
PLATFORMS = ("telegram", "wecom", "web")


def failed(platform: str, reason: str) -> None:
    """An update answered with a failure line: storage_full, storage_down or error."""
    UPDATES_FAILED.labels(platform, reason).inc()
    HANDLER_ERRORS.labels(reason).inc()


async def check(db: Database, now: datetime) -> dict[str, Any]:
    """The figures /healthz shows (and the gauges are set from)."""
    report: dict[str, Any] = {"database": "down", "inbox": {}, "outbox_lag_seconds": None, "scheduler_lease": None}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            inbox, oldest_due = await db.read(lambda c: waiting(c, now))
            report["scheduler_lease"] = await Lease(db).holder()
    except Exception as exc:  # the database is what is being checked
        log.warning("health check: the database did not answer (%s)", type(exc).__name__)
        DATABASE_UP.set(0)
        return report
    DATABASE_UP.set(1)
    report["database"] = "up"
    for platform in sorted({*PLATFORMS, *inbox}):
        depth, oldest = inbox.get(platform, (0, None))
        age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
        INBOX_DEPTH.labels(platform).set(depth)
        INBOX_OLDEST.labels(platform).set(age)
        if depth:
            report["inbox"][platform] = {"depth": depth, "oldest_seconds": round(age, 1)}
    lag = max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0
    OUTBOX_LAG.set(lag)
    report["outbox_lag_seconds"] = round(lag, 1)
    return report


def routes(db: Database, clock: Any) -> list[Route]:
    """/healthz (JSON; 503 while the database is down) and /metrics (Prometheus text)."""

    async def healthz(_request: Request) -> Response:
        report = await check(db, clock.now())
        return JSONResponse(report, status_code=200 if report["database"] == "up" else 503)

    async def metrics(_request: Request) -> Response:
        await check(db, clock.now())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/metrics", metrics)]
