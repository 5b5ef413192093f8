"""`dangjian duty import FILE --region R [--replace]`: the duty rota from CSV or XLSX.

Header 日期,开始,结束,地点,值班人 (or date,start,end,place,members), and optionally 备岗 (backup):
值班人 holds one or two names separated by 、 , or spaces, 备岗 one name (AB岗); dates as in chat
(2026-12-07, 2026/12/7, 12月5日). A shift is known by its place and start. Importing the same
file again changes nothing; a row that differs from the shift already there (another end, other
members, another backup) is a conflict: every conflict is reported by its row and nothing is
imported, unless --replace, which applies the corrections (to shifts nobody has checked in to
yet). All rows or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cli.tables import RowError, hidden_characters, read_table
from handlers.core.timeparse import WhenError, parse_date, parse_time
from handlers.duty import queue_shift_pushes
from storage.db import Database
from storage.limits import PLACE
from storage.uow import UnitOfWork

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
    "备岗": "backup",
    "backup": "backup",
}
REQUIRED = ("date", "start", "end", "place", "members")
DATE_FORMS = "2026-12-07、2026/12/7、12月7日"


@dataclass(frozen=True)
class ShiftRow:
    line: int
    starts_at: datetime
    ends_at: datetime
    place: str
    names: list[str]
    backup: str | None = None  # AB岗: who takes the shift over when nobody came


@dataclass
class RotaReport:
    encoding: str = ""
    added: list[int] = field(default_factory=list)  # row numbers
    unchanged: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)  # row, what differs


def read_rota(path: Path, tz: ZoneInfo, now: datetime) -> tuple[str, list[ShiftRow]]:
    """The encoding found and every row, checked; the first bad row raises RowError."""
    table = read_table(path, HEADERS, REQUIRED, "日期,开始,结束,地点,值班人")
    rows: list[ShiftRow] = []
    seen: dict[tuple[str, datetime], int] = {}
    today = now.astimezone(tz).date()
    for line, rec in table.rows:
        try:
            day = parse_date(rec["date"].split(" ")[0], today)
        except WhenError as err:
            raise RowError(line, f"日期看不懂：“{rec['date']}”（可写 {DATE_FORMS}）/ cannot read the date") from err
        try:
            start, _ = parse_time(rec["start"])
            end, _ = parse_time(rec["end"])
        except WhenError as err:
            raise RowError(line, "时间看不懂（可写 9:00、下午2点）/ cannot read the time") from err
        starts, ends = datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)
        names = [n for n in re.split(r"[、,，\s]+", rec["members"]) if n]
        place = rec["place"]
        backup = rec.get("backup", "").strip() or None
        if ends <= starts:
            raise RowError(line, "结束时间早于开始时间 / the end is before the start")
        if not place or not 1 <= len(names) <= 2:
            raise RowError(line, "需要地点和一到两名值班人 / needs a place and one or two members")
        if len(place) > PLACE:
            raise RowError(line, f"地点超过 {PLACE} 字 / the place is longer than {PLACE} characters")
        if len(set(names)) != len(names):
            raise RowError(line, f"同一人在一个班次里出现两次：{names[0]} / the same member twice in one shift")
        if backup is not None and (backup in names or len(backup.split()) != 1):
            raise RowError(line, f"备岗须是一名班次以外的人：{backup} / the backup must be one other member")
        if any(hidden_characters(n) for n in [place, *names, *([backup] if backup else [])]):
            raise RowError(line, "含有看不见的字符（零宽或方向控制）/ holds invisible characters")
        first = seen.setdefault((place, starts), line)
        if first != line:
            raise RowError(line, f"与第 {first} 行地点、开始时间相同 / same place and start as line {first}")
        rows.append(ShiftRow(line, starts, ends, place, names, backup))
    return table.encoding, rows


async def import_rota(
    db: Database,
    path: Path,
    region: str,
    tz: ZoneInfo,
    now: datetime,
    grace_min: int = 5,
    *,
    replace: bool = False,
) -> RotaReport:
    """Import in one transaction; conflicts (without `replace`) raise with every conflicting row."""
    encoding, rows = read_rota(path, tz, now)

    async def work(conn: AsyncConnection) -> RotaReport:
        uow = UnitOfWork(conn, now)
        reg = await uow.org.region_by_name(region)
        if reg is None:
            raise RowError(0, f"没有这个联合党委 / no such region: {region}")
        report = RotaReport(encoding)
        for row in rows:
            ids = []
            for name in [*row.names, *([row.backup] if row.backup else [])]:
                found = await uow.org.members_named(reg.id, name, None)
                if len(found) != 1:
                    raise RowError(row.line, f"花名册中找不到唯一的“{name}” / no single member named {name}")
                ids.append(found[0].id)
            backup_id = ids.pop() if row.backup else None
            shift_id = await uow.duty.find_shift(reg.id, row.place, row.starts_at)
            if shift_id is None:
                shift_id = await uow.duty.add_shift(
                    reg.id, row.place, row.starts_at, row.ends_at, ids, now, backup_id=backup_id
                )
                await queue_shift_pushes(uow, grace_min, shift_id)
                report.added.append(row.line)
                continue
            slots = await uow.duty.of_shift(shift_id)
            differs = []
            if slots and slots[0].ends_at != row.ends_at:
                differs.append(f"结束 {slots[0].ends_at.astimezone(tz):%H:%M}")
            if sorted(s.member_id for s in slots) != sorted(ids):
                differs.append("值班人 " + "、".join(s.name for s in slots))
            if await uow.duty.backup_of(shift_id) != backup_id:
                differs.append("备岗")
            if not differs:
                report.unchanged.append(row.line)
            elif not replace:
                report.conflicts.append((row.line, "，".join(differs)))
            elif any(s.checked_in_at is not None for s in slots):
                raise RowError(row.line, "这个班次已有人打卡，不能覆盖 / someone checked in to it already")
            else:
                await uow.duty.replace_shift(shift_id, row.ends_at, ids, backup_id)
                await uow.outbox.drop_pending(f"duty:{shift_id}:")
                await queue_shift_pushes(uow, grace_min, shift_id)
                report.updated.append(row.line)
        if report.conflicts:
            lines = "\n".join(f"  第 {n} 行 / line {n}: 与已有值班不同（已有：{d}）" for n, d in report.conflicts)
            raise RowError(
                0,
                f"{len(report.conflicts)} 行与已有值班不同，加 --replace 以文件为准 / "
                f"rows differ from the rota, add --replace to apply them:\n{lines}",
            )
        if report.added or report.updated:
            await uow.audit.record(
                actor=None,
                platform="cli",
                action="duty.import",
                detail={"file": path.name, "added": len(report.added), "updated": len(report.updated)},
                now=now,
            )
        return report

    return await db.unit(work)
