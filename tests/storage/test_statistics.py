"""After a roster import PostgreSQL plans with the roster as it is: its statistics are refreshed at
once, not when autovacuum next looks. With the statistics of the empty tables the planner took a
region of thousands for one row and counted a sign-in board by scanning the region once per mark."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bot.cli.roster import import_roster
from storage.db import Database
from tests.harness import REGION, ROSTER


async def test_a_roster_import_leaves_the_planner_knowing_the_region_s_size(pg_url: str) -> None:
    db = await Database.open(pg_url)
    try:
        result = await import_roster(db, ROSTER, REGION, datetime(2026, 12, 1, tzinfo=UTC))

        async def estimate(conn: Any) -> int:
            found = await conn.execute(text("EXPLAIN (FORMAT JSON) SELECT id FROM members WHERE region_id = 1"))
            plan = found.scalar_one()
            return int((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]["Plan Rows"])

        assert await db.read(estimate) == result.members_created == 16
    finally:
        await db.close()
