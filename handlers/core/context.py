"""What a feature handler receives: the message, who sent it, where, and the services to use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from markupsafe import Markup

from handlers.core import access
from handlers.core.access import Level, Node
from handlers.core.errors import NotBound, NotRegistered
from handlers.core.i18n import normalize_locale, render
from handlers.core.media import MediaStore
from handlers.core.outbox import OnMissed, Periodic, PushKind
from handlers.core.ports import Button, Clock, Incoming, Reply
from storage.db import Database
from storage.directory import Directory
from storage.records import BindingRec, MemberRec
from storage.repos.points import rule_in_effect
from storage.uow import UnitOfWork

T = TypeVar("T")

DEFAULT_POINTS = {  # what earns points; DANGJIAN_POINTS overrides any of them
    "signin_on_time": 2,
    "signin_late": 1,
    "signin_remote": 2,
    "signin_makeup": 1,
    "duty": 3,
    "idea_submitted": 1,
    "idea_adopted": 5,
    "idea_implemented": 10,
    "group_item": 5,  # a claimed item of a Party group's plan, done
    "volunteer": 2,  # a volunteer service (志愿服务) a manager records
}


Meanwhile = Callable[[Reply], Awaitable[None]]  # a line said before the answer, sent as it is said


@dataclass(frozen=True)
class Policy:
    """Feature settings, taken from bot.settings at wiring time."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    locale: str = "zh-CN"
    opens_before_min: int = 30
    grace_min: int = 5
    closes_after_min: int = 60
    reminders_min: tuple[int, ...] = (1440, 60)  # reminders this many minutes before the start
    nudge_after_min: int = 10  # nudge who has not signed in this long after the start; 0: never
    points: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    point_caps: dict[str, int] = field(default_factory=dict)  # event kind -> sign-in points a year, at most
    idea_points_per_month: int = 3  # submissions a month that earn the idea_submitted points
    web_url: str = "http://127.0.0.1:8080"  # where the web console is reached (its one-time links)
    web_secret: str | None = None  # signs the links; None: a secret kept in the database


@dataclass
class Services:
    db: Database
    directory: Directory
    clock: Clock
    policy: Policy = field(default_factory=Policy)
    media: MediaStore = field(default_factory=lambda: MediaStore(Path("data/media")))
    pushes: Mapping[str, PushKind[Any]] = field(default_factory=dict)  # the features' push kinds, by name
    periodic: Sequence[Periodic] = ()  # the features' periodic steps (jobs/periodic.py runs them)
    on_missed: OnMissed | None = None  # what happens to pushes given up as missed (jobs/dispatcher.py)


class Duplicate(Exception):
    """The update was processed before; answer nothing."""


@dataclass
class Context:
    incoming: Incoming
    services: Services
    binding: BindingRec | None
    member: MemberRec | None
    now: datetime
    claimed: bool = False  # the update key was recorded in a committed unit
    rederivable: bool = False  # a redelivery derives its answer from what was stored (sign-ins)
    meanwhile: Meanwhile | None = None  # where a line said before the answer goes (None: nowhere)

    async def say_meanwhile(self, reply: Reply) -> None:
        """Say something now, before the answer (a long export: "being made, about N s")."""
        if self.meanwhile is not None:
            await self.meanwhile(reply)

    @property
    def locale(self) -> str:
        if self.binding and self.binding.locale:
            return normalize_locale(self.binding.locale)
        return normalize_locale(self.services.policy.locale)

    @property
    def tz(self) -> ZoneInfo:
        return self.services.policy.tz

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    async def audit(self, uow: UnitOfWork, actor: int | None, action: str, **detail: Any) -> None:
        """Record in the audit log what this message made `actor` do, where it was sent from."""
        await uow.audit.record(actor=actor, platform=self.incoming.platform, action=action, detail=detail, now=uow.now)

    def t(self, key: str, **params: Any) -> Markup:
        return render(key, self.locale, **params)

    def reply(
        self,
        key: str,
        *,
        buttons: tuple[Button, ...] = (),
        private: bool = False,
        coalesce: bool = False,
        settles: bool = False,
        refresh: str | None = None,
        edit_key: str | None = None,
        **params: Any,
    ) -> Reply:
        return Reply(
            text=self.t(key, **params),
            buttons=buttons,
            private=private,
            coalesce=coalesce,
            settles=settles,
            refresh=refresh,
            edit_key=edit_key,
        )

    @property
    def update_key(self) -> str | None:
        return self.incoming.update_id

    async def unit(self, fn: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run fn in one transaction together with recording this update as processed."""
        inc = self.incoming
        now = self.now

        async def work(conn: Any) -> T:
            uow = UnitOfWork(conn, now)
            if inc.update_id is not None and not await uow.updates.claim_update(inc.platform, inc.update_id, now):
                raise Duplicate()
            return await fn(uow)

        result = await self.services.db.unit(work)
        self.claimed = True
        return result

    async def read(self, fn: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        now = self.now
        return await self.services.db.read(lambda conn: fn(UnitOfWork(conn, now)))

    # -- who may do what: every guard asks handlers/core/access.py --------------------------------
    @property
    def node(self) -> Node | None:
        """The node this chat speaks for: its binding's, or in a private chat the sender's own."""
        if self.binding is not None and self.binding.active:
            return Node(self.binding.region_id, self.binding.branch_id)
        if self.incoming.is_private and self.member is not None:
            return access.private_node(self.member)
        return None

    @property
    def unit_chat(self) -> int | None:
        """The 党总支 or 编组 this chat is bound to, if it is a unit's own chat."""
        return self.binding.unit_id if self.binding is not None and self.binding.active else None

    def need_binding(self) -> BindingRec:
        if self.binding is None or not self.binding.active:
            raise NotBound()
        return self.binding

    def need_node(self) -> Node:
        """The chat's node; a group must be bound, a private chat speaks for the sender's own."""
        node = self.node
        if node is None:
            if self.incoming.is_private:
                self.need_member()
            raise NotBound()
        return node

    def need_member(self) -> MemberRec:
        if self.member is None:
            raise NotRegistered()
        if not self.member.active:
            raise access.Refused("access.deactivated")
        return self.member

    def can_manage(self, region_id: int, branch_id: int | None) -> bool:
        """Admins and regional secretaries manage their region; a branch secretary their branch."""
        node = Node(region_id, branch_id)
        return access.refusal(self.member, Level.BRANCH, node) is None

    async def points_for(self, rule: str, region_id: int) -> int:
        """What `rule` earns in the region today: its own 积分规则 in effect, else the default
        (DEFAULT_POINTS, or DANGJIAN_POINTS)."""
        rules = await self.services.directory.point_rules(region_id)
        return rule_in_effect(rules, rule, self.local(self.now).date(), self.services.policy.points.get(rule, 0))

    def need_manager(
        self, region_id: int, branch_id: int | None, level: Level = Level.BRANCH, *, reading: bool = False
    ) -> MemberRec:
        """The sender may act at `level` on the node (`reading`: only to see what is there)."""
        member = self.need_member()
        node = Node(region_id, branch_id)
        access.check(member, level, node, reading=reading)
        return member

    def need_manager_of(
        self, target: MemberRec, *, identity: bool = False, own: bool = False, dues: bool = False
    ) -> MemberRec:
        """The sender may act on this member's record (identity: their accounts and status; own:
        the sender's own record too, where the act allows it; dues: their dues)."""
        member = self.need_member()
        access.check_member(member, target, identity=identity, own=own, dues=dues)
        return member
