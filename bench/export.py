"""The ledger export of a large region: how long `dangjian export ledger` takes and how much
memory it needs, on SQLite and on PostgreSQL.

The region is built straight into the database (bulk inserts, not through the chat): M members
in branches of 20 (a secretary, an activist, members), a year of events (each branch's monthly
activity day, the region's monthly secretaries' meeting and quarterly Party lesson), sign-ins
(about 85 % on time or late, 5 % on leave), a point per sign-in, a daily duty shift of two,
ideas with review steps, redemptions and audit rows; one member in 300 transferred to another
branch on 1 July (their marks before it in the old branch). Then the real command line runs the export
in a process of its own; printed are its wall time, its peak resident memory (ru_maxrss of the
child), the file's size and the rows per sheet.

    .venv/bin/python bench/export.py                       # 50,000 members, SQLite
    .venv/bin/python bench/export.py --members 5000
    .venv/bin/python bench/export.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from storage.db import Database
from storage.migrate import wipe_postgres
from storage.models import (
    Attendance,
    AuditLog,
    Branch,
    DutyAssignment,
    DutyShift,
    Event,
    Idea,
    IdeaChange,
    Member,
    MemberTransfer,
    PointEntry,
    Redemption,
    Region,
    StoreItem,
)

YEAR = 2025
BRANCH_SIZE = 20
CHUNK = 20_000
T0 = datetime(YEAR, 1, 1, tzinfo=UTC)


async def bulk(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        part = rows[i : i + CHUNK]

        async def put(conn: Any, part: list[dict[str, Any]] = part) -> None:
            await conn.execute(insert(model), part)

        await db.unit(put)


def event_row(eid: int, kind: str, branch: int | None, at: datetime) -> dict[str, Any]:
    return {
        "id": eid,
        "region_id": 1,
        "branch_id": branch,
        "kind": kind,
        "topic": "学习贯彻全会精神",
        "place": "党群服务中心",
        "lecturer": None,
        "starts_at": at,
        "opens_at": at - timedelta(minutes=30),
        "late_after": at + timedelta(minutes=5),
        "closes_at": at + timedelta(hours=1),
        "status": "closed",
        "created_at": T0,
    }


async def build(url: str, members: int, branch_size: int = BRANCH_SIZE) -> dict[str, int]:
    """The region, a year of its life; returns row counts."""
    rnd = random.Random(7)
    db = await Database.open(url)
    try:
        await bulk(db, Region, [{"id": 1, "name": "压测联合党委", "created_at": T0}])
        branches = max(1, members // branch_size)
        await bulk(
            db,
            Branch,
            [{"id": b, "region_id": 1, "name": f"第{b:04d}党支部", "created_at": T0} for b in range(1, branches + 1)],
        )
        people: list[dict[str, Any]] = []
        for m in range(1, members + 1):
            branch = (m - 1) // branch_size % branches + 1
            seat = (m - 1) % branch_size
            role = "branch_secretary" if seat == 0 else "activist" if seat == 1 else "member"
            role = "regional_secretary" if m == 1 else role
            people.append(
                {"id": m, "region_id": 1, "branch_id": branch, "name": f"党员{m:06d}", "role": role,
                 "phone": None, "is_mobile": seat == 2, "active": True, "created_at": T0}
            )  # fmt: skip
        # about one member in 300 changes employer on 1 July: transferred to the next branch, history kept
        moved_on = datetime(YEAR, 7, 1, 2, 0, tzinfo=UTC)
        movers = {p["id"]: p["branch_id"] for p in people if p["id"] % 300 == 5 and p["role"] == "member"}
        for p in people:
            if p["id"] in movers:
                p["branch_id"] = p["branch_id"] % branches + 1
        await bulk(db, Member, people)
        transfers = [
            {"region_id": 1, "member_id": m, "direction": "within", "from_branch_id": frm,
             "to_branch_id": frm % branches + 1, "status": "done", "requested_at": moved_on, "done_at": moved_on}
            for m, frm in movers.items()
        ]  # fmt: skip
        await bulk(db, MemberTransfer, transfers)
        expected_roles = {"member", "branch_secretary", "regional_secretary"}
        halves: tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]] = ({}, {})
        for p in people:
            halves[0].setdefault(movers.get(p["id"], p["branch_id"]), []).append(p)
            halves[1].setdefault(p["branch_id"], []).append(p)
        events: list[dict[str, Any]] = []
        attendance: list[dict[str, Any]] = []
        points: list[dict[str, Any]] = []

        def marks(eid: int, at: datetime, who: list[dict[str, Any]]) -> None:
            for p in who:
                r = rnd.random()
                status = "on_time" if r < 0.75 else "late" if r < 0.85 else "leave" if r < 0.90 else "absent"
                reason = "出差" if status == "leave" else None
                row = {"event_id": eid, "member_id": p["id"], "status": status, "platform": "telegram",
                       "reason": reason, "recorded_by": None, "recorded_at": at}  # fmt: skip
                attendance.append(row)
                if status in ("on_time", "late"):
                    points.append(
                        {"member_id": p["id"], "amount": 2 if status == "on_time" else 1, "source": "signin",
                         "reason": f"signin:{status}:x", "ref": f"s:{eid}:{p['id']}", "operator_id": None, "at": at}
                    )  # fmt: skip

        eid = 0
        for month in range(1, 13):
            for b, who in halves[month >= 7].items():
                eid += 1
                at = datetime(YEAR, month, 1 + b % 27, 7, 0, tzinfo=UTC)
                events.append(event_row(eid, "activity_day", b, at))
                marks(eid, at, [p for p in who if p["role"] in expected_roles])
            eid += 1
            at = datetime(YEAR, month, 3, 6, 0, tzinfo=UTC)
            events.append(event_row(eid, "secretary_meeting", None, at))
            marks(eid, at, [p for p in people if p["role"] in ("branch_secretary", "regional_secretary")])
            if month % 3 == 0:
                eid += 1
                at = datetime(YEAR, month, 15, 11, 0, tzinfo=UTC)
                events.append(event_row(eid, "party_lesson", None, at))
                marks(eid, at, [p for p in people if p["role"] in expected_roles])
        await bulk(db, Event, events)
        await bulk(db, Attendance, attendance)
        await bulk(db, PointEntry, points)
        shifts, duty = [], []
        for day in range(365):
            at = T0 + timedelta(days=day, hours=1)
            shifts.append({"id": day + 1, "region_id": 1, "place": "党群服务中心", "starts_at": at,
                           "ends_at": at + timedelta(hours=8), "created_at": T0})  # fmt: skip
            for _ in range(2):
                kept = rnd.random() < 0.9
                out, mark = (at + timedelta(hours=8), "on_time") if kept else (None, None)
                duty.append({"shift_id": day + 1, "member_id": rnd.randint(1, members),
                             "checked_in_at": at if kept else None, "checked_out_at": out,
                             "arrival": mark, "departure": mark})  # fmt: skip
        await bulk(db, DutyShift, shifts)
        await bulk(db, DutyAssignment, duty)
        ideas, changes = [], []
        for n in range(1, max(2, members // 25) + 1):
            at = T0 + timedelta(days=rnd.randrange(365))
            ideas.append({"id": n, "region_id": 1, "number": n, "member_id": rnd.randint(1, members),
                          "anonymous": n % 7 == 0, "text": f"=建议{n}：优化服务流程", "category": "管理",
                          "status": "adopted" if n % 3 == 0 else "pending", "platform": "telegram", "chat_id": "-1",
                          "created_at": at})  # fmt: skip
            if n % 3 == 0:
                changes.append(
                    {"idea_id": n, "status": "adopted", "note": "采纳", "by": 1, "at": at + timedelta(days=3)}
                )
        await bulk(db, Idea, ideas)
        await bulk(db, IdeaChange, changes)
        await bulk(
            db, StoreItem, [{"id": 1, "region_id": 1, "name": "党建读本", "price": 5, "stock": 1000, "active": True}]
        )
        redemptions = [
            {"item_id": 1, "member_id": rnd.randint(1, members), "price": 5, "status": "approved",
             "platform": "telegram", "chat_id": "-1", "created_at": T0 + timedelta(days=rnd.randrange(365)),
             "decided_by": 1, "decided_at": T0 + timedelta(days=364)}
            for _ in range(members // 50)
        ]  # fmt: skip
        await bulk(db, Redemption, redemptions)
        audit = [
            {"at": T0 + timedelta(hours=h), "actor_id": 1, "platform": "telegram", "action": "notice", "detail": "{}"}
            for h in range(0, 365 * 24, 3)
        ]
        await bulk(db, AuditLog, audit)
        if db.dialect == "postgresql":  # planner statistics, as autovacuum keeps them on a live server
            await db.unit(lambda conn: conn.execute(text("ANALYZE")))
        return {"events": len(events), "attendance": len(attendance), "points": len(points), "ideas": len(ideas),
                "transfers": len(transfers)}  # fmt: skip
    finally:
        await db.close()


def child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a process: (seconds, its own peak resident MiB, its output). This process stays small
    (the region is built in a child of its own) so the export's peak is the export's."""
    t = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        said = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{command[2:5]} failed ({proc.returncode}):\n{said}")
    return seconds, usage.ru_maxrss / 1024, said.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--url", default="", help="PostgreSQL URL (its public schema is wiped); default SQLite")
    parser.add_argument("--build-only", default="", help=argparse.SUPPRESS)  # the child that builds the region
    args = parser.parse_args()
    if args.build_only:
        counts = asyncio.run(build(args.build_only, args.members))
        print(f"{args.members:,} members, " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite+aiosqlite:///{Path(tmp) / 'export.db'}"
        if args.url:
            asyncio.run(wipe_postgres(url))
        env = {**os.environ, "DANGJIAN_DATABASE_URL": url, "DANGJIAN_LOG_LEVEL": "WARNING"}
        seconds, _peak, said = child(
            [sys.executable, __file__, "--build-only", url, "--members", str(args.members)], env
        )
        print(f"built in {seconds:.1f} s: {said}")
        out = Path(tmp) / "ledger.xlsx"
        command = [sys.executable, "-m", "bot.cli.main", "export", "ledger", "--region", "压测联合党委",
                   "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", str(out)]  # fmt: skip
        seconds, peak, said = child(command, env)
        backend = "PostgreSQL" if args.url else "SQLite"
        print(said)
        print(f"{backend}: export {seconds:.1f} s (the whole CLI process), peak memory {peak:.0f} MiB, "
              f"file {out.stat().st_size / 1e6:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
