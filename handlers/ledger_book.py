"""The ledger (台账) as an XLSX workbook an inspection can read: one sheet per record kind, Chinese
headers (or English), frozen header row, fitted columns, real dates, printable (landscape, fit
to width, header row on every page), and a summary with native charts.

Written with XlsxWriter in constant-memory mode: rows leave memory as they are written, and the
large tables are streamed from the database (storage/ledger.py). User text is always written as
a string, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from markupsafe import Markup

from handlers import hosting
from handlers.i18n import render
from handlers.media import MediaStore
from storage.compliance import ReportRepo
from storage.ledger import LedgerRepo, PersonRow, Scope
from storage.records import ATTENDED, EventRec
from storage.repositories import UnitOfWork, expected_filter

log = logging.getLogger(__name__)

MAX_CELL = 32_767  # characters Excel keeps in one cell
NAMES_CELL = 2_000  # a list of names longer than this is cut, with "… and N more"
MATRIX_MAX_EVENTS = 200  # beyond this many events the attendance sheet is one row per mark
MAX_WIDTH = 60
THUMB_PX = 160


@lru_cache(maxsize=4)
def labels(locale: str) -> dict[str, str]:
    text = Markup(render("ledger.labels", locale)).unescape()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _plain(markup: Markup) -> str:
    return Markup(markup).unescape()


def _width(value: str) -> int:
    """Display width, near enough: a CJK character (3 bytes in UTF-8) takes two columns, ASCII one."""
    return (len(value.encode()) + len(value)) // 2


@dataclass
class BranchTotals:
    members: int = 0
    events: int = 0
    expected: int = 0
    present: int = 0
    shifts: int = 0
    shifts_kept: int = 0
    ideas: int = 0
    adopted: int = 0
    points: int = 0

    @property
    def rate(self) -> float:
        return self.present / self.expected if self.expected else 0.0


@dataclass
class LedgerStats:
    """What was written: rows per sheet, and the per-branch totals of the summary."""

    rows: dict[str, int] = field(default_factory=dict)
    events: int = 0
    members: int = 0
    totals: dict[str, BranchTotals] = field(default_factory=dict)
    ideas_by_status: Counter[str] = field(default_factory=Counter)


class _Sheet:
    """One worksheet written top to bottom: header row, then rows; widths fitted at the end."""

    def __init__(self, book: _Book, name: str, headers: list[str]) -> None:
        self.book = book
        self.ws = book.wb.add_worksheet(name[:31])
        self.widths = [_width(h) for h in headers]
        self.row_no = 0
        self.ws.freeze_panes(1, 0)
        self.ws.repeat_rows(0)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.fit_to_pages(1, 0)
        self.ws.set_header(f"&C{book.title.replace('&', '&&')}")
        self.ws.set_footer("&C&P / &N")
        for c, h in enumerate(headers):
            self.ws.write_string(0, c, h, book.head)

    def row(self, values: Iterable[Any]) -> int:
        self.row_no += 1
        r, b = self.row_no, self.book
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if c >= len(self.widths):
                self.widths.append(0)
            if isinstance(v, bool):
                v = b.yes if v else b.no
            if isinstance(v, str):
                v = v[:MAX_CELL]
                lines = "\n" in v
                longest = max(_width(line) for line in v.split("\n")) if lines else _width(v)
                self.ws.write_string(r, c, v, b.wrap if lines or longest > MAX_WIDTH else None)
                if longest > self.widths[c]:
                    self.widths[c] = min(longest, MAX_WIDTH)
            elif isinstance(v, datetime):
                self.ws.write_datetime(r, c, v.astimezone(b.tz).replace(tzinfo=None), b.datetime_fmt)
                self.widths[c] = max(self.widths[c], 16)
            elif isinstance(v, date):
                self.ws.write_datetime(r, c, datetime(v.year, v.month, v.day), b.date_fmt)
                self.widths[c] = max(self.widths[c], 10)
            elif isinstance(v, float):
                self.ws.write_number(r, c, v, b.percent)
                self.widths[c] = max(self.widths[c], 7)
            else:
                self.ws.write_number(r, c, v)
                self.widths[c] = max(self.widths[c], len(str(v)))
        return r

    def finish(self, filter_columns: int | None = None) -> int:
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w + 2)
        columns = filter_columns or len(self.widths)
        if self.row_no and columns:
            self.ws.autofilter(0, 0, self.row_no, columns - 1)
        return self.row_no


class _Book:
    def __init__(self, out: Path, tz: ZoneInfo, locale: str, title: str) -> None:
        self.wb = xlsxwriter.Workbook(
            str(out),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.tz, self.locale, self.title = tz, locale, title
        self.wb.set_properties({"title": title, "subject": "党建台账", "creator": "dangjian"})
        self.L = labels(locale)
        self.head = self.wb.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.date_fmt = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_fmt = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.percent = self.wb.add_format({"num_format": "0.0%"})
        self.yes, self.no = self.L["yes"], self.L["no"]
        self._kinds: dict[str, str] = {}
        self._reasons: dict[str, str] = {}

    def sheet(self, key: str, headers: str | list[str]) -> _Sheet:
        cols = self.L[headers].split("|") if isinstance(headers, str) else headers
        return _Sheet(self, self.L[f"sheet.{key}"], cols)

    def kind(self, kind: str) -> str:
        if kind not in self._kinds:
            self._kinds[kind] = _plain(render("common.kind", self.locale, k=kind))
        return self._kinds[kind]

    def reason(self, reason: str) -> str:
        """A points ledger reason as the chat shows it (cached: most reasons repeat)."""
        shown = self._reasons.get(reason)
        if shown is None:
            shown = _plain(render("points.reason", self.locale, r=reason))
            if len(self._reasons) < 50_000:
                self._reasons[reason] = shown
        return shown

    def role(self, role: str) -> str:
        key = f"role:{role}"
        if key not in self._kinds:
            self._kinds[key] = _plain(render("common.role", self.locale, r=role))
        return self._kinds[key]

    def label(self, key: str, default: str = "") -> str:
        return self.L.get(key, default)

    def names(self, names: list[str]) -> str:
        text = "、".join(names)
        if len(text) <= NAMES_CELL:
            return text
        cut = text[:NAMES_CELL].rsplit("、", 1)[0]
        shown = cut.count("、") + 1
        return cut + self.L["more"].format(n=len(names) - shown)


class Expected:
    """Who is expected at an event, found by branch and kind rather than by walking the roster."""

    def __init__(self, people: list[PersonRow], groups: dict[int, set[int]] | None = None) -> None:
        self.groups = groups or {}  # a Party group's members (its events expect them only)
        self.by_branch: dict[int, list[PersonRow]] = defaultdict(list)
        self.everyone = [p for p in people if p.active]
        for p in self.everyone:
            self.by_branch[p.branch_id].append(p)
        self._cache: dict[tuple[int | None, str], list[PersonRow]] = {}

    def of(self, event: EventRec) -> list[PersonRow]:
        if event.group_id is not None:
            members = self.groups.get(event.group_id, set())
            return [p for p in self.by_branch.get(event.branch_id or 0, []) if p.id in members and _expects(event, p)]
        key = (event.branch_id, event.kind)
        found = self._cache.get(key)
        if found is None:
            roles = expected_filter(event.kind)
            pool = self.everyone if event.branch_id is None else self.by_branch.get(event.branch_id, [])
            found = [p for p in pool if p.role in roles]
            if event.branch_id is None or len(self._cache) < 10_000:
                self._cache[key] = found
        return found


@dataclass
class _Run:
    """One export: what every sheet reads, and the totals the summary gathers as they are written."""

    book: _Book
    uow: UnitOfWork
    scope: Scope
    branches: dict[int, str]
    people: list[PersonRow]
    events: list[EventRec]
    totals: dict[int, BranchTotals]
    stats: LedgerStats
    media: MediaStore | None
    groups: dict[int, set[int]] = field(default_factory=dict)  # group id -> its members (not guests)

    @property
    def repo(self) -> LedgerRepo:
        return LedgerRepo(self.uow.conn)

    @property
    def now(self) -> datetime:
        return self.uow.now


def _expects(event: EventRec, person: PersonRow, groups: dict[int, set[int]] | None = None) -> bool:
    return (
        person.active
        and person.role in expected_filter(event.kind)
        and (event.branch_id is None or event.branch_id == person.branch_id)
        and (event.group_id is None or groups is None or person.id in groups.get(event.group_id, set()))
    )


async def write_ledger(
    uow: UnitOfWork,
    scope: Scope,
    out: Path,
    *,
    tz: ZoneInfo,
    locale: str,
    title: str,
    media: MediaStore | None = None,
    matrix_max_events: int = MATRIX_MAX_EVENTS,
) -> LedgerStats:
    """Write the ledger of a region (or one branch) for a period to `out`."""
    repo = LedgerRepo(uow.conn)
    book = _Book(out, tz, locale, title)
    stats = LedgerStats()
    branches = await repo.branches(scope)
    people = await repo.people(scope)
    events = await repo.events(scope)
    stats.events, stats.members = len(events), sum(p.active for p in people)
    totals = {bid: BranchTotals() for bid in branches}
    for p in people:
        if p.active and p.branch_id in totals:
            totals[p.branch_id].members += 1

    head = book.L["summary"].split("|")
    summary = book.sheet("summary", [*head, "", book.label("chart.ideas"), "#"])  # first in the book, filled last
    groups = {
        g: {m.member_id for m in await uow.groups.members(g) if not m.guest}
        for g in {e.group_id for e in events if e.group_id is not None}
    }
    run = _Run(book, uow, scope, branches, people, events, totals, stats, media, groups)
    await _events_sheet(run)
    await _matrix_sheet(run, matrix_max_events)
    for write in (
        _duty_sheet,
        _ideas_sheet,
        _points_sheet,
        _store_sheet,
        _rotation_sheet,
        _lessons_sheet,
        _audit_sheet,
    ):
        await write(run)
    await _photos_sheet(run)
    await _monthly_sheet(run)
    await _evaluation_sheet(run)
    _summary_sheet(run, summary)
    stats.totals = {branches[b]: t for b, t in totals.items()}
    book.wb.close()
    return stats


async def _events_sheet(run: _Run) -> None:
    book, repo, scope, people = run.book, run.repo, run.scope, run.people
    branches, totals, now, stats = run.branches, run.totals, run.now, run.stats
    events, by_id = run.events, {p.id: p for p in run.people}
    sheet = book.sheet("events", "events")
    records = await repo.records(scope)
    photo_count = Counter(p.event_id for p in await repo.photos(scope))
    rows: dict[int, list[Any]] = defaultdict(list)
    pending = iter(events)
    current: EventRec | None = None
    expect = Expected(people, run.groups)

    def flush(event: EventRec) -> None:
        marks = rows.pop(event.id, [])
        expected = expect.of(event)
        expected_ids = {p.id for p in expected}
        seen = {r.member_id for r in marks if r.status != "absent"}
        present = [r for r in marks if r.status in ATTENDED]
        late = [r for r in marks if r.status == "late"]
        leave = [r for r in marks if r.status == "leave"]
        held = event.status != "cancelled" and event.starts_at <= now
        absent = [p for p in expected if p.id not in seen] if held else []
        if held and event.status != "cancelled":
            for bid in {p.branch_id for p in expected} & set(totals):
                totals[bid].events += 1
            for p in expected:
                if p.branch_id in totals:
                    totals[p.branch_id].expected += 1
            for r in present:
                person = by_id.get(r.member_id)
                if person is not None and r.member_id in expected_ids and person.branch_id in totals:
                    totals[person.branch_id].present += 1

        def name(member_id: int) -> str:
            person = by_id.get(member_id)
            return person.name if person else "?"

        def tagged(r: Any) -> str:
            tag = {"remote": book.label("mark.remote"), "makeup": book.label("mark.makeup")}.get(r.status)
            return f"{name(r.member_id)}({tag})" if tag else name(r.member_id)

        local = event.starts_at.astimezone(book.tz)
        scope_name = branches.get(event.branch_id, "?") if event.branch_id else book.label("region_scope")
        sheet.row(
            [
                event.id,
                book.kind(event.kind),
                scope_name,
                local.date(),
                local.strftime("%H:%M"),
                event.place,
                event.topic,
                event.lecturer,
                book.label(f"state.{'closed' if event.status == 'scheduled' and held else event.status}", event.status),
                len(expected),
                sum(1 for r in present if r.member_id in expected_ids),
                len(late),
                len(leave),
                len(absent) if held else None,
                book.names([tagged(r) for r in present]),
                book.names([name(r.member_id) for r in late]),
                book.names([f"{name(r.member_id)}（{r.reason}）" if r.reason else name(r.member_id) for r in leave]),
                book.names([p.name for p in absent]),
                records.get(event.id),
                photo_count.get(event.id) or None,
            ]
        )

    async for r in repo.attendance(scope, by_member=False):
        while current is None or current.id != r.event_id:
            if current is not None:
                flush(current)
            current = next(pending, None)
            if current is None:
                break
        if current is None:
            break
        rows[r.event_id].append(r)
    if current is not None:
        flush(current)
    for event in pending:
        flush(event)
    stats.rows["events"] = sheet.finish()


async def _matrix_sheet(run: _Run, max_events: int) -> None:
    """Members down, events across, a mark in each cell. When the period has more events than fit
    across (a large region's year), months go across instead: present / expected in each."""
    book, repo, scope, events = run.book, run.repo, run.scope, run.events
    people, branches, now, stats = run.people, run.branches, run.now, run.stats
    held = [e for e in events if e.status != "cancelled"]
    by_month = len(held) > max_events
    marks = {s: book.label(f"mark.{s}") for s in ("on_time", "late", "remote", "makeup", "leave", "absent")}
    head = book.L["matrix"].split("|")
    months = sorted({_month(e, book.tz) for e in held})
    if by_month:
        columns = list(months)
    else:
        columns = [f"#{e.id} {e.starts_at.astimezone(book.tz):%m-%d} {book.kind(e.kind)}" for e in held]
    sheet = book.sheet("matrix", head[:3] + columns + head[3:])
    position = {e.id: i for i, e in enumerate(held)}
    month_of = {e.id: months.index(_month(e, book.tz)) for e in held} if by_month else {}
    branch_events: dict[int | None, list[EventRec]] = defaultdict(list)
    for e in held:
        branch_events[e.branch_id].append(e)
    stream = repo.attendance(scope, by_member=True)
    nxt = await anext(stream, None)
    for person in people:
        got: dict[int, Any] = {}
        while nxt is not None and nxt.member_id == person.id:
            if nxt.event_id in position:
                got[nxt.event_id] = nxt
            nxt = await anext(stream, None)
        if not person.active and not got:
            continue
        candidates = branch_events[None] + branch_events.get(person.branch_id, [])
        due = {e.id for e in candidates if e.starts_at <= now and _expects(e, person, run.groups)}
        present = {i for i, r in got.items() if r.status in ATTENDED}
        if by_month:
            expected_in, present_in = [0] * len(months), [0] * len(months)
            for event_id in due:
                expected_in[month_of[event_id]] += 1
                present_in[month_of[event_id]] += event_id in present
            cells: list[Any] = [f"{p}/{n}" if n else None for p, n in zip(present_in, expected_in, strict=True)]
        else:
            cells = [None] * len(held)
            for e in held:
                r = got.get(e.id)
                if r is not None:
                    cells[position[e.id]] = marks.get(r.status, r.status)
                elif e.id in due:
                    cells[position[e.id]] = marks["absent"]
        rate = len(due & present) / len(due) if due else None
        sheet.row([branches.get(person.branch_id), person.name, book.role(person.role), *cells, rate])
    stats.rows["matrix"] = sheet.finish()


def _month(event: EventRec, tz: ZoneInfo) -> str:
    return f"{event.starts_at.astimezone(tz):%Y-%m}"


def _duty_result(book: _Book, r: Any, now: datetime) -> str:
    if r.checked_in_at is None:
        return book.label("duty.missed" if r.ends_at < now else "duty.coming")
    if r.checked_out_at is None and r.ends_at < now:
        return book.label("duty.unsigned")
    if r.arrival == "late":
        return book.label("duty.late")
    if r.departure == "early":
        return book.label("duty.early")
    return book.label("duty.kept")


async def _duty_sheet(run: _Run) -> None:
    book, repo, scope, branches = run.book, run.repo, run.scope, run.branches
    totals, now, stats = run.totals, run.now, run.stats
    sheet = book.sheet("duty", "duty")
    swaps = await repo.swaps(scope)
    async for r in repo.duty(scope):
        start = r.starts_at.astimezone(book.tz)
        t = totals.get(r.branch_id)
        if t is not None and r.starts_at <= now:
            t.shifts += 1
            t.shifts_kept += r.checked_in_at is not None
        sheet.row(
            [
                start.date(),
                start.strftime("%H:%M"),
                r.ends_at.astimezone(book.tz).strftime("%H:%M"),
                r.place,
                r.name,
                branches.get(r.branch_id),
                r.checked_in_at,
                r.checked_out_at,
                book.label(f"arrival.{r.arrival}") if r.arrival else None,
                book.label(f"departure.{r.departure}") if r.departure else None,
                _duty_result(book, r, now),
                "\n".join(f"{a} → {b}（{book.label(f'swap.{s}', s)}）" for a, b, s in swaps.get(r.id, [])),
                r.log,
            ]
        )
    stats.rows["duty"] = sheet.finish()


async def _ideas_sheet(run: _Run) -> None:
    """Every idea of the scope's members. The ledger is read by those who manage its authors, so
    an anonymous author is named there, with the anonymous column saying so."""
    book, repo, scope, branches, totals, stats = run.book, run.repo, run.scope, run.branches, run.totals, run.stats
    sheet = book.sheet("ideas", "ideas")
    ideas = await repo.ideas(scope)
    steps = await repo.idea_steps(scope)
    status_name = {
        s: _plain(render("ideas.statusname", book.locale, s=s))
        for s in ("pending", "adopted", "rejected", "implementing", "implemented")
    }
    for idea_id, number, text, category, author, branch_id, anonymous, status, created, votes in ideas:
        history = steps.get(idea_id, [])
        adopted = next((at for s, _n, _b, at in history if s == "adopted"), None)
        benefit = next((n for s, n, _b, _a in reversed(history) if s == "implemented" and n), None)
        t = totals.get(branch_id)
        if t is not None:
            t.ideas += 1
            t.adopted += adopted is not None
        stats.ideas_by_status[status_name.get(status, status)] += 1
        sheet.row(
            [
                number,
                created.astimezone(book.tz).date(),
                text,
                category,
                author,
                branches.get(branch_id),
                bool(anonymous),
                int(votes or 0),
                status_name.get(status, status),
                "\n".join(
                    f"{at.astimezone(book.tz):%Y-%m-%d} {status_name.get(s, s)}"
                    + (f"（{by}）" if by else "")
                    + (f"：{note}" if note else "")
                    for s, note, by, at in history
                ),
                adopted.astimezone(book.tz).date() if adopted else None,
                benefit,
            ]
        )
    stats.rows["ideas"] = sheet.finish()


async def _points_sheet(run: _Run) -> None:
    book, repo, scope, branches, totals, stats = run.book, run.repo, run.scope, run.branches, run.totals, run.stats
    sheet = book.sheet("points", "points")
    async for at, name, branch_id, amount, reason, source, operator in repo.points(scope):
        t = totals.get(branch_id)
        if t is not None and amount > 0 and source != "store":
            t.points += amount
        sheet.row(
            [
                at,
                name,
                branches.get(branch_id),
                amount,
                book.reason(reason),
                book.label(f"source.{source}", source),
                operator,
            ]
        )
    stats.rows["points"] = sheet.finish()


async def _store_sheet(run: _Run) -> None:
    book, repo, scope, branches, stats = run.book, run.repo, run.scope, run.branches, run.stats
    sheet = book.sheet("store", "store")
    for created, name, branch_id, item, price, status, decider, decided in await repo.redemptions(scope):
        sheet.row(
            [
                created,
                name,
                branches.get(branch_id),
                item,
                price,
                book.label(f"redeem.{status}", status),
                decider,
                decided,
            ]
        )
    stats.rows["store"] = sheet.finish()


async def _rotation_sheet(run: _Run) -> None:
    """Who hosted each period of the export (as recorded when it opened), the activity held and
    its attendance."""
    book, uow, scope, stats = run.book, run.uow, run.scope, run.stats
    sheet = book.sheet("rotation", "rotation")
    first, last = scope.start.astimezone(book.tz).date(), scope.end.astimezone(book.tz).date()
    for view in reversed(await hosting.history(uow, scope.region_id, book.tz, limit=200)):
        if view.turn.end <= first or view.turn.start >= last or scope.branch_id not in (None, view.branch_id):
            continue
        held = view.held
        sheet.row(
            [
                view.turn.key.removesuffix("Q") + (" Q" if view.turn.cadence == "quarter" else ""),
                view.host,
                held.starts_at if held else None,
                held.topic if held else None,
                view.expected if held else None,
                view.present if held else None,
            ]
        )
    stats.rows["rotation"] = sheet.finish()


async def _lessons_sheet(run: _Run) -> None:
    """讲师授课: each lesson given on request (点单) in the period, its lecturer, who came and how
    it was rated."""
    book, uow, scope, branches, stats = run.book, run.uow, run.scope, run.branches, run.stats
    sheet = book.sheet("lessons", "lessons")
    given = await uow.lessons.lessons(scope.region_id, scope.start, scope.end)
    events = {e.id: e for e in run.events}
    present = await uow.attendance.present_by([event_id for event_id, *_ in given])
    for event_id, lecturer, ratings, average in given:
        event = events.get(event_id)
        if event is None or (scope.branch_id is not None and event.branch_id not in (None, scope.branch_id)):
            continue
        state = "closed" if event.status == "scheduled" and event.starts_at <= run.now else event.status
        came = sum(n for (e, b, _), n in present.items() if e == event_id and scope.branch_id in (None, b))
        sheet.row(
            [
                event.starts_at,
                lecturer,
                event.topic,
                branches.get(event.branch_id, "?") if event.branch_id else book.label("region_scope"),
                book.label(f"state.{state}", event.status),
                came,
                ratings,
                round(average, 1) if average is not None else None,
            ]
        )
    stats.rows["lessons"] = sheet.finish()


async def _audit_sheet(run: _Run) -> None:
    book, repo, scope, branches, stats = run.book, run.repo, run.scope, run.branches, run.stats
    sheet = book.sheet("audit", "audit")
    async for at, actor, branch_id, platform, action, detail in repo.audit(scope):
        try:
            data = json.loads(detail) if detail else {}
            shown = "；".join(f"{k}: {v}" for k, v in data.items()) if isinstance(data, dict) else str(detail)
        except ValueError:
            shown = str(detail)
        sheet.row([at, actor, branches.get(branch_id), platform, action, shown])
    stats.rows["audit"] = sheet.finish()


async def _photos_sheet(run: _Run) -> None:
    """Thumbnails of the meeting photos, one a row."""
    book, repo, scope, events, media, stats = run.book, run.repo, run.scope, run.events, run.media, run.stats
    sheet = book.sheet("photos", "photos")
    by_id = {e.id: e for e in events}
    column = len(book.L["photos"].split("|")) - 1
    sheet.widths[column] = 26
    for photo in await repo.photos(scope):
        event = by_id[photo.event_id]
        r = sheet.row(
            [
                event.id,
                event.starts_at.astimezone(book.tz).date(),
                book.kind(event.kind),
                photo.by,
                photo.at,
                round(photo.size / 1024, 1),
            ]
        )
        thumb = media.thumbnail(photo.sha256, THUMB_PX) if media is not None else None
        if thumb is None:
            sheet.ws.write_string(r, column, book.label("missing"))
            continue
        data, _width, height = thumb
        sheet.ws.set_row(r, height * 0.75 + 4)
        sheet.ws.insert_image(
            r, column, f"{photo.sha256[:12]}.png", {"image_data": io.BytesIO(data), "x_offset": 2, "y_offset": 2}
        )
    stats.rows["photos"] = sheet.finish()


async def _monthly_sheet(run: _Run) -> None:
    """Each branch's monthly narrative (月报) in the period; 未报送 for a month whose report is due."""
    book, scope, stats = run.book, run.scope, run.stats
    sheet = book.sheet("monthly", "monthly")
    first, last = scope.start.astimezone(book.tz), (scope.end - timedelta(seconds=1)).astimezone(book.tz)
    sent = {(m, b): (t, at) for m, b, t, at in await ReportRepo(run.uow.conn).between(
        scope.region_id, f"{first:%Y-%m}", f"{last:%Y-%m}")}  # fmt: skip
    index, stop = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    now = run.now.astimezone(book.tz)
    while index <= stop:
        month = date(index // 12, index % 12 + 1, 1)
        due = datetime(month.year + month.month // 12, month.month % 12 + 1, 5, 9, tzinfo=book.tz) <= now
        for branch_id, name in run.branches.items():
            text, at = sent.get((f"{month:%Y-%m}", branch_id), (None, None))
            if text is not None or due:
                sheet.row([f"{month:%Y-%m}", name, at, text if text is not None else book.label("not_sent")])
        index += 1
    stats.rows["monthly"] = sheet.finish()


async def _evaluation_sheet(run: _Run) -> None:
    """The yearly evaluation (年评) of each year the period touches, as 年度考评 ranks it: the rank
    among the region's branches, total, stars, tier and the five dimensions (a branch's own row only
    in a branch's ledger)."""
    from handlers.evaluation import DIMENSIONS, evaluate  # the evaluation reads the ledger's periods

    book, scope = run.book, run.scope
    sheet = book.sheet("evaluation", "evaluation")
    first, last = scope.start.astimezone(book.tz).year, (scope.end - timedelta(seconds=1)).astimezone(book.tz).year
    for year in range(first, min(last, run.now.astimezone(book.tz).year) + 1):
        for rank, s in enumerate(await evaluate(run.uow, scope.region_id, year, book.tz), start=1):
            if scope.branch_id in (None, s.branch_id):
                tier = book.label(f"tier.{s.tier}")
                sheet.row([year, rank, s.name, round(s.total, 1), "★" * s.stars, tier,
                           *(round(s.scores[d], 1) for d in DIMENSIONS)])  # fmt: skip
    run.stats.rows["evaluation"] = sheet.finish()


def _summary_sheet(run: _Run, sheet: _Sheet) -> None:
    """Per branch: events held, attendance, duty, ideas and points, and beside them the ideas by
    status; with native charts of the same (the columns they draw are fixed below)."""
    book, branches, totals, stats = run.book, run.branches, run.totals, run.stats
    width = len(book.L["summary"].split("|"))
    statuses = sorted(stats.ideas_by_status.items())
    names = list(branches.items())
    for i in range(max(len(names), len(statuses))):
        cells: list[Any] = [None] * width
        if i < len(names):
            t = totals[names[i][0]]
            cells = [names[i][1], t.members, t.events, t.expected, t.present, t.rate]
            cells += [t.shifts, t.shifts_kept, t.ideas, t.adopted, t.points]
        sheet.row([*cells, None, *(statuses[i] if i < len(statuses) else (None, None))])
    stats.rows["summary"] = len(names)
    sheet.finish(filter_columns=width)
    name = book.L["sheet.summary"]
    below = max(len(names), len(statuses)) + 3
    if names:
        last = len(names)
        rate = book.wb.add_chart({"type": "column"})
        rate.add_series(
            {
                "name": book.label("chart.rate"),
                "categories": [name, 1, 0, last, 0],
                "values": [name, 1, 5, last, 5],
                "data_labels": {"value": True, "num_format": "0%"},
                "fill": {"color": "#C00000"},
            }
        )
        rate.set_title({"name": book.label("chart.rate")})
        rate.set_legend({"none": True})
        rate.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        sheet.ws.insert_chart(below, 0, rate, {"x_scale": 1.3, "y_scale": 1.1})
        points = book.wb.add_chart({"type": "bar"})
        points.add_series(
            {
                "name": book.label("chart.points"),
                "categories": [name, 1, 0, last, 0],
                "values": [name, 1, 10, last, 10],
                "fill": {"color": "#E46C0A"},
            }
        )
        points.set_title({"name": book.label("chart.points")})
        points.set_legend({"none": True})
        sheet.ws.insert_chart(below, 6, points, {"x_scale": 1.1, "y_scale": 1.1})
    if statuses:
        ideas = book.wb.add_chart({"type": "pie"})
        ideas.add_series(
            {
                "name": book.label("chart.ideas"),
                "categories": [name, 1, width + 1, len(statuses), width + 1],
                "values": [name, 1, width + 2, len(statuses), width + 2],
                "data_labels": {"value": True, "category": True},
            }
        )
        ideas.set_title({"name": book.label("chart.ideas")})
        sheet.ws.insert_chart(below, 12, ideas, {"x_scale": 0.9, "y_scale": 1.1})
