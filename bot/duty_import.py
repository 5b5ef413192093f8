"""`dangjian duty import FILE --region R`: the duty rota from CSV or XLSX, all rows or none.

Header 日期,开始,结束,地点,值班人 (or date,start,end,place,members); 值班人 holds one or two names
separated by 、 , or spaces. A shift already there (same place and start) is left as it is, so
importing the same file again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.tables import read_table
from handlers.duty import queue_shift_pushes
from handlers.timeparse import WhenError, parse_time
from storage.db import Database
from storage.repositories import UnitOfWork

HEADERS = {
    "日期": "date",
    "date": "date",
    "开始": "start",
    "start": "start",
    "结束": "end",
    "end": "end",
    "地点": "place",
    "place": "place",
    "值班人": "members",
    "members": "members",
}
REQUIRED = ("date", "start", "end", "place", "members")


class DutyImportError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"第 {line} 行 / line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class ShiftRow:
    line: int
    starts_at: datetime
    ends_at: datetime
    place: str
    names: list[str]


def read_rota(path: Path, tz: ZoneInfo) -> list[ShiftRow]:
    rows = []
    for line, rec in read_table(path, HEADERS, REQUIRED, DutyImportError, "日期,开始,结束,地点,值班人"):
        try:
            day = date.fromisoformat(rec["date"].replace("/", "-").split(" ")[0])
            start, _ = parse_time(rec["start"])
            end, _ = parse_time(rec["end"])
        except (ValueError, WhenError) as err:
            raise DutyImportError(line, "日期或时间看不懂 / cannot read the date or time") from err
        starts, ends = datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)
        names = [n for n in re.split(r"[、,，\s]+", rec["members"]) if n]
        if ends <= starts:
            raise DutyImportError(line, "结束时间早于开始时间 / the end is before the start")
        if not rec["place"] or not 1 <= len(names) <= 2:
            raise DutyImportError(line, "需要地点和一到两名值班人 / needs a place and one or two members")
        rows.append(ShiftRow(line, starts, ends, rec["place"], names))
    return rows


async def import_rota(
    db: Database, path: Path, region: str, tz: ZoneInfo, now: datetime, grace_min: int = 5
) -> tuple[int, int]:
    """Returns (shifts added, shifts already there)."""
    rows = read_rota(path, tz)

    async def work(conn: AsyncConnection) -> tuple[int, int]:
        uow = UnitOfWork(conn, now)
        reg = await uow.org.region_by_name(region)
        if reg is None:
            raise DutyImportError(1, f"没有这个联合党委 / no such region: {region}")
        added = kept = 0
        for row in rows:
            ids = []
            for name in row.names:
                found = await uow.org.members_named(reg.id, name, None)
                if len(found) != 1:
                    raise DutyImportError(row.line, f"花名册中找不到唯一的“{name}” / no single member named {name}")
                ids.append(found[0].id)
            if await uow.duty.find_shift(reg.id, row.place, row.starts_at) is not None:
                kept += 1
                continue
            shift_id = await uow.duty.add_shift(reg.id, row.place, row.starts_at, row.ends_at, ids, now)
            await queue_shift_pushes(uow, grace_min, shift_id)
            added += 1
        return added, kept

    return await db.unit(work)
