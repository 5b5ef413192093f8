"""Who is expected (应到) at an event: the one rule every count of attendance starts from."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from storage.records import ATTENDED, rate_of
from storage.repos.ledger import PersonRow
from storage.uow import UnitOfWork


class Occasion(Protocol):
    """An event as the counts need it (an event record, or a held event of the norms)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def branch_id(self) -> int | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def group_id(self) -> int | None: ...
    @property
    def partners(self) -> tuple[int, ...]: ...
    @property
    def branches(self) -> tuple[int, ...]: ...


EVERY_MEMBER = ("member", "committee_member", "organizer", "branch_secretary", "regional_secretary", "admin")


def expected_filter(kind: str) -> Sequence[str]:
    """Roles expected (应到) at an event of this kind; activists may attend but are not counted.
    A 支委会 expects the branch committee (its secretary and the 支委), a 书记例会 the secretaries;
    lecturers (讲师) are never expected: they come to give their own lessons."""
    if kind == "secretary_meeting":
        return ("branch_secretary", "regional_secretary")
    if kind == "committee":
        return ("branch_secretary", "committee_member", "organizer")
    return EVERY_MEMBER


def expects(event: Occasion, person: PersonRow, groups: dict[int, set[int]] | None = None) -> bool:
    """Whether this stay of a member was expected at the event: a member then, of the event's
    branch or a joint event's partner (or any, for the region's) at its start, in a role it
    expects, of its Party group."""
    return (
        person.active
        and person.role in expected_filter(event.kind)
        and (event.branch_id is None or event.branch_id == person.branch_id or person.branch_id in event.partners)
        and person.holds(event.starts_at)
        and (event.group_id is None or groups is None or person.id in groups.get(event.group_id, set()))
    )


class Expected:
    """Who is expected at each event of a period, found by branch and kind rather than by walking
    the roster: the members who stayed in their branch all period are looked up once per branch and
    kind, those who moved (a transfer in the period) checked at each event's start."""

    def __init__(
        self, people: list[PersonRow], start: datetime, end: datetime, groups: dict[int, set[int]] | None = None
    ) -> None:
        self.groups = groups or {}  # a Party group's members (its events expect them only)
        self.by_branch: dict[int, list[PersonRow]] = defaultdict(list)
        self.steady: list[PersonRow] = []
        self.moved: dict[int | None, list[PersonRow]] = defaultdict(list)  # by branch; None: all of them
        for p in (p for p in people if p.active):
            if p.steady(start, end):
                self.by_branch[p.branch_id].append(p)
                self.steady.append(p)
            else:
                self.moved[p.branch_id].append(p)
                self.moved[None].append(p)
        self._cache: dict[tuple[int | None, str], list[PersonRow]] = {}

    def of(self, event: Occasion) -> list[PersonRow]:
        if event.partners:  # a joint event: each of its branches' members
            return sorted((p for b in event.branches for p in self._of(event, b)), key=lambda p: (p.branch_id, p.id))
        return self._of(event, event.branch_id)

    def _of(self, event: Occasion, branch_id: int | None) -> list[PersonRow]:
        """Those expected at the event among one branch's members (None: the region's)."""
        moved = [p for p in self.moved.get(branch_id, ()) if expects(event, p, self.groups)]
        if event.group_id is not None:
            pool = self.by_branch.get(branch_id or 0, [])
            return [p for p in pool if expects(event, p, self.groups)] + moved
        key = (branch_id, event.kind)
        found = self._cache.get(key)
        if found is None:
            roles = expected_filter(event.kind)
            pool = self.steady if branch_id is None else self.by_branch.get(branch_id, [])
            found = [p for p in pool if p.role in roles]
            if branch_id is None or len(self._cache) < 10_000:
                self._cache[key] = found
        return sorted(found + moved, key=lambda p: (p.branch_id, p.id)) if moved else found


async def party_groups(uow: UnitOfWork, events: Iterable[Occasion]) -> dict[int, set[int]]:
    """The members (not guests) of each Party group holding one of these events: its meetings expect them only."""
    return {
        g: {m.member_id for m in await uow.groups.members(g) if not m.guest}
        for g in {e.group_id for e in events if e.group_id is not None}
    }


@dataclass
class BranchAttendance:
    """A branch's members at a set of held events: the events that expected some of them, and
    over those, how many were expected, came, and were on leave."""

    events: int = 0
    expected: int = 0
    present: int = 0
    leave: int = 0

    @property
    def rate(self) -> int | None:
        return rate_of(self.expected, self.present, self.leave)


async def branch_attendance(uow: UnitOfWork, region_id: int, held: Sequence[Occasion]) -> dict[int, BranchAttendance]:
    """Attendance at these held events per branch, every member counted in the branch they
    belonged to at each event (the transfers done say who moved): the roll for those who never
    moved, each stay for those who did, a Party group's meeting its members only. A few grouped
    queries whatever the size of the region; what the 月报, 年评, 简报 and the web overview show."""
    out: dict[int, BranchAttendance] = defaultdict(BranchAttendance)
    if not held:
        return {}
    start, end = min(e.starts_at for e in held), max(e.starts_at for e in held) + timedelta(microseconds=1)
    ledger = uow.ledger
    scope = await ledger.scope(region_id, None, start, end)
    roll: dict[int | None, Counter[str]] = defaultdict(Counter)  # branch -> role -> who never moved
    for (branch_id, role), n in (await ledger.roll(scope)).items():
        roll[branch_id][role] += n
        roll[None][role] += n
    moved: dict[int | None, list[PersonRow]] = defaultdict(list)
    for p in await ledger.people(scope, only=scope.moved):
        if p.active:
            moved[p.branch_id].append(p)
            moved[None].append(p)
    plain = [e for e in held if e.group_id is None]
    for event in plain:
        roles = expected_filter(event.kind)
        counts: Counter[int] = Counter()
        if event.branch_id is None:
            for owner, by_role in roll.items():
                if owner is not None:
                    counts[owner] += sum(by_role[r] for r in roles)
        else:
            for owner in (event.branch_id, *event.partners):  # a joint event: each side
                counts[owner] += sum(roll[owner][r] for r in roles)
        for owner in (event.branch_id, *event.partners):
            for p in moved.get(owner, ()):
                counts[p.branch_id] += expects(event, p)
        for branch_id, n in counts.items():
            if n:
                out[branch_id].events += 1
                out[branch_id].expected += n
    kinds = {e.id: e for e in plain}
    ids = list(kinds)
    for leave, counted in (
        (False, await ledger.marks_by(scope, ids)),
        (True, await ledger.marks_by(scope, ids, ("leave",))),
    ):
        for (event_id, branch_id, role), n in counted.items():
            event = kinds[event_id]
            ours = event.branch_id is None or branch_id == event.branch_id or branch_id in event.partners
            if role in expected_filter(event.kind) and ours and branch_id in out:
                if leave:
                    out[branch_id].leave += n
                else:
                    out[branch_id].present += n
    meetings = [e for e in held if e.group_id is not None]
    if meetings:
        groups = await party_groups(uow, meetings)
        members = await ledger.people(scope, only=frozenset().union(*groups.values()))
        for event in meetings:
            marks = {r.member_id: r.status for r in await uow.attendance.for_event(event.id)}
            expected = [p for p in members if expects(event, p, groups)]
            for branch_id in {p.branch_id for p in expected}:
                out[branch_id].events += 1
            for p in expected:
                row = out[p.branch_id]
                row.expected += 1
                row.present += marks.get(p.id) in ATTENDED
                row.leave += marks.get(p.id) == "leave"
    for row in out.values():  # a mark nobody expected (a member deactivated since) is not counted
        row.present, row.leave = min(row.present, row.expected), min(row.leave, row.expected)
    return dict(out)
