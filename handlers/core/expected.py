"""Who is expected (应到) at an event: the one rule every count of attendance starts from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from storage.records import EventRec
from storage.repos.ledger import PersonRow

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


def expects(event: EventRec, person: PersonRow, groups: dict[int, set[int]] | None = None) -> bool:
    """Whether this stay of a member was expected at the event: a member then, of the event's
    branch (or any, for the region's) at its start, in a role it expects, of its Party group."""
    return (
        person.active
        and person.role in expected_filter(event.kind)
        and (event.branch_id is None or event.branch_id == person.branch_id)
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
        self.everyone = [p for p in people if p.active]
        self.by_branch: dict[int, list[PersonRow]] = defaultdict(list)
        self.steady: list[PersonRow] = []
        self.moved: dict[int | None, list[PersonRow]] = defaultdict(list)  # by branch; None: all of them
        for p in self.everyone:
            if p.steady(start, end):
                self.by_branch[p.branch_id].append(p)
                self.steady.append(p)
            else:
                self.moved[p.branch_id].append(p)
                self.moved[None].append(p)
        self._cache: dict[tuple[int | None, str], list[PersonRow]] = {}

    def of(self, event: EventRec) -> list[PersonRow]:
        moved = [p for p in self.moved.get(event.branch_id, ()) if expects(event, p, self.groups)]
        if event.group_id is not None:
            pool = self.by_branch.get(event.branch_id or 0, [])
            return [p for p in pool if expects(event, p, self.groups)] + moved
        key = (event.branch_id, event.kind)
        found = self._cache.get(key)
        if found is None:
            roles = expected_filter(event.kind)
            pool = self.steady if event.branch_id is None else self.by_branch.get(event.branch_id, [])
            found = [p for p in pool if p.role in roles]
            if event.branch_id is None or len(self._cache) < 10_000:
                self._cache[key] = found
        return sorted(found + moved, key=lambda p: (p.branch_id, p.id)) if moved else found
