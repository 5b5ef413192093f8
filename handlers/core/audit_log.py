"""The audit log as a reader reads it (操作日志): each entry one sentence, the ids it keeps replaced by
what they stand for ("李红 发布活动：书记例会 12月1日（周二）14:00 党群服务中心"), the codes by their
labels, times in the configured zone. Lookups are cached: a ledger names the same event often."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from handlers.core.i18n import render
from handlers.core.vocabulary import audit_sentence, term
from storage.uow import UnitOfWork

PEOPLE = ("member", "from", "to", "winner", "claimer")  # detail keys holding a member's id
TERM_KEYS = {
    "kind": "kind", "per": "per", "dimension": "dimension", "proof": "proof", "on": "platform",
    "stage": "recruit_stage", "point_rule": "point_rule",
}  # fmt: skip


class AuditReader:
    """Turns stored audit entries into sentences, looking up what their ids name (one lookup each)."""

    def __init__(self, uow: UnitOfWork, region_id: int, tz: ZoneInfo, locale: str) -> None:
        self.uow, self.region_id, self.tz, self.locale = uow, region_id, tz, locale
        self._names: dict[int, str] | None = None
        self._cache: dict[tuple[str, int], str] = {}

    def when(self, at: datetime) -> str:
        return str(Markup(render("common.when", self.locale, dt=at.astimezone(self.tz))).unescape())

    async def sentence(self, who: str, action: str, detail: str | None) -> str:
        try:
            data = json.loads(detail) if detail else {}
        except ValueError:
            data = {}
        readable = await self.details(action, data if isinstance(data, dict) else {})
        return audit_sentence(who, action, readable, self.locale)

    async def details(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("kind", "starts_at") and "event" in data:
                continue  # the event's description names its kind and time
            out[key] = await self.value(action, key, value)
        return out

    async def value(self, action: str, key: str, value: Any) -> Any:
        """One detail as a reader should see it ('' when it is only an internal id)."""
        if value is None or value == "":
            return ""
        if key in TERM_KEYS and isinstance(value, str):
            return term(TERM_KEYS[key], value, self.locale)
        if key == "removed" and isinstance(value, list):
            return len(value)
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        if isinstance(value, bool):
            return ""
        if key in ("to", "date", "from_day") and isinstance(value, str):
            return self._time(value)
        if key == "month" and isinstance(value, str) and len(value) == 7 and value[4] == "-":
            return value if self.locale == "en" else f"{value[:4]}年{int(value[5:])}月"
        if key == "deadline" and isinstance(value, str):
            return self._time(value)
        if not isinstance(value, int):
            return value
        if key in PEOPLE:
            return (await self.names()).get(value, "")
        if key == "event":
            return await self.cached("event", value, self._event)
        if key == "shift":
            return await self.cached("shift", value, self._shift)
        if key == "assignment":
            return await self.cached("assignment", value, self._assignment)
        if key == "rule":
            kind = "duty_rule" if action.startswith("duty.") else "rule"
            return await self.cached(kind, value, self._duty_rule if kind == "duty_rule" else self._rule)
        if key == "group":
            return await self.cached("group", value, self._group)
        if key == "lecturer":
            return await self.cached("lecturer", value, self._lecturer)
        if key == "item" and action.startswith("store."):
            return await self.cached("store_item", value, self._store_item)
        if key in ("idea", "vote", "swap", "item"):  # their numbers are given beside them, or none reads them
            return "" if key != "item" else f"#{value}"
        return value

    def _time(self, text: str) -> str:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return text
        if parsed.tzinfo is None:  # a date
            day = date(parsed.year, parsed.month, parsed.day)
            return f"{day:%Y-%m-%d}" if self.locale == "en" else f"{day.year}年{day.month}月{day.day}日"
        return self.when(parsed)

    async def cached(self, kind: str, key: int, find: Any) -> str:
        if (kind, key) not in self._cache:
            self._cache[(kind, key)] = await find(key)
        return self._cache[(kind, key)]

    async def names(self) -> dict[int, str]:
        if self._names is None:
            members = await self.uow.org.members_in_region(self.region_id, active_only=False)
            self._names = {m.id: m.name for m in members}
        return self._names

    async def _event(self, event_id: int) -> str:
        event = (await self.uow.events.get_many([event_id])).get(event_id)
        if event is None:
            return f"#{event_id}"
        kind = term("kind", event.kind, self.locale)
        return f"#{event.id} {kind} {self.when(event.starts_at)} {event.place}"

    def _span(self, starts: datetime, ends: datetime, place: str) -> str:
        return f"{self.when(starts)}–{ends.astimezone(self.tz):%H:%M} {place}"

    async def _shift(self, shift_id: int) -> str:
        slots = await self.uow.duty.of_shift(shift_id)
        if not slots:
            return ""
        s = slots[0]
        return f"{self._span(s.starts_at, s.ends_at, s.place)} {'、'.join(x.name for x in slots)}"

    async def _assignment(self, assignment_id: int) -> str:
        s = await self.uow.duty.slot(assignment_id)
        return f"{self._span(s.starts_at, s.ends_at, s.place)} {s.name}" if s else ""

    async def _rule(self, rule_id: int) -> str:
        rule = await self.uow.rules.get(rule_id)
        return f"{term('kind', rule.kind, self.locale)} {rule.text}" if rule else ""

    async def _duty_rule(self, rule_id: int) -> str:
        rule = await self.uow.duty.rule(rule_id)
        return f"{rule.text} {rule.starts}–{rule.ends} {rule.place}" if rule else ""

    async def _group(self, group_id: int) -> str:
        group = await self.uow.groups.get(group_id)
        return group.name if group else ""

    async def _lecturer(self, lecturer_id: int) -> str:
        lecturer = await self.uow.lessons.lecturer(lecturer_id)
        return lecturer.name if lecturer else ""

    async def _store_item(self, item_id: int) -> str:
        item = await self.uow.store.item(item_id)
        return item.name if item else f"#{item_id}"
