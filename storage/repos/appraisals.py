"""双述双评: each branch secretary's 述职 of a year, and its appraisal by the committee and the members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Appraisal, SecretaryReport
from storage.sql import insert_ignoring_conflicts, upsert


@dataclass(frozen=True, slots=True)
class AppraisalTally:
    """One branch's 述职 of a year and what it was given (never who gave what)."""

    branch_id: int
    reported_at: datetime | None  # None: no 述职 yet
    text: str | None  # the 述职, as typed
    committee: list[int]  # the officers' scores
    members: list[int]  # the members' (100 / 60 / 0)

    @staticmethod
    def _mean(scores: list[float]) -> float | None:
        return sum(scores) / len(scores) if scores else None

    @staticmethod
    def _shown(value: float | None) -> int | None:
        """A score as people read it: whole, a half rounded up (82.5 reads 83)."""
        return None if value is None else int(value + 0.5)

    @property
    def committee_mean(self) -> int | None:
        return self._shown(self._mean([float(s) for s in self.committee]))

    @property
    def member_mean(self) -> int | None:
        return self._shown(self._mean([float(s) for s in self.members]))

    @property
    def combined(self) -> int | None:
        """Half the committee's mean, half the members'; one side alone when the other gave none."""
        sides = [float(sum(v)) / len(v) for v in (self.committee, self.members) if v]
        return self._shown(self._mean(sides))


class AppraisalRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def report(self, region_id: int, branch_id: int, year: int, text: str, by: int, now: datetime) -> bool:
        """Keep the branch's 述职 of the year (a later one replaces it); True if it is the first."""
        values = {"region_id": region_id, "text": text, "by": by, "at": now}
        return await upsert(self.conn, SecretaryReport, {"branch_id": branch_id, "year": year}, values)

    async def reported(self, branch_id: int, year: int) -> bool:
        found = await self.conn.execute(
            select(SecretaryReport.id).where(SecretaryReport.branch_id == branch_id, SecretaryReport.year == year)
        )
        return found.first() is not None

    async def appraise(
        self, region_id: int, branch_id: int, year: int, voter: int, source: str, score: int, now: datetime
    ) -> bool:
        """One appraisal by `voter`: a member's is given once (False: given before, unchanged); an
        officer's replaces their earlier score (True)."""
        values = {"region_id": region_id, "branch_id": branch_id, "year": year, "voter_id": voter, "source": source}
        res = await self.conn.execute(
            insert_ignoring_conflicts(self.conn, Appraisal).values(**values, score=score, at=now)
        )
        if res.rowcount or source == "member":
            return bool(res.rowcount)
        await self.conn.execute(
            update(Appraisal)
            .where(Appraisal.branch_id == branch_id, Appraisal.year == year, Appraisal.voter_id == voter)
            .values(score=score, at=now)
        )
        return True

    async def tallies(self, region_id: int, year: int) -> dict[int, AppraisalTally]:
        """branch id -> its 述职 and appraisals of the year (branches with neither are left out)."""
        reports = await self.conn.execute(
            select(SecretaryReport.branch_id, SecretaryReport.at, SecretaryReport.text).where(
                SecretaryReport.region_id == region_id, SecretaryReport.year == year
            )
        )
        out = {b: AppraisalTally(b, at, text, [], []) for b, at, text in reports}
        rows = await self.conn.execute(
            select(Appraisal.branch_id, Appraisal.source, Appraisal.score)
            .where(Appraisal.region_id == region_id, Appraisal.year == year)
            .order_by(Appraisal.id)
        )
        for branch, source, score in rows:
            tally = out.setdefault(branch, AppraisalTally(branch, None, None, [], []))
            (tally.committee if source == "committee" else tally.members).append(int(score))
        return out
