"""The ledger (台账) as an XLSX workbook an inspection can read: one sheet per record kind, each
with its title, Chinese headers (or English), real dates and Beijing times, every code as its
label, and under the table the export time and the lines to sign (填报人 / 审核人 / 日期); a
summary with the region's total and native charts. Printable on A4 landscape: a sheet is fitted to
the page width only while its text stays at 9 pt or more, a wider one spreads over pages with its
key columns and the title and header rows repeated; long text wraps in fixed columns.

Written with XlsxWriter in constant-memory mode: rows leave memory as they are written, and the
large tables are streamed from the database (storage/repos/ledger.py). User text is always written as
a string, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import io
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from handlers import hosting
from handlers.core.audit_log import AuditReader
from handlers.core.event_ref import sides
from handlers.core.expected import Expected, expected_filter, expects, party_groups
from handlers.core.i18n import render
from handlers.core.media import LEDGER_THUMB, MediaStore
from handlers.core.workbook import (
    DETAIL_MAX_ROWS,
    MATRIX_MAX_EVENTS,
    Book,
    BranchTotals,
    LedgerStats,
    Sheet,
    plain_text,
)
from handlers.dues import Band, band_of, base_in, month_key, months_between
from handlers.duty import shift_state
from handlers.recruits import next_step
from handlers.signin import build_summary
from handlers.terms import standings
from storage.records import ATTENDED, EventRec, rate_of
from storage.repos.ledger import LedgerRepo, PersonRow, Scope
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class _Run:
    """One export: what every sheet reads, and the totals the summary gathers as they are written."""

    book: Book
    uow: UnitOfWork
    scope: Scope
    branches: dict[int, str]
    people: list[PersonRow]
    events: list[EventRec]
    totals: dict[int, BranchTotals]
    stats: LedgerStats
    media: MediaStore | None
    groups: dict[int, set[int]] = field(default_factory=dict)  # group id -> its members (not guests)
    started: date = date.min  # the region's 启用日期
    grace: timedelta = timedelta(minutes=5)  # a shift's check-in grace (the policy's)
    # a large region's ledger: a row per branch or member where a small one has a row per entry
    # (the entries are in each branch's ledger)
    summarized: bool = False
    # (branch id, "YYYY-MM") -> [expected, present] over the held events, gathered by the events sheet
    monthly: dict[tuple[int, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # a joint event's (expected, present; None before it is held), gathered by the events sheet
    joint: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    # a joint event held with another region's branch: that side, as (region, branch)
    far: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def repo(self) -> LedgerRepo:
        return self.uow.ledger

    @property
    def now(self) -> datetime:
        return self.uow.now


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
    detail_max_rows: int = DETAIL_MAX_ROWS,
    grace_min: int = 5,
    size: int | None = None,
    summarize: bool | None = None,
) -> LedgerStats:
    """Write the ledger of a region (or one branch) for a period to `out`. A region whose
    attendance and points rows are more than `detail_max_rows` gets its matrix per branch, its
    points per member, and names and photos only of the region's own events: an inspector reads a
    large region's summaries, and each branch's ledger holds its detail. `size`: the scope's
    attendance and points rows, when counted already; `summarize`: a region's summaries whatever
    its size (True), or never (False)."""
    repo = uow.ledger
    book = Book(out, tz, locale, title, uow.now)
    stats = LedgerStats()
    branches = await repo.branches(scope)
    people = await repo.people(scope)
    events = await repo.events(scope)
    last = min(scope.end, uow.now) - timedelta(microseconds=1)  # the members counted: those at the period's end
    roll = [p for p in people if p.active and p.holds(last)]
    stats.events, stats.members = len(events), len(roll)
    totals = {bid: BranchTotals() for bid in branches}
    for p in roll:
        if p.branch_id in totals:
            totals[p.branch_id].members += 1

    summary = book.sheet("summary", "summary", caps={0: 16} | {c: 6 for c in range(1, 11)})  # filled last
    groups = await party_groups(uow, events)
    started = (await uow.org.region(scope.region_id)).start(tz)
    summarized = scope.branch_id is None and (  # a branch's ledger is never one of summaries: not counted
        summarize
        if summarize is not None
        else summarizes(scope, size if size is not None else await repo.size(scope), detail_max_rows)
    )
    run = _Run(book, uow, scope, branches, people, events, totals, stats, media, groups, started,
               timedelta(minutes=grace_min), summarized)  # fmt: skip
    run.far = await uow.events.joint_sides(scope.region_id)
    stats.summarized = summarized
    await _events_sheets(run)
    await (_branch_matrix_sheet(run) if summarized else _matrix_sheet(run, matrix_max_events))
    for write in (
        _duty_sheet,
        _ideas_sheet,
        _member_points_sheet if summarized else _points_sheet,
        _store_sheet,
        _rotation_sheet,
        _lessons_sheet,
        _audit_sheet,
    ):
        await write(run)
    await _photos_sheet(run)
    await _monthly_sheet(run)
    await _evaluation_sheet(run)
    await _transfers_sheet(run)
    await _recruits_sheet(run)
    await _mobile_sheet(run)
    await _terms_sheet(run)
    await _dues_sheet(run)
    await _commendations_sheet(run)
    await _guidance_sheet(run)
    await _appraisals_sheet(run)
    await _units_sheet(run)
    await _pairings_sheet(run)
    _summary_sheet(run, summary)
    stats.totals = {branches[b]: t for b, t in totals.items()}
    book.wb.close()
    return stats


# attendance and points rows a workbook takes per second (bench/export.py: 10,000–25,000 written, 60,000
# to 150,000 counted for a large region's summaries, on 2-core machines of different speeds)
ROWS_PER_S = 15_000
SUMMARY_ROWS_PER_S = 50_000


def summarizes(scope: Scope, rows: int, detail_max_rows: int = DETAIL_MAX_ROWS) -> bool:
    """Whether the ledger of a scope with this many attendance and points rows is one of summaries."""
    return scope.branch_id is None and rows > detail_max_rows


def seconds_to_write(scope: Scope, rows: int) -> float:
    """About how long the workbook takes, from its attendance and points rows."""
    return rows / (SUMMARY_ROWS_PER_S if summarizes(scope, rows) else ROWS_PER_S)


def _mark(r: Any) -> str:
    """An attendance row's status, a make-up the member entered themselves told apart (本人补签)."""
    return "self_makeup" if r.status == "makeup" and r.recorded_by == r.member_id else str(r.status)


async def _events_sheets(run: _Run) -> None:
    """活动台账: one row per event with its counts (fits a printed page); 出席名单与会议记录: the
    same events with who came, who was on leave and who was absent, and the meeting record, in
    columns wide enough to wrap. An event not started yet has no absentees and no rate. A large
    region's ledger lists the region's own events; its branches' events are counted, not listed."""
    book, repo, scope, people = run.book, run.repo, run.scope, run.people
    branches, now, stats = run.branches, run.now, run.stats
    events = run.events
    stays: dict[int, list[PersonRow]] = defaultdict(list)
    for p in people:
        stays[p.id].append(p)

    def person_at(member_id: int, at: datetime) -> PersonRow | None:
        """The member's stay at that instant (None: not the scope's member then)."""
        return next((p for p in stays.get(member_id, ()) if p.holds(at)), None)

    expect = Expected(people, scope.start, scope.end, run.groups)
    if run.summarized:
        events = [e for e in events if e.branch_id is None]
        await _count_branch_events(run, expect)
    sheet = book.sheet("events", "events", caps={1: 10, 2: 12, 4: 12, 5: 18, 6: 6, 12: 6}, keys=1)
    lists = book.sheet("names", "names", caps={0: 14, 1: 26, 2: 16, 3: 16, 4: 34}, keys=1)
    records = await repo.records(scope)
    photo_count = Counter(p.event_id for p in await repo.photos(scope))
    rows: dict[int, list[Any]] = defaultdict(list)
    pending = iter(events)
    current: EventRec | None = None

    def flush(event: EventRec) -> None:
        marks = rows.pop(event.id, [])
        expected = expect.of(event)
        expected_ids = {p.id for p in expected}
        seen = {r.member_id for r in marks if r.status != "absent"}
        present = [r for r in marks if r.status in ATTENDED]
        late = [r for r in marks if r.status == "late"]
        leave = [r for r in marks if r.status == "leave"]
        state = event.state(now)
        held = state in ("running", "ended")
        absent = [p for p in expected if p.id not in seen] if held else []
        came = sum(1 for r in present if r.member_id in expected_ids)
        excused = sum(1 for r in leave if r.member_id in expected_ids)
        if held:  # counted per branch: expected, present, on leave
            counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
            for p in expected:
                counts[p.branch_id][0] += 1
            for r in present + leave:
                person = person_at(r.member_id, event.starts_at)
                if person is not None and r.member_id in expected_ids:
                    counts[person.branch_id][2 if r.status == "leave" else 1] += 1
            month = _month(event, book.tz)
            for branch_id, (n, came_in, on_leave) in counts.items():
                _tally(run, branch_id, month, n, came_in, on_leave)

        def name(member_id: int) -> str:
            known = stays.get(member_id)
            return known[0].name if known else "?"

        def tagged(r: Any) -> str:
            mark = _mark(r)
            tag = book.label(f"tag.{mark}") if mark in ("late", "remote", "makeup", "self_makeup") else ""
            return f"{name(r.member_id)}（{tag}）" if tag else name(r.member_id)

        local = event.starts_at.astimezone(book.tz)
        scope_name = "＋".join(
            [sides(event, branches) or book.label("region_scope")] + [f"{r} {b}" for r, b in run.far.get(event.id, ())]
        )
        if event.partners:
            run.joint[event.id] = (len(expected), came if held else None)
        rate = rate_of(len(expected), came, excused) if held else None
        topic = event.topic + (book.label("lecturer").format(name=event.lecturer) if event.lecturer else "")
        sheet.row(
            [
                event.id,
                book.kind(event.kind),
                scope_name,
                event.starts_at,
                event.place,
                topic,
                book.term("event_state", state),
                len(expected),
                came if held else None,
                len(late) if held else None,
                len(leave),
                len(absent) if held else None,
                None if rate is None else came / len(expected),
                photo_count.get(event.id) or None,
            ]
        )
        lists.row(
            [
                f"#{event.id} {book.kind(event.kind)}\n{local:%Y-%m-%d %H:%M}\n{scope_name}",
                book.names([tagged(r) for r in present]),
                book.names([f"{name(r.member_id)}（{r.reason}）" if r.reason else name(r.member_id) for r in leave]),
                book.names([p.name for p in absent]),
                records.get(event.id),
            ]
        )

    async for r in repo.attendance(scope, by_member=False, region_events=run.summarized):
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
    only = book.label("region_events_only").format(n=len(run.events) - len(events)) if run.summarized else None
    stats.rows["events"] = sheet.finish(legend=only)
    stats.rows["names"] = lists.finish(legend=only)


def _tally(run: _Run, branch_id: int, month: str, expected: int, present: int, leave: int) -> None:
    """A held event's counts of one branch's members, into the summary's totals and the month."""
    t = run.totals.get(branch_id)
    if t is None or not expected:
        return
    t.events += 1
    t.expected += expected
    t.present += present
    t.leave += leave
    cell = run.monthly[(branch_id, month)]
    cell[0] += expected
    cell[1] += present


async def _count_branch_events(run: _Run, expect: Expected) -> None:
    """A large region's branch events, counted in the database by branch, role and mark (a Party
    group's meeting, which expects its members only, read member by member)."""
    counts = await run.repo.branch_event_counts(run.scope)
    for event in run.events:
        branch_id = event.branch_id
        if branch_id is None or event.state(run.now) not in ("running", "ended"):
            continue
        roles = expected_filter(event.kind)
        if event.group_id is not None:
            ids = {p.id for p in expect.of(event)}
            marks = [r for r in await run.uow.attendance.for_event(event.id) if r.member_id in ids]
            present = sum(r.status in ATTENDED for r in marks)
            leave = sum(r.status == "leave" for r in marks)
            _tally(run, branch_id, _month(event, run.book.tz), len(ids), present, leave)
            continue
        present = leave = 0
        for branch, role, status, n in counts.get(event.id, ()):
            if branch == branch_id and role in roles:
                present += n if status in ATTENDED else 0
                leave += n if status == "leave" else 0
        _tally(run, branch_id, _month(event, run.book.tz), len(expect.of(event)), present, leave)


async def _matrix_sheet(run: _Run, max_events: int) -> None:
    """Members down, events across, a mark in each cell, and after each branch's members its
    subtotal (present / expected per event). When the period has more events than fit across (a
    large region's year), months go across instead: present / expected in each."""
    book, repo, scope, events = run.book, run.repo, run.scope, run.events
    people, branches, now, stats = run.people, run.branches, run.now, run.stats
    held = [e for e in events if e.status != "cancelled"]
    by_month = len(held) > max_events
    marks = {s: book.label(f"mark.{s}") for s in ("on_time", "late", "remote", "makeup", "self_makeup", "leave")}
    marks["absent"] = book.label("mark.absent")
    head = book.L["matrix"].split("|")
    months = sorted({_month(e, book.tz) for e in held})
    if by_month:
        columns = list(months)
    else:
        columns = [f"#{e.id} {e.starts_at.astimezone(book.tz):%m-%d} {book.kind(e.kind)}" for e in held]
    caps = {c: 8 for c in range(3, 3 + len(columns))} | {0: 16}
    sheet = book.sheet("matrix", head[:3] + columns + head[3:], caps=caps, keys=3)
    position = {e.id: i for i, e in enumerate(held)}
    month_of = {e.id: months.index(_month(e, book.tz)) for e in held} if by_month else {}
    branch_events: dict[int | None, list[EventRec]] = defaultdict(list)
    for e in held:
        branch_events[e.branch_id].append(e)
    stream = repo.attendance(scope, by_member=True)
    nxt = await anext(stream, None)
    width = len(months) if by_month else len(held)
    sub_expected, sub_present = [0] * width, [0] * width
    last_branch: int | None = None

    def subtotal(branch_id: int | None) -> None:
        if branch_id is None or not any(sub_expected):
            return
        cells = [f"{p}/{n}" if n else None for p, n in zip(sub_present, sub_expected, strict=True)]
        rate = sum(sub_present) / sum(sub_expected)
        sheet.row([branches.get(branch_id), book.label("subtotal"), None, *cells, rate], fmt=book.bold)
        sub_expected[:], sub_present[:] = [0] * width, [0] * width

    def before(r: Any, person: PersonRow) -> bool:
        """Whether a mark comes before this stay in the stream's order (one of no stay listed)."""
        key, here = (r.branch_id, r.member_id), (person.branch_id, person.id)
        return key < here or (key == here and person.since is not None and r.starts_at < person.since)

    for person in people:  # stays, in the stream's order: branch, member, time
        got: dict[int, Any] = {}
        while nxt is not None and before(nxt, person):
            nxt = await anext(stream, None)
        while nxt is not None and (nxt.branch_id, nxt.member_id) == (person.branch_id, person.id):
            if not person.holds(nxt.starts_at):
                break
            if nxt.event_id in position:
                got[nxt.event_id] = nxt
            nxt = await anext(stream, None)
        if not person.active and not got:
            continue
        if person.branch_id != last_branch:
            subtotal(last_branch)
            last_branch = person.branch_id
        candidates = branch_events[None] + branch_events.get(person.branch_id, [])
        due = {e.id for e in candidates if e.starts_at <= now and expects(e, person, run.groups)}
        present = {i for i, r in got.items() if r.status in ATTENDED}
        for event_id in due:
            column = month_of[event_id] if by_month else position[event_id]
            sub_expected[column] += 1
            sub_present[column] += event_id in present
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
                if r is not None and (r.status != "absent" or e.id in due):
                    cells[position[e.id]] = marks.get(_mark(r), "")
                elif e.id in due:
                    cells[position[e.id]] = marks["absent"]
        rate = len(due & present) / len(due) if due else None
        sheet.row([branches.get(person.branch_id), person.name, book.role(person.role), *cells, rate])
    subtotal(last_branch)
    stats.rows["matrix"] = sheet.finish(legend=book.label("legend"))


async def _branch_matrix_sheet(run: _Run) -> None:
    """A large region's attendance: branches down, months across, present / expected in each (the
    events sheet gathered them), the branch's rate at the end."""
    book, stats = run.book, run.stats
    months = sorted({_month(e, book.tz) for e in run.events if e.status != "cancelled"})
    head = book.L["matrix_branches"].split("|")
    caps = {c: 8 for c in range(2, 2 + len(months))} | {0: 16}
    sheet = book.sheet("matrix", head[:2] + months + head[2:], caps=caps, keys=1)
    for branch_id, name in run.branches.items():
        counts = [run.monthly.get((branch_id, m)) for m in months]
        cells = [f"{c[1]}/{c[0]}" if c and c[0] else None for c in counts]
        expected = sum(c[0] for c in counts if c)
        rate = sum(c[1] for c in counts if c) / expected if expected else None
        sheet.row([name, run.totals[branch_id].members, *cells, rate])
    stats.rows["matrix"] = sheet.finish(legend=book.label("matrix_of_branches"))


def _month(event: EventRec, tz: ZoneInfo) -> str:
    return f"{event.starts_at.astimezone(tz):%Y-%m}"


def _duty_result(book: Book, r: Any, now: datetime, grace: timedelta) -> str:
    """情况: the shift's state (待上岗 / 在岗 / 已下岗 / 未签退 / 缺岗) with how it was kept."""
    shown = book.term("duty_state", shift_state(r, now, grace))
    marks = [book.term("arrival", "late")] if r.arrival == "late" else []
    marks += [book.term("departure", "early")] if r.departure == "early" else []
    return f"{shown}（{'、'.join(marks)}）" if marks else shown


def _clock(at: datetime | None, day: datetime, tz: ZoneInfo) -> str | None:
    """A check-in or -out time: HH:MM on the shift's day, with the date on another."""
    if at is None:
        return None
    local = at.astimezone(tz)
    return f"{local:%H:%M}" if local.date() == day.date() else f"{local:%m-%d %H:%M}"


async def _duty_sheet(run: _Run) -> None:
    book, repo, scope, branches = run.book, run.repo, run.scope, run.branches
    totals, now, stats = run.totals, run.now, run.stats
    grace = run.grace
    sheet = book.sheet("duty", "duty", caps={3: 12, 4: 6, 5: 12, 8: 10, 9: 16, 10: 24}, keys=1)
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
                _clock(r.checked_in_at, start, book.tz),
                _clock(r.checked_out_at, start, book.tz),
                _duty_result(book, r, now, grace),
                "\n".join(f"{a} → {b}（{book.term('swap', s)}）" for a, b, s in swaps.get(r.id, [])),
                r.log,
            ]
        )
    stats.rows["duty"] = sheet.finish()


async def _ideas_sheet(run: _Run) -> None:
    """Every idea of the scope's members. The ledger is read by those who manage its authors, so
    an anonymous author is named there, with the anonymous column saying so."""
    book, repo, scope, branches, totals, stats = run.book, run.repo, run.scope, run.branches, run.totals, run.stats
    sheet = book.sheet("ideas", "ideas", caps={2: 24, 3: 6, 4: 10, 5: 12, 8: 24, 9: 16}, keys=1)
    ideas = await repo.ideas(scope)
    steps = await repo.idea_steps(scope)
    for idea_id, number, text, category, author, branch_id, anonymous, status, created, votes in ideas:
        history = steps.get(idea_id, [])
        adopted = next((at for s, _n, _b, at in history if s == "adopted"), None)
        benefit = next((n for s, n, _b, _a in reversed(history) if s == "implemented" and n), None)
        t = totals.get(branch_id)
        if t is not None:
            t.ideas += 1
            t.adopted += adopted is not None
        stats.ideas_by_status[book.term("idea", status)] += 1
        sheet.row(
            [
                number,
                created.astimezone(book.tz).date(),
                text,
                category,
                book.label("anonymous").format(name=author) if anonymous else author,
                branches.get(branch_id),
                int(votes or 0),
                book.term("idea", status),
                "\n".join(
                    f"{at.astimezone(book.tz):%Y-%m-%d} {book.term('idea', s)}"
                    + (f"（{by}）" if by else "")
                    + (f"：{note}" if note else "")
                    for s, note, by, at in history
                ),
                benefit,
            ]
        )
    stats.rows["ideas"] = sheet.finish()


async def _points_sheet(run: _Run) -> None:
    book, repo, scope, branches, totals, stats = run.book, run.repo, run.scope, run.branches, run.totals, run.stats
    sheet = book.sheet("points", "points", caps={2: 16, 4: 30}, keys=1)
    async for at, name, branch_id, amount, reason, source, operator in repo.points(scope):
        t = totals.get(branch_id)
        if t is not None and amount > 0 and source != "store":
            t.points += amount
        sheet.row(
            [at, name, branches.get(branch_id), amount, book.reason(reason), book.term("source", source), operator]
        )
    stats.rows["points"] = sheet.finish()


async def _member_points_sheet(run: _Run) -> None:
    """A large region's points: one row per member with entries in the period."""
    book, repo, scope, branches, totals, stats = run.book, run.repo, run.scope, run.branches, run.totals, run.stats
    sheet = book.sheet("points", "points_members", caps={0: 16}, keys=2)
    async for name, branch_id, earned, deducted, spent, net, entries in repo.points_by_member(scope):
        t = totals.get(branch_id)
        if t is not None:
            t.points += int(earned)
        sheet.row([branches.get(branch_id), name, int(earned), int(deducted), int(spent), int(net), int(entries)])
    stats.rows["points"] = sheet.finish(legend=book.label("points_of_members"))


async def _store_sheet(run: _Run) -> None:
    book, repo, scope, branches, stats = run.book, run.repo, run.scope, run.branches, run.stats
    sheet = book.sheet("store", "store", caps={2: 16, 3: 20}, keys=1)
    for created, name, branch_id, item, price, status, decider, decided in await repo.redemptions(scope):
        sheet.row([created, name, branches.get(branch_id), item, price, book.term("redemption", status), decider,
                   decided])  # fmt: skip
    stats.rows["store"] = sheet.finish()


async def _rotation_sheet(run: _Run) -> None:
    """Who hosted each period of the export (as recorded when it opened), the activity held and
    its attendance."""
    book, uow, scope, stats = run.book, run.uow, run.scope, run.stats
    sheet = book.sheet("rotation", "rotation", caps={1: 16, 3: 30}, keys=1)
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
    sheet = book.sheet("lessons", "lessons", caps={2: 30, 3: 16}, keys=1)
    given = await uow.lessons.lessons(scope.region_id, scope.start, scope.end)
    events = {e.id: e for e in run.events}
    present = await run.repo.marks_by(scope, [event_id for event_id, *_ in given])
    for event_id, lecturer, ratings, average in given:
        event = events.get(event_id)
        if event is None or (scope.branch_id is not None and event.branch_id not in (None, scope.branch_id)):
            continue
        came = sum(n for (e, b, _), n in present.items() if e == event_id and scope.branch_id in (None, b))
        sheet.row(
            [
                event.starts_at,
                lecturer,
                event.topic,
                branches.get(event.branch_id, "?") if event.branch_id else book.label("region_scope"),
                book.term("event_state", event.state(run.now)),
                came,
                ratings,
                round(average, 1) if average is not None else None,
            ]
        )
    stats.rows["lessons"] = sheet.finish()


async def _audit_sheet(run: _Run) -> None:
    """操作日志: who did what, when and through which platform, each entry as a sentence."""
    book, repo, scope, branches, stats = run.book, run.repo, run.scope, run.branches, run.stats
    sheet = book.sheet("audit", "audit", caps={1: 6, 2: 12, 3: 8, 4: 56}, keys=1)
    reader = AuditReader(run.uow, scope.region_id, book.tz, book.locale)
    entries = [tuple(r) async for r in repo.audit(scope)]  # read whole first: the sentences look things up
    for at, actor, branch_id, platform, action, detail in entries:
        sentence = await reader.sentence(actor, action, detail)
        sheet.row([at, actor, branches.get(branch_id), book.term("platform", platform), sentence])
    stats.rows["audit"] = sheet.finish()


def _thumbnail(run: _Run, sheet: Sheet, r: int, column: int, sha256: str) -> None:
    """A kept photo's thumbnail in a cell (its row made tall enough), or a word saying it is missing."""
    thumb = run.media.thumbnail(sha256, LEDGER_THUMB) if run.media is not None else None
    if thumb is None:
        sheet.ws.write_string(r, column, run.book.label("missing"))
        return
    data, _wide, height = thumb
    sheet.ws.set_row(r, height * 0.75 + 4)
    sheet.ws.insert_image(
        r, column, f"{sha256[:12]}.png", {"image_data": io.BytesIO(data), "x_offset": 2, "y_offset": 2}
    )


async def _photos_sheet(run: _Run) -> None:
    """Thumbnails of the meeting photos, one a row."""
    book, repo, scope, events, stats = run.book, run.repo, run.scope, run.events, run.stats
    sheet = book.sheet("photos", "photos", keys=1)
    by_id = {e.id: e for e in events}
    column = len(book.L["photos"].split("|")) - 1
    sheet.widths[column] = 26
    for photo in await repo.photos(scope):
        event = by_id[photo.event_id]
        if run.summarized and event.branch_id is not None:
            continue  # in the branch's ledger
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
        _thumbnail(run, sheet, r, column, photo.sha256)
    stats.rows["photos"] = sheet.finish(legend=book.label("photos_of_region") if run.summarized else None)


async def _monthly_sheet(run: _Run) -> None:
    """Each branch's monthly narrative (月报) in the period: 未报送 for a month whose report is
    due; a month before the region's start date one line saying so."""
    book, scope, stats = run.book, run.scope, run.stats
    sheet = book.sheet("monthly", "monthly", caps={1: 16, 3: 60}, keys=1)
    first, last = scope.start.astimezone(book.tz), (scope.end - timedelta(seconds=1)).astimezone(book.tz)
    sent = {(m, b): (t, at) for m, b, t, at in await run.uow.reports.between(
        scope.region_id, f"{first:%Y-%m}", f"{last:%Y-%m}")}  # fmt: skip
    index, stop = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    now = run.now.astimezone(book.tz)
    day = run.started
    while index <= stop:
        month = date(index // 12, index % 12 + 1, 1)
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        due = datetime(following.year, following.month, 5, 9, tzinfo=book.tz) <= now
        shown = f"{month:%Y-%m}"
        if following <= day:  # wholly before the start: no report was ever asked for
            when = f"{day:%Y-%m-%d}" if book.locale == "en" else f"{day.year}年{day.month}月{day.day}日"
            sheet.row(
                [shown, book.label("all_branches"), None, book.label("before_start").format(month=shown, day=when)]
            )
            index += 1
            continue
        for branch_id, name in run.branches.items():
            text, at = sent.get((shown, branch_id), (None, None))
            if text is not None or due:
                sheet.row([shown, name, at, text if text is not None else book.label("not_sent")])
        index += 1
    stats.rows["monthly"] = sheet.finish()


async def _evaluation_sheet(run: _Run) -> None:
    """The yearly evaluation (年评) of each year the period touches, as 年度考评 ranks it: the rank
    among the region's branches, total, stars, tier and the five dimensions (a branch's own row only
    in a branch's ledger); — where nothing was due, 未评 before anything was."""
    from handlers.evaluation import DIMENSIONS, evaluate  # the evaluation reads the ledger's periods

    book, scope = run.book, run.scope
    sheet = book.sheet("evaluation", "evaluation", caps={c: 6 for c in range(6, 11)} | {2: 14}, keys=3)
    first, last = scope.start.astimezone(book.tz).year, (scope.end - timedelta(seconds=1)).astimezone(book.tz).year
    for year in range(first, min(last, run.now.astimezone(book.tz).year) + 1):
        rank = 0
        for s in await evaluate(run.uow, scope.region_id, year, book.tz):
            if s.total is not None:
                rank += 1
            if scope.branch_id not in (None, s.branch_id):
                continue
            if s.total is None:
                sheet.row([year, None, s.name, book.label("unscored")])
                continue
            scores = ["—" if s.scores[d] is None else round(s.scores[d] or 0, 1) for d in DIMENSIONS]
            sheet.row([year, rank, s.name, round(s.total, 1), "★" * s.stars, book.term("tier", s.tier), *scores])
    run.stats.rows["evaluation"] = sheet.finish(legend=book.label("unscored_note"))


async def _transfers_sheet(run: _Run) -> None:
    """组织关系转接台账: every transfer asked for in the period, into, out of or within the region (in
    a branch's ledger, those from or to it), oldest first, waiting or done."""
    book, scope, tz = run.book, run.scope, run.book.tz
    sheet = book.sheet("transfers", "transfers", caps={2: 18, 3: 18, 5: 14}, keys=2)
    for r in await run.uow.transfers.between(scope.region_id, scope.start, scope.end, scope.branch_id):
        sheet.row(
            [
                r.requested_at.astimezone(tz).date(),
                r.member,
                r.from_branch or r.place,
                r.to_branch or r.place,
                book.label(f"transfer.{r.direction}"),
                r.letter_no,
                book.label(f"transfer.{r.status}"),
                r.done_at.astimezone(tz).date() if r.done_at else None,
            ]
        )
    run.stats.rows["transfers"] = sheet.finish()


async def _recruits_sheet(run: _Run) -> None:
    """发展党员台账: everyone on the way to membership in the ledger's scope, with the day of each
    stage, the 培养联系人, the 思想汇报 received and what comes next (as of the export)."""
    book, scope = run.book, run.scope
    sheet = book.sheet("recruits", "recruits", caps={5: 14, 10: 30}, keys=2)
    today = run.now.astimezone(book.tz).date()
    for r in await run.uow.recruits.of_region(scope.region_id, scope.branch_id):
        step = next_step(r, today)
        upcoming = plain_text(render("recruits.next_text", book.locale, n=step))
        sheet.row(
            [run.branches.get(r.branch_id), r.name, book.term("recruit_stage", r.stage), r.applied_on, r.activist_on,
             book.names(list(r.contacts)) or None, r.candidate_on, r.admitted_on, r.full_on, r.reports, upcoming]
        )  # fmt: skip
    run.stats.rows["recruits"] = sheet.finish()


async def _mobile_sheet(run: _Run) -> None:
    """流动党员台账: the members away in the period (and those the roster marks mobile with no record),
    where they were, where they took part in Party life, and their remote sign-ins in the period."""
    book, scope, uow = run.book, run.scope, run.uow
    sheet = book.sheet("mobile", "mobile", caps={2: 24, 3: 24, 4: 16}, keys=2)
    first, last = scope.start.astimezone(book.tz).date(), (scope.end - timedelta(seconds=1)).astimezone(book.tz).date()
    records = [
        r for r in await uow.mobile.of_region(scope.region_id, scope.branch_id, open_only=False)
        if r.since <= last and (r.returned_on is None or r.returned_on >= first)
    ]  # fmt: skip
    recorded = {r.member_id for r in records}
    unrecorded = [
        m for m in await uow.org.members_of(scope.region_id, scope.branch_id) if m.is_mobile and m.id not in recorded
    ]
    remote = await uow.attendance.remote_counts([*recorded, *(m.id for m in unrecorded)], scope.start, scope.end)
    for r in records:
        sheet.row([run.branches.get(r.branch_id), r.name, r.whereabouts, r.takes_part, r.contact, r.since,
                   r.returned_on, remote.get(r.member_id, 0)])  # fmt: skip
    for m in unrecorded:
        sheet.row([run.branches.get(m.branch_id), m.name, book.label("mobile.unrecorded"), None, None, None, None,
                   remote.get(m.id, 0)])  # fmt: skip
    run.stats.rows["mobile"] = sheet.finish()


async def _commendations_sheet(run: _Run) -> None:
    """表彰台账: the commendations given in the period, of branches and of members (a branch's
    ledger: the branch's and its members')."""
    book, scope = run.book, run.scope
    sheet = book.sheet("commendations", "commendations", caps={4: 24}, keys=2)
    first, last = scope.start.astimezone(book.tz).date(), (scope.end - timedelta(seconds=1)).astimezone(book.tz).date()
    for c in await run.uow.commendations.between(scope.region_id, first, last, scope.branch_id):
        kind = book.label("commendations.member" if c.member else "commendations.branch")
        sheet.row([c.given_on, kind, c.branch, c.member, c.title, c.recorded_by])
    run.stats.rows["commendations"] = sheet.finish()


async def _guidance_sheet(run: _Run) -> None:
    """指导员台账: the Party-building instructors' visits in the period (a branch's ledger: that
    branch's), then who guides which branch now and their last visit."""
    book, scope = run.book, run.scope
    sheet = book.sheet("guidance", "guidance", caps={4: 60}, keys=2)
    first, last = scope.start.astimezone(book.tz).date(), (scope.end - timedelta(seconds=1)).astimezone(book.tz).date()
    for v in await run.uow.instructors.visits_between(scope.region_id, first, last, scope.branch_id):
        r = sheet.row([v.visited_on, v.instructor, v.branch, book.label("guidance.visit"), v.content])
        if v.photo is not None:
            _thumbnail(run, sheet, r, 5, v.photo)
    for g in await run.uow.instructors.guided(scope.region_id):
        if scope.branch_id in (None, g.branch_id):
            said = book.label("guidance.assigned").format(since=f"{g.since:%Y-%m-%d}")
            sheet.row([g.last_visit, g.instructor, g.branch, book.label("guidance.now"), said])
    run.stats.rows["guidance"] = sheet.finish()


async def _appraisals_sheet(run: _Run) -> None:
    """述职评议台账: each branch's 述职 of the period's years and its appraisal (means, how many gave
    one, the combined), as 述职情况 shows it; never who gave what."""
    book, scope = run.book, run.scope
    sheet = book.sheet("appraisals", "appraisals", caps={3: 60}, keys=2)
    names = {b.id: b.name for b in await run.uow.org.branches(scope.region_id)}
    first, last = scope.start.astimezone(book.tz).year, (scope.end - timedelta(seconds=1)).astimezone(book.tz).year
    for year in range(first, last + 1):
        tallies = await run.uow.appraisals.tallies(scope.region_id, year)
        for branch_id, t in sorted(tallies.items(), key=lambda kv: names.get(kv[0], "")):
            if scope.branch_id not in (None, branch_id):
                continue
            sheet.row([year, names.get(branch_id, "?"), t.reported_at, t.text, t.committee_mean, len(t.committee),
                       t.member_mean, len(t.members), t.combined])  # fmt: skip
    run.stats.rows["appraisals"] = sheet.finish()


async def _units_sheet(run: _Run) -> None:
    """党总支台账: each 党总支 and 编组 (a branch's ledger: its own), with its branches, manager and
    activity day, the joint events of its branches in the period, and its funds (dues returned,
    spent) of the period."""
    book, scope = run.book, run.scope
    sheet = book.sheet("units", "units", caps={3: 12, 5: 60}, keys=1)
    first, last = scope.start.astimezone(book.tz).date(), (scope.end - timedelta(seconds=1)).astimezone(book.tz).date()
    units = [u for u in await run.uow.units.units(scope.region_id) if scope.branch_id in (None, *u.branch_ids)]
    funds: dict[str, list[Any]] = defaultdict(list)
    for f in await run.uow.units.funds(scope.region_id, first, last):
        funds[f.unit].append(f)
    for u in units:
        kind = book.label(f"units.{u.kind}")
        said = book.label("units.head").format(
            branches="、".join(n for _, n in u.branches) or "—",
            manager=u.secretary or u.lead_branch or "—",
            day=u.activity_day or "—",
        )
        sheet.row([u.name, kind, None, book.label("units.set"), None, said])
        for e in run.events:
            if e.partners and set(e.branches) <= u.branch_ids and e.status != "cancelled":
                what = f"#{e.id} {book.kind(e.kind)} {e.place} {e.topic}".strip()
                sheet.row([u.name, kind, e.starts_at, book.label("units.joint"), None, what])
        for f in funds.get(u.name, []):
            label = book.label("units.spent" if f.amount_fen < 0 else "units.received")
            said = book.label("units.by").format(purpose=f.purpose, by=f.recorded_by or "—")
            sheet.row([u.name, kind, f.on_day, label, f.amount_fen / 100, said])
    run.stats.rows["units"] = sheet.finish()


async def _pairings_sheet(run: _Run) -> None:
    """结对共建台账: the pairings (a branch's ledger: its own) and the joint events of the period
    with each side's members counted (as the events sheet counted them; a ledger of summaries lists
    only the region's events there, so its joint events are counted here)."""
    book, scope = run.book, run.scope
    sheet = book.sheet("pairings", "pairings", caps={0: 30, 3: 30, 6: 30}, keys=1)
    for p in await run.uow.units.pairings(scope.region_id):
        if scope.branch_id not in (None, p.a_branch_id, p.b_branch_id):
            continue
        ended = book.label("pairings.ended").format(day=f"{p.ended_on:%Y-%m-%d}") if p.ended_on else ""
        pair = f"{p.a_label} ⇄ {p.b_label}"
        sheet.row([pair, p.started_on, book.label("pairings.pair"), None, None, None, p.note + ended])
    # held with another region's branch: this region's side is counted here, the other there
    far = run.far
    for e in run.events:
        if (not e.partners and e.id not in far) or e.status == "cancelled":
            continue
        counted = run.joint.get(e.id)
        if counted is None:
            s = await build_summary(run.uow, e, with_whole=False)
            counted = (len(s.expected), s.present if e.state(run.now) in ("running", "ended") else None)
        sides = [run.branches.get(b, "?") for b in e.branches] + [f"{r} {b}" for r, b in far.get(e.id, ())]
        pair = " ⇄ ".join(sides)
        what = f"#{e.id} {book.kind(e.kind)} {e.topic}".strip()
        sheet.row([pair, e.starts_at, book.label("pairings.joint"), what, *counted, e.place])
    run.stats.rows["pairings"] = sheet.finish()


async def _terms_sheet(run: _Run) -> None:
    """换届台账: each branch's committees, the current one first, and where its term stands on the
    day of the export (a branch with none recorded: one line saying so)."""
    book, scope, uow = run.book, run.scope, run.uow
    sheet = book.sheet("terms", "terms", caps={1: 10, 2: 24}, keys=1)
    today = run.now.astimezone(book.tz).date()
    history: dict[int, list[Any]] = {}
    for term in await uow.terms.of_region(scope.region_id, scope.branch_id):
        history.setdefault(term.branch_id, []).append(term)
    for now in sorted(await standings(uow, scope.region_id, today, scope.branch_id), key=lambda s: s.branch_id):
        if now.term is None:
            sheet.row([now.branch, None, None, None, None, None, book.label("term.none")])
            continue
        for i, term in enumerate(history[now.branch_id]):
            state = book.label(f"term.{now.state}").format(days=now.days) if i == 0 else book.label("term.past")
            committee = book.names(list(term.committee)) or None
            sheet.row([now.branch, term.secretary, committee, term.elected_on, term.years, term.ends_on, state])
    run.stats.rows["terms"] = sheet.finish()


def _band_label(book: Book, band: Band) -> str:
    """在职 5000–10000 元（1.5%）: the band of a base, as the ledger shows it instead of the base."""
    shape = (
        "low"
        if band.category == "low"
        else "below"
        if band.lower is None
        else "above"
        if band.upper is None
        else "between"
    )
    who = book.label(f"dues.category.{band.category}")
    lower, upper = (band.lower or 0) // 100, (band.upper or 0) // 100
    return book.label(f"dues.band.{shape}").format(who=who, lower=lower, upper=upper, rate=band.rate / 100)


async def _dues_sheet(run: _Run) -> None:
    """党费台账 (一册一账一票): each member with a dues base, each month of the period up to this
    one: the band (never the base), what is due, what was paid, the receipt and the day; 未交 for a
    month past unpaid."""
    book, scope, uow = run.book, run.scope, run.uow
    sheet = book.sheet("dues", "dues", caps={1: 10, 3: 18, 6: 14}, keys=2)
    this_month = month_key(run.now.astimezone(book.tz).date())
    first = month_key(scope.start.astimezone(book.tz).date())
    last = min(month_key((scope.end - timedelta(seconds=1)).astimezone(book.tz).date()), this_month)
    if first > last:
        run.stats.rows["dues"] = sheet.finish()
        return
    bases = await uow.dues.bases(scope.region_id)
    members = [m for m in await uow.org.members_of(scope.region_id, scope.branch_id) if m.id in bases]
    paid = {(p.member_id, p.month): p for p in await uow.dues.payments(scope.region_id, first, last, list(bases))}
    for member in sorted(members, key=lambda m: (m.branch_id, m.id)):
        for month in months_between(first, last):
            base = base_in(bases[member.id], month)
            if base is None:
                continue
            band = band_of(base.category, base.base_cents)
            p = paid.get((member.id, month))
            state = "dues.paid" if p else "dues.open" if month == this_month else "dues.unpaid"
            sheet.row(
                [
                    run.branches.get(member.branch_id),
                    member.name,
                    month,
                    _band_label(book, band),
                    base.amount_cents / 100,
                    p.amount_cents / 100 if p else None,
                    p.receipt_no if p else None,
                    p.paid_on if p else None,
                    book.label(state),
                ]
            )
    run.stats.rows["dues"] = sheet.finish()


def _summary_sheet(run: _Run, sheet: Sheet) -> None:
    """Per branch: events held, attendance, duty, ideas and points, with the region's total; under
    it the ideas by status, and native charts of both (drawn from those very cells)."""
    book, branches, totals, stats = run.book, run.branches, run.totals, run.stats
    names = list(branches.items())
    total = BranchTotals()

    def cells(name: str, t: BranchTotals) -> list[Any]:
        return [name, t.members, t.events, t.expected, t.present, "—" if t.rate is None else t.rate,
                t.shifts, t.shifts_kept, t.ideas, t.adopted, t.points]  # fmt: skip

    first = sheet.row_no + 1
    for branch_id, name in names:
        sheet.row(cells(name, totals[branch_id]))
        total.add(totals[branch_id])
    last = sheet.row_no
    if len(names) > 1:
        sheet.row(cells(book.label("total"), total), fmt=book.bold)
    stats.rows["summary"] = len(names)
    width = len(book.L["summary"].split("|"))
    statuses = sorted(stats.ideas_by_status.items())
    ideas_at = None
    if statuses:
        sheet.row_no += 1
        sheet.row_no += 1
        for c, h in enumerate(book.L["ideas_table"].split("|")):
            sheet.ws.write_string(sheet.row_no, c, h, book.head)
        ideas_at = sheet.row_no + 1
        for status, count in statuses:
            sheet.row([status, count])
    name = book.L["sheet.summary"]
    at = sheet.row_no + 2  # the charts go under the tables, one under the other, within the page's width
    breaks = [at]  # printed: the tables on the first page, the two bar charts on the next, the pie after
    tall = 1.0 + 0.05 * len(names)
    if names:
        rate = book.wb.add_chart({"type": "bar"})
        rate.add_series(
            {
                "name": book.label("chart.rate"),
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 5, last, 5],
                "data_labels": {"value": True, "num_format": "0%"},
                "fill": {"color": "#C00000"},
            }
        )
        rate.set_title({"name": book.label("chart.rate")})
        rate.set_legend({"none": True})
        rate.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        rate.set_y_axis({"reverse": True})
        sheet.ws.insert_chart(at, 0, rate, {"x_scale": 1.5, "y_scale": tall})
        at += int(15 * tall) + 1
        points = book.wb.add_chart({"type": "bar"})
        points.add_series(
            {
                "name": book.label("chart.points"),
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 10, last, 10],
                "fill": {"color": "#E46C0A"},
            }
        )
        points.set_title({"name": book.label("chart.points")})
        points.set_legend({"none": True})
        points.set_y_axis({"reverse": True})
        sheet.ws.insert_chart(at, 0, points, {"x_scale": 1.5, "y_scale": tall})
        at += int(15 * tall) + 1
        breaks.append(at)
    if ideas_at is not None:
        ideas = book.wb.add_chart({"type": "pie"})
        ideas.add_series(
            {
                "name": book.label("chart.ideas"),
                "categories": [name, ideas_at, 0, ideas_at + len(statuses) - 1, 0],
                "values": [name, ideas_at, 1, ideas_at + len(statuses) - 1, 1],
                "data_labels": {"value": True, "category": True},
            }
        )
        ideas.set_title({"name": book.label("chart.ideas")})
        sheet.ws.insert_chart(at, 0, ideas, {"x_scale": 1.0, "y_scale": 1.0})
        at += 16
    sheet.row_no = at - 1  # the signing lines go under the charts
    sheet.ws.set_h_pagebreaks(breaks)
    sheet.finish(filter_columns=width)
