"""The hot-path sign-in write, flushed in batches with multi-row statements."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import ClassVar

from sqlalchemy import Connection, Insert, func, insert, select, tuple_, update

from storage.db import BatchWrite
from storage.models import Attendance, AuditLog, Member, ProcessedUpdate
from storage.records import ATTENDED
from storage.repos.points import award_many
from storage.sql import insert_ignoring_conflicts

# outcomes
RECORDED = "recorded"
UPGRADED = "upgraded"  # a leave request turned into attendance
ALREADY = "already"
DUPLICATE = "duplicate"  # the same platform update was processed before


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    outcome: str
    status: str  # the member's status for the event after the write
    recorded: int = 0  # a fresh record: how many expected members the event has a record for now


@cache
def _statements(dialect: str) -> tuple[Insert, Insert]:
    """The two inserts of a batch, built once per dialect (their compiled form is cached too)."""
    processed = insert_ignoring_conflicts(dialect, ProcessedUpdate).returning(
        ProcessedUpdate.platform, ProcessedUpdate.update_key
    )
    attendance = insert_ignoring_conflicts(dialect, Attendance).returning(Attendance.event_id, Attendance.member_id)
    return processed, attendance


@dataclass(frozen=True, slots=True)
class SignInWrite(BatchWrite[SignInOutcome]):
    """Record one member's attendance status for one event, with its update key."""

    batch_key: ClassVar[str] = "signin"

    platform: str
    update_key: str | None
    event_id: int
    member_id: int
    status: str
    now: datetime
    reason: str | None = None
    recorded_by: int | None = None
    points: int = 0  # credited to the member, in the same transaction, when the attendance is recorded
    kind: str = ""  # the event's kind, kept in the ledger reason (caps per kind count it)
    expected: tuple[str, ...] = ()  # the roles expected at the event: the count of those recorded is returned
    count_branch: int | None = None  # ...of this branch's members only (a region-wide event signed in its chat)

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[SignInWrite]) -> list[SignInOutcome | None]:
        results: list[SignInOutcome | None] = [None] * len(items)
        live = list(range(len(items)))

        keyed: dict[tuple[str, str], int] = {}
        for i in live:
            it = items[i]
            if it.update_key is None:
                continue
            update_ref = (it.platform, it.update_key)
            if update_ref in keyed:  # redelivered inside this very batch
                results[i] = SignInOutcome(DUPLICATE, it.status)
            else:
                keyed[update_ref] = i
        if keyed:
            rows = [{"platform": p, "update_key": u, "processed_at": items[i].now} for (p, u), i in keyed.items()]
            # executemany of one cached statement: SQLAlchemy sends it as one multi-row INSERT ... RETURNING
            fresh = {(p, u) for p, u in conn.execute(_statements(conn.dialect.name)[0], rows)}
            for update_ref, i in keyed.items():
                if update_ref not in fresh:
                    results[i] = SignInOutcome(DUPLICATE, items[i].status)
        live = [i for i in live if results[i] is None]

        first: dict[tuple[int, int], int] = {}
        later: list[int] = []
        for i in live:
            k = (items[i].event_id, items[i].member_id)
            if k in first:
                later.append(i)
            else:
                first[k] = i
        if first:
            rows = [
                {
                    "event_id": items[i].event_id,
                    "member_id": items[i].member_id,
                    "status": items[i].status,
                    "reason": items[i].reason,
                    "recorded_by": items[i].recorded_by,
                    "platform": items[i].platform,
                    "recorded_at": items[i].now,
                }
                for i in first.values()
            ]
            stmt = _statements(conn.dialect.name)[1]
            inserted: set[tuple[int, int]] = {(int(r[0]), int(r[1])) for r in conn.execute(stmt, rows)}
            conflicts = [k for k in first if k not in inserted]
            for k in inserted:
                i = first[k]
                results[i] = SignInOutcome(RECORDED, items[i].status)
            if conflicts:
                existing = {
                    (e, m): s
                    for e, m, s in conn.execute(
                        select(Attendance.event_id, Attendance.member_id, Attendance.status).where(
                            tuple_(Attendance.event_id, Attendance.member_id).in_(conflicts)
                        )
                    )
                }
                for k in conflicts:
                    i = first[k]
                    it = items[i]
                    old = existing.get(k, it.status)
                    if old in ("leave", "absent") and it.status in ATTENDED:
                        conn.execute(
                            update(Attendance)
                            .where(Attendance.event_id == it.event_id, Attendance.member_id == it.member_id)
                            .values(
                                status=it.status,
                                reason=it.reason,
                                recorded_by=it.recorded_by,
                                platform=it.platform,
                                recorded_at=it.now,
                            )
                        )
                        results[i] = SignInOutcome(UPGRADED, it.status)
                    else:
                        results[i] = SignInOutcome(ALREADY, old)
        awards = [
            {
                "member_id": items[i].member_id,
                "amount": items[i].points,
                "reason": f"signin:{items[i].status}:{items[i].kind}",
                "source": "signin",
                "ref": f"signin:{items[i].event_id}:{items[i].member_id}",
                "operator_id": items[i].recorded_by,
                "at": items[i].now,
            }
            for i in first.values()
            if items[i].points > 0 and results[i] is not None and results[i].outcome in (RECORDED, UPGRADED)  # type: ignore[union-attr]
        ]
        award_many(conn, awards)
        made_up = [  # a make-up sign-in is someone's act on another's record (or their own): audited with it
            {
                "at": items[i].now,
                "actor_id": items[i].recorded_by,
                "platform": items[i].platform,
                "action": "signin.self_makeup" if items[i].recorded_by == items[i].member_id else "signin.makeup",
                "detail": json.dumps({"event": items[i].event_id, "member": items[i].member_id}, sort_keys=True),
            }
            for i in first.values()
            if items[i].status == "makeup"
            and items[i].recorded_by is not None
            and (r := results[i]) is not None
            and r.outcome in (RECORDED, UPGRADED)
        ]
        if made_up:
            conn.execute(insert(AuditLog), made_up)
        new_records = [i for i in first.values() if (r := results[i]) is not None and r.outcome in (RECORDED, UPGRADED)]
        if new_records:  # one count for the batch: a sign-in that completes its event may be confirmed first
            query = (
                select(Attendance.event_id, Member.branch_id, Member.role, func.count())
                .join(Member, Member.id == Attendance.member_id)
                .where(Attendance.event_id.in_({items[j].event_id for j in new_records}))
                .group_by(Attendance.event_id, Member.branch_id, Member.role)
            )
            branches = {items[j].count_branch for j in new_records}
            if None not in branches:  # only branches' counts are asked: their rows only
                query = query.where(Member.branch_id.in_(branches))
            of_branch: dict[tuple[int, int | None, str], int] = {}  # (event, branch, role)
            of_event: dict[tuple[int, str], int] = {}  # (event, role)
            for event_id, branch_id, role_name, n in conn.execute(query):
                event, role = int(event_id), str(role_name)
                of_branch[(event, branch_id, role)] = int(n)
                of_event[(event, role)] = of_event.get((event, role), 0) + int(n)
            for j in new_records:
                done, it = results[j], items[j]
                assert done is not None
                recorded = sum(
                    of_event.get((it.event_id, role), 0)
                    if it.count_branch is None
                    else of_branch.get((it.event_id, it.count_branch, role), 0)
                    for role in it.expected
                )
                results[j] = SignInOutcome(done.outcome, done.status, recorded)
        for i in later:
            prev = results[first[(items[i].event_id, items[i].member_id)]]
            results[i] = SignInOutcome(ALREADY, prev.status if prev else items[i].status)
        return results
