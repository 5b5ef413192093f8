"""The web console: one more transport beside Telegram, WeCom and the console, for the people who
manage (branch secretaries, the regional secretary, admins).

Reading pages query the same read models the chat's reports use; every write is a command sent
through the same router, handlers and unit of work as in a chat (approving a redemption here is
批准兑换, a make-up sign-in 补签), with the session's member as the sender and the node they speak
for as the chat, so it is authorised by the one rule (handlers/core/access.py) and audited. A form
carries its CSRF token and a one-time id: a form sent twice is a redelivery, answered again and
changed once.

    browser ─► session cookie ─► WebConsole page ─► read models ─► Jinja page
    browser form ─► CSRF ─► Incoming(platform "web") ─► Transport.receive ─► Router ─► replies
"""

from __future__ import annotations

import asyncio
import calendar as cal
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import health
from bot.app import App
from bot.delivery.answering import AnsweringTransport
from bot.delivery.render import to_plain
from bot.web.labels import LABELS
from handlers import compliance, dues, evaluation, recruits, terms, weblink
from handlers.core.access import (
    REGION_ROLES,
    Level,
    Node,
    Place,
    console_places,
    may_manage_member,
    private_node,
    refusal,
)
from handlers.core.event_ref import sides, visible_in
from handlers.core.expected import branch_attendance, expected_filter
from handlers.core.i18n import normalize_locale, render, this_day_is
from handlers.core.media import WEB_THUMB
from handlers.core.ports import Incoming
from handlers.core.timeparse import Period, parse_period
from handlers.core.vocabulary import TERMS, term
from handlers.duty import shift_state
from handlers.ideas import names_author
from handlers.signin import FOLD_OVER, BranchCounts, Summary, branch_breakdown, branch_counts, build_summary
from storage.directory import with_reach
from storage.records import BindingRec, EventRec, MemberRec
from storage.repos.recruits import STAGES
from storage.repos.web import SessionRec
from storage.uow import UnitOfWork

HERE = Path(__file__).parent
COOKIE = "dj_session"
LANG_COOKIE = "dj_lang"
PLACE_COOKIE = "dj_place"  # which of their places (a unit's manager, an instructor) the visitor looks at
PLATFORM = "web"
_PAGE_READ: ContextVar[Any] = ContextVar("dangjian_web_page_read", default=None)  # a page's connection
OVERVIEW_EVENTS = 20  # the month's events on the overview: the last held and the next (all on 活动)
OVERVIEW_BARS = 30  # branches in the overview's chart: those with the lowest attendance
OVERVIEW_TTL_S = 30.0  # how old the overview's figures may be (a write from the web shows at once)
COUNTS_FRESH_S = 2.0  # how old a large region-wide event's counts per branch may be (the page says when)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """Every answer: no framing, no sniffing, no referrer, a CSP without inline script; pages
    (never the static files) are not stored by the browser or any proxy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if not static:
                    headers += [(b"cache-control", b"no-store, private"), (b"pragma", b"no-cache")]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def reached(uow: UnitOfWork, member: MemberRec | None) -> MemberRec | None:
    """The member with the branches they guide and manage now, read on this connection (a page's
    and a form's alike; not a process's cache)."""
    if member is None:
        return None
    region = member.region_id
    return await with_reach(
        member, lambda: uow.instructors.guides_by_member(region), lambda: uow.units.managers(region)
    )


def place_key(node: Node) -> str:
    """A place as a link and a cookie name it: the branch's id, "r" for the region."""
    return "r" if node.branch_id is None else str(node.branch_id)


def chosen_place(member: MemberRec, key: str | None) -> Place | None:
    """The place `key` names among the member's (console_places), else their first; None: none."""
    places = console_places(member)
    return next((p for p in places if place_key(p.node) == key), places[0] if places else None)


@dataclass(frozen=True)
class Visitor:
    """Who is looking: the session's member (with the branches they manage or guide), the node they
    speak for (their own, or one of their places they chose), their CSRF token; `places`: where
    else they may look (key, name), shown as a switch when there is more than one; `reading`: an
    instructor looking at a branch they guide (the pages offer no forms)."""

    member: MemberRec
    node: Node
    csrf: str
    locale: str
    reading: bool = False
    places: tuple[tuple[str, str], ...] = ()

    @property
    def officer(self) -> bool:
        return self.member.role in REGION_ROLES

    @property
    def place(self) -> str:
        return place_key(self.node)

    @property
    def chat_id(self) -> str:
        """The chat a form of this visitor is sent from: theirs, at the place they look at."""
        return f"web:{self.member.id}:{self.place}:{self.locale}"


@dataclass(frozen=True)
class DuesCell:
    """One member's month on the dues page: paid (with the amount), unpaid, open (this month) or none."""

    month: str
    state: str
    amount: int  # fen paid (0 unless paid)


class Denied(Exception):
    def __init__(self, status: int, label: str) -> None:
        super().__init__(label)
        self.status, self.label = status, label


class WebConsole:
    def __init__(self, app: App) -> None:
        self.app = app
        self.transport = AnsweringTransport(app, PLATFORM)
        # the overview (a month of a whole region) is computed and drawn at most every OVERVIEW_TTL_S
        self._overviews: dict[tuple[Any, ...], tuple[float, Markup]] = {}
        # a large region-wide event's counts per branch: event id -> (monotonic, counted at, counts)
        self._counts: dict[int, tuple[float, datetime, BranchCounts]] = {}
        self.env = Environment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            undefined=StrictUndefined,
            auto_reload=False,  # templates ship with the package: no stat() per page
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # every time shown is in the configured zone, whatever zone it was read in
        self.env.filters["hm"] = lambda dt: self.local(dt).strftime("%H:%M")
        self.env.filters["dt"] = lambda dt: self.local(dt).strftime("%Y-%m-%d %H:%M")
        self.env.globals["term"] = term
        self.env.globals["reason"] = lambda r, locale: render("points.reason", locale, r=r)
        self.env.globals["render"] = render  # a chat sentence the page shows too (what comes next)
        self.env.globals["form_id"] = lambda: secrets.token_urlsafe(12)  # a form sent twice: one change
        app.router.identify(PLATFORM, self._identify)

    # -- identity -------------------------------------------------------------------------------
    async def _identify(self, incoming: Incoming) -> tuple[BindingRec | None, MemberRec | None]:
        """A web form acts as the session's member (user_id) for the node they speak for."""
        now = self.now()

        async def load(uow: UnitOfWork) -> MemberRec | None:
            return await reached(uow, await uow.org.member(int(incoming.user_id or 0)))

        member = await self.app.db.read(lambda c: load(UnitOfWork(c, now)))
        if member is None:
            return None, None
        parts = incoming.chat_id.split(":")  # web:<member>:<place>:<locale>
        key, locale = (parts[2], parts[3] or None) if len(parts) == 4 else (None, None)
        place = chosen_place(member, key)
        node = place.node if place is not None and place_key(place.node) == key else private_node(member)
        binding = BindingRec(0, PLATFORM, incoming.chat_id, node.region_id, node.branch_id, True, locale)
        return binding, member

    def now(self) -> datetime:
        return self.app.services.clock.now()

    async def visitor(self, request: Request) -> Visitor:
        token = request.cookies.get(COOKIE)
        if not token:
            raise Denied(401, "login_hint")
        now = self.now()

        async def who(uow: UnitOfWork) -> tuple[SessionRec, MemberRec] | None:
            found = await uow.web.session_member(weblink.digest(token), now)
            if found is None:
                return None
            member = await reached(uow, found[1])  # what they guide and manage, read with the page
            return None if member is None else (found[0], member)

        found = await self.read(who)
        if found is None:
            raise Denied(401, "login_hint")
        session, member = found
        places = console_places(member)
        if not places:
            raise Denied(403, "managers_only")
        key = request.query_params.get("place") or request.cookies.get(PLACE_COOKIE)
        place = chosen_place(member, key)
        assert place is not None
        shown: tuple[tuple[str, str], ...] = ()
        if len(places) > 1:
            names = {b.id: b.name for b in await self.read(lambda uow: uow.org.branches(member.region_id))}
            region = await self.read(lambda uow: uow.org.region(member.region_id))
            shown = tuple(
                (place_key(p.node), region.name if p.node.branch_id is None else names[p.node.branch_id])
                for p in places
            )
        return Visitor(member, place.node, session.csrf, self.locale(request), place.reading, shown)

    def locale(self, request: Request) -> str:
        return normalize_locale(
            request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or self.app.services.policy.locale
        )

    def may_see(self, v: Visitor, node: Node) -> bool:
        """The one rule: managing this node (its branch, or the region for officers), or reading it."""
        return refusal(v.member, Level.BRANCH, node, reading=v.reading) is None

    def may_see_event(self, v: Visitor, event: EventRec) -> bool:
        """Officers see the region's events; others their branch's, and the region's they are
        expected at (a branch secretary at the 书记例会)."""
        if event.region_id != v.node.region_id:
            return False
        return v.officer or visible_in(event, v.node) or self.expected_at(v, event)

    @staticmethod
    def expected_at(v: Visitor, event: EventRec) -> bool:
        return event.branch_id is None and event.group_id is None and v.member.role in expected_filter(event.kind)

    # -- rendering ------------------------------------------------------------------------------
    def page(self, request: Request, name: str, v: Visitor | None, status: int = 200, **params: Any) -> Response:
        locale = v.locale if v else self.locale(request)
        this_day_is(self.now().astimezone(self.app.services.policy.tz).date())
        html = self.env.get_template(name).render(
            L=LABELS[locale], v=v, locale=locale, path=request.url.path, flash=self.flash(request, v), **params
        )
        response = Response(html, status_code=status, media_type="text/html; charset=utf-8")
        if request.query_params.get("lang"):
            response.set_cookie(LANG_COOKIE, locale, httponly=True, samesite="strict")
        if v is not None and request.query_params.get("place") == v.place:
            response.set_cookie(PLACE_COOKIE, v.place, httponly=True, samesite="strict")
        return response

    def row(self, event: EventRec, names: dict[int, str]) -> dict[str, Any]:
        branch = sides(event, names)
        return {"e": event, "starts": self.local(event.starts_at), "branch": branch, "state": event.state(self.now())}

    @staticmethod
    def cell(c: compliance.Cell, locale: str) -> dict[str, str]:
        """One norm of the 三会一课 matrix as the page shows it: its name, state and held / required."""
        params = compliance.cell_params([c])[0]
        return {
            "norm_label": render("compliance.norm_name", locale, kind=c.norm.kind, scope=c.norm.scope),
            "state": c.state,
            "shown": render("compliance.short", locale, c=params),
        }

    def local(self, dt: datetime) -> datetime:
        if dt.tzinfo is None:  # stored times are UTC
            dt = dt.replace(tzinfo=UTC)
        return dt.astimezone(self.app.services.policy.tz)

    async def read(self, fn: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
        now = self.now()
        conn = _PAGE_READ.get()
        if conn is not None:  # a page: the visitor and what it shows read on one connection
            return await fn(UnitOfWork(conn, now))
        return await self.app.db.read_at_once(lambda c: fn(UnitOfWork(c, now)))

    def guarded(
        self, handler: Callable[[Request, Visitor], Awaitable[Response]], *, page: bool = False
    ) -> Callable[..., Any]:
        """The visitor checked (and a form's CSRF token) before the handler. A `page` only reads:
        the whole of it, visitor included, is one read (on SQLite one worker-thread hop)."""

        async def serve(request: Request) -> Response:
            try:
                v = await self.visitor(request)
                if request.method == "POST":
                    form = await request.form()
                    if not secrets.compare_digest(str(form.get("csrf", "")), v.csrf):
                        raise Denied(403, "csrf")
                return await handler(request, v)
            except Denied as denied:
                return self.page(request, "message.html", None, status=denied.status, message=denied.label)

        async def endpoint(request: Request) -> Response:
            if not page or request.method != "GET":
                return await serve(request)

            async def whole(conn: Any) -> Response:
                token = _PAGE_READ.set(conn)
                try:
                    return await serve(request)
                finally:
                    _PAGE_READ.reset(token)

            response: Response = await self.app.db.read_at_once(whole)
            return response

        return endpoint

    # -- login ----------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        token = request.query_params.get("t", "")
        now = self.now()
        policy = self.app.services.policy

        async def spend(conn: Any) -> weblink.Opened | None:
            return await weblink.open_session(UnitOfWork(conn, now), policy, token)

        opened = await self.app.db.unit(spend) if token else None
        if opened is None:
            return self.page(request, "message.html", None, status=403, message="login_refused")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE,
            opened.session,
            max_age=int(weblink.SESSION_TTL.total_seconds()),
            httponly=True,
            samesite="strict",
            # over HTTPS (as the links people open say) the cookie is never sent in the clear
            secure=self.app.settings.web_secure_cookie or self.app.settings.web_base_url.startswith("https://"),
            path="/",
        )
        return response

    async def logout(self, request: Request, v: Visitor) -> Response:
        token = request.cookies.get(COOKIE, "")
        await self.app.db.unit(lambda c: UnitOfWork(c, self.now()).web.end(weblink.digest(token)))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def login_hint(self, request: Request) -> Response:
        if request.query_params.get("t"):
            return await self.login(request)
        return self.page(request, "message.html", None, status=401, message="login_hint")

    # -- writes: commands through the router ----------------------------------------------------
    async def command(self, v: Visitor, text: str, form_id: str) -> list[str]:
        """Send a command as the visitor; the answers as plain lines for the page."""
        incoming = Incoming(
            platform=PLATFORM,
            chat_id=v.chat_id,
            user_id=str(v.member.id),
            text=text,
            update_id=f"form:{form_id}"[:100],
            message_id=None,
            user_display=v.member.name,
            is_private=False,
            addressed=True,
        )
        return [to_plain(r.text) for r in await self.transport.act(incoming, v.locale)]

    async def act(self, request: Request, v: Visitor) -> Response:
        """One form: what it asks is built into a command here, never taken as typed text."""
        form = await request.form()
        what = str(form.get("do", ""))
        field = {k: str(val).strip() for k, val in form.items() if isinstance(val, str)}
        text = build_command(what, field)
        if text is None:
            raise Denied(400, "not_found")
        flash = await self.command(v, text, field.get("form_id") or secrets.token_urlsafe(8))
        self._overviews.clear()
        self._counts.clear()
        back = local_path(field.get("back", "/"))
        shown = "\n".join(flash)
        query = f"flash={quote(shown)}&fs={_flash_sig(v.csrf, shown)}"
        return RedirectResponse(f"{back}{'&' if '?' in back else '?'}{query}", 303)

    async def download(self, request: Request, v: Visitor) -> Response:
        """The ledger of a period (and branch), made by the same 导出台账 as in a chat."""
        period = request.query_params.get("period", "本月")
        branch = request.query_params.get("branch", "")
        text = f"导出台账 {period} {branch}".strip()
        incoming = Incoming(
            platform=PLATFORM,
            chat_id=v.chat_id,
            user_id=str(v.member.id),
            text=text,
            update_id=None,
            is_private=False,
            addressed=True,
        )
        replies = await self.transport.act(incoming, v.locale)
        file = next((r.file for r in replies if r.file is not None), None)
        if file is None:
            message = "\n".join(to_plain(r.text) for r in replies)
            return self.page(request, "message.html", v, status=400, message=None, text=message)
        disposition = f"attachment; filename*=UTF-8''{quote(file.name)}"
        return Response(
            file.data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": disposition},
        )

    # -- pages ----------------------------------------------------------------------------------
    def flash(self, request: Request, v: Visitor | None) -> list[str]:
        """The answers of the visitor's last form, shown once on the page it led to; only text this
        console signed for this session (a link crafted elsewhere shows nothing)."""
        text = request.query_params.get("flash", "")
        if v is None or not secrets.compare_digest(request.query_params.get("fs", ""), _flash_sig(v.csrf, text)):
            return []
        return [line for line in text.split("\n") if line][:10]

    async def overview(self, request: Request, v: Visitor) -> Response:
        tz = self.app.services.policy.tz
        now = self.now()
        today = now.astimezone(tz).date()
        month = parse_period("本月", today)
        quarter = parse_period("本季", today)
        assert month is not None and quarter is not None
        start, end = month.bounds(tz)
        region, branch = v.node.region_id, v.node.branch_id

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            events = [e for e in await uow.events.between(region, start, end) if self.may_see_event(v, e)]
            names = {b.id: b.name for b in await uow.org.branches(region)}
            held = [e for e in events if e.starts_at <= now and e.status != "cancelled"]
            totals = await branch_attendance(uow, region, held)
            rates = [
                {"name": names.get(bid, "?"), "rate": counts.rate}
                for bid, counts in sorted(totals.items(), key=lambda kv: names.get(kv[0], ""))
                if branch is None or bid == branch
            ]
            grid = await compliance.matrix(uow, region, branch, quarter, tz)
            cells = [(bid, name, [self.cell(c, v.locale) for c in row]) for bid, name, row in grid.branches]
            dormant = (
                await evaluation.dormancy_details(uow, region, self.app.settings.dormancy_weeks, now, tz)
                if branch is None
                else []
            )
            findings = [f for f in await uow.findings.listing(region, branch) if f.status != "confirmed"]
            past = [e for e in events if e.starts_at <= now]
            shown = past[-OVERVIEW_EVENTS // 2 :] + [e for e in events if e.starts_at > now]
            shown = shown[:OVERVIEW_EVENTS]
            lowest = sorted(rates, key=lambda r: (r["rate"] is None, r["rate"] or 0, r["name"]))[:OVERVIEW_BARS]
            return {
                "events": [self.row(e, names) for e in shown],
                "total_events": len(events),
                "rates": sorted(lowest, key=lambda r: r["name"]),
                "total_rates": len(rates),
                "grid": {"branches": cells},
                "started_note": render("compliance.web_started", v.locale, started=grid.started)
                if grid.started > quarter.start
                else "",
                "legend": render("compliance.web_legend", v.locale, started=grid.started),
                "dormant": dormant,
                "findings": findings,
            }

        key = (region, branch, v.officer, v.locale, month.start)
        cached = self._overviews.get(key)
        if cached is None or cached[0] <= time.monotonic():
            data = await self.read(load)
            this_day_is(now.astimezone(tz).date())
            html = self.env.get_template("overview_main.html").render(L=LABELS[v.locale], locale=v.locale, **data)
            cached = (time.monotonic() + OVERVIEW_TTL_S, Markup(html))
            self._overviews[key] = cached
        return self.page(request, "overview.html", v, main=cached[1])

    async def events(self, request: Request, v: Visitor) -> Response:
        tz = self.app.services.policy.tz
        today = self.local(self.now()).date()
        month_text = request.query_params.get("month", "")
        period = parse_period(month_text, today) if month_text else parse_period("本月", today)
        period = period or Period(date(today.year, 1, 1), date(today.year + 1, 1, 1), "year")
        kind = request.query_params.get("kind", "")
        branch_text = request.query_params.get("branch", "")
        start, end = period.bounds(tz)

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            every = await uow.org.branches(v.node.region_id)
            branches = [b for b in every if v.officer or b.id == v.node.branch_id]
            names = {b.id: b.name for b in every}  # a joint event names both sides
            events = [e for e in await uow.events.between(v.node.region_id, start, end) if self.may_see_event(v, e)]
            if kind:
                events = [e for e in events if e.kind == kind]
            if branch_text.isdigit():
                events = [e for e in events if int(branch_text) in e.branches]
            rows = [self.row(e, names) for e in events]
            return {"rows": rows, "branches": branches, "kind": kind, "branch": branch_text, "month": month_text,
                    "kinds": list(TERMS["kind"])}  # fmt: skip

        return self.page(request, "events.html", v, **(await self.read(load)))

    async def event(self, request: Request, v: Visitor) -> Response:
        event_id = int(request.path_params["event_id"])

        async def load(uow: UnitOfWork) -> dict[str, Any] | None:
            found = await uow.events.with_branch(event_id)
            event, branch = found if found is not None else (None, None)
            if event is None or event.status == "cancelled" or event.region_id != v.node.region_id:
                return None
            if not self.may_see_event(v, event):
                raise Denied(404, "not_found")  # the same as no such event: ids are not learnt
            # the region's meeting a secretary was expected at (the 书记例会): its attendees, as the
            # secretaries' chat shows them; a region-wide event his branch sees: his branch's names only
            attendee = not v.officer and not visible_in(event, v.node) and self.expected_at(v, event)
            view = None if attendee else v.node.branch_id
            folded, counted = None, uow.now
            if event.branch_id is None and view is None:  # the whole region's: large, it is shown per branch
                counts, counted = await self.branch_counts(uow, event)
                folded = await branch_breakdown(
                    uow, event, counts, _number(request, "page") or 1, _number(request, "branch")
                )
                folded = folded if folded.whole.expected > FOLD_OVER else None
            if folded is None:
                summary = await build_summary(uow, event, view)
            else:  # the opened branch's absentees, for the make-up form
                summary = folded.opened or Summary(event, [], [], [], [], [], [], [], [])
            if event.partners:  # a joint event: both sides
                branch = sides(event, {b.id: b.name for b in await uow.org.branches(event.region_id)})
            record, photos = await uow.records.sheet(event_id)
            return {"e": event, "s": summary, "b": folded, "counted": self.local(counted) if folded else None,
                    "starts": self.local(event.starts_at), "record": record,
                    "photos": photos, "branch": branch, "state": event.state(uow.now),
                    "may_makeup": not attendee,
                    # the absentees the visitor may make up (a joint event's other side is its own managers')
                    "makeable": [m for m in summary.absent if may_manage_member(v.member, m, own=True)]}  # fmt: skip

        data = await self.read(load)
        if data is None:
            raise Denied(404, "not_found")
        return self.page(request, "event.html", v, **data)

    async def branch_counts(self, uow: UnitOfWork, event: EventRec) -> tuple[BranchCounts, datetime]:
        """A region-wide event's counts per branch and when they were counted: counted again when
        older than COUNTS_FRESH_S (the page says when), so a crowd refreshing a large event's page
        costs one count a second or two rather than one each."""
        kept = self._counts.get(event.id)
        if kept is not None and time.monotonic() - kept[0] < COUNTS_FRESH_S:
            return kept[2], kept[1]
        counts = await branch_counts(uow, event)
        if len(self._counts) > 256:
            self._counts.clear()
        self._counts[event.id] = (time.monotonic(), uow.now, counts)
        return counts, uow.now

    async def photo(self, request: Request, v: Visitor) -> Response:
        """One photo of an event's record, to whoever may see the event (a thumbnail, as PNG)."""
        event_id, sha = int(request.path_params["event_id"]), str(request.path_params["sha"])

        async def load(uow: UnitOfWork) -> bool:
            event = await uow.events.get(event_id)
            if event is None or not self.may_see_event(v, event):
                raise Denied(404, "not_found")
            return sha in await uow.records.photo_names(event_id)

        if not await self.read(load):
            raise Denied(404, "not_found")
        thumb = await asyncio.to_thread(self.app.services.media.thumbnail, sha, WEB_THUMB)
        if thumb is None:
            raise Denied(404, "not_found")
        return Response(thumb[0], media_type="image/png", headers={"cache-control": "private, no-store"})

    async def members(self, request: Request, v: Visitor) -> Response:
        async def load(uow: UnitOfWork) -> dict[str, Any]:
            rows = await uow.accounts.accounts_in(v.node.region_id, v.node.branch_id)
            names = {b.id: b.name for b in await uow.org.branches(v.node.region_id)}
            return {"rows": [{"m": m, "accounts": acc, "branch": names.get(m.branch_id)} for m, acc in rows]}

        return self.page(request, "members.html", v, **(await self.read(load)))

    async def calendar(self, request: Request, v: Visitor) -> Response:
        tz = self.app.services.policy.tz
        today = self.local(self.now()).date()
        month = parse_period("本月", today)
        assert month is not None
        start, end = month.bounds(tz)

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            rules = [
                r
                for r in await uow.rules.of_region(v.node.region_id)
                if r.branch_id is None or v.officer or r.branch_id == v.node.branch_id
            ]
            nexts = {}
            for r in rules:
                future = sorted(
                    e.starts_at for e in (await uow.events.occurrences(r.id)).values()
                    if e.status == "scheduled" and e.starts_at > uow.now
                )  # fmt: skip
                nexts[r.id] = [self.local(s) for s in future[:3]]
            events = [e for e in await uow.events.between(v.node.region_id, start, end) if self.may_see_event(v, e)]
            days: dict[int, list[EventRec]] = {}
            for e in events:
                days.setdefault(self.local(e.starts_at).day, []).append(e)
            weeks = cal.Calendar(firstweekday=0).monthdayscalendar(today.year, today.month)
            return {"rules": rules, "nexts": nexts, "weeks": weeks, "days": days, "today": today}

        return self.page(request, "calendar.html", v, **(await self.read(load)))

    async def duty(self, request: Request, v: Visitor) -> Response:
        now = self.now()
        local = self.local(now)
        monday = datetime.combine(local.date() - timedelta(days=local.weekday()), datetime.min.time(), local.tzinfo)

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            slots = await uow.duty.between(v.node.region_id, monday, monday + timedelta(days=7))
            if not v.officer:
                slots = [s for s in slots if s.branch_id == v.node.branch_id]
            grace = timedelta(minutes=self.app.services.policy.grace_min)
            shown = [{"slot": s, "state": shift_state(s, now, grace)} for s in slots]
            missed = await uow.duty.missed(v.node.region_id, now, now - timedelta(days=30))
            if not v.officer:
                missed = [s for s in missed if s.branch_id == v.node.branch_id]
            swaps = await uow.duty.swaps(v.node.region_id, None if v.officer else v.node.branch_id)
            return {"slots": shown, "missed": missed, "swaps": swaps}

        return self.page(request, "duty.html", v, **(await self.read(load)))

    async def ideas(self, request: Request, v: Visitor) -> Response:
        L = LABELS[v.locale]

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            ideas = await uow.ideas.open_in(v.node.region_id, 200)
            groups: dict[str, list[Any]] = {status: [] for status in TERMS["idea"]}  # the review's order
            for idea in ideas:
                named = names_author(idea, v.node.branch_id)  # as a chat of the visitor's node names them
                by = idea.author if named else L["anonymous"] if idea.anonymous else L["other_branch"]
                groups.setdefault(idea.status, []).append({"i": idea, "by": by})
            return {"groups": [(status, found) for status, found in groups.items() if found]}

        return self.page(request, "ideas.html", v, **(await self.read(load)))

    async def points(self, request: Request, v: Visitor) -> Response:
        member_text = request.query_params.get("member", "")

        year = self.local(self.now()).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            top = await uow.points.ranking(v.node.region_id, v.node.branch_id, year, 50)
            members = await uow.org.members_of(v.node.region_id, v.node.branch_id)
            chosen = next((m for m in members if str(m.id) == member_text), None)
            ledger = await uow.points.recent(chosen.id, 50) if chosen else []
            balance = await uow.points.balance(chosen.id) if chosen else None
            return {"top": top, "members": members, "chosen": chosen, "ledger": ledger, "balance": balance}

        return self.page(request, "points.html", v, **(await self.read(load)))

    async def terms(self, request: Request, v: Visitor) -> Response:
        """换届: each branch of the visitor's node, most urgent first, and the committees before."""
        today = self.local(self.now()).date()

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            found = await terms.standings(uow, v.node.region_id, today, v.node.branch_id)
            history = await uow.terms.of_region(v.node.region_id, v.node.branch_id)
            current = {s.term.id for s in found if s.term is not None}
            return {"items": found, "earlier": [t for t in history if t.id not in current], "today": today}

        return self.page(request, "terms.html", v, **(await self.read(load)))

    async def recruits(self, request: Request, v: Visitor) -> Response:
        """发展党员: everyone on the way to membership in the visitor's node, stage by stage, with
        the days reached and what comes next."""
        today = self.local(self.now()).date()

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            found = await uow.recruits.of_region(v.node.region_id, v.node.branch_id)
            order = {stage: i for i, stage in enumerate(STAGES)}
            found.sort(key=lambda r: (order[r.stage], r.branch_id, r.id))
            return {"rows": [{"r": r, "next": recruits.next_step(r, today)} for r in found]}

        return self.page(request, "recruits.html", v, **(await self.read(load)))

    async def dues(self, request: Request, v: Visitor) -> Response:
        """党费: this year's payments month by month for each member with a base (never the base
        itself), and each month's sum."""
        today = self.local(self.now()).date()
        this_month = dues.month_key(today)
        months = dues.months_between(f"{today.year}-01", this_month)

        async def load(uow: UnitOfWork) -> dict[str, Any]:
            bases = await uow.dues.bases(v.node.region_id)
            members = [m for m in await uow.org.members_of(v.node.region_id, v.node.branch_id) if m.id in bases]
            ids = [m.id for m in members]
            paid = {
                (p.member_id, p.month): p for p in await uow.dues.payments(v.node.region_id, months[0], this_month, ids)
            }
            names = {b.id: b.name for b in await uow.org.branches(v.node.region_id)}
            grid: list[tuple[MemberRec, list[DuesCell]]] = []
            for m in members:
                cells = []
                for month in months:
                    base = dues.base_in(bases[m.id], month)
                    p = paid.get((m.id, month))
                    state = "paid" if p else "none" if base is None else "open" if month == this_month else "unpaid"
                    cells.append(DuesCell(month, state, p.amount_cents if p else 0))
                grid.append((m, cells))
            columns = [[cells[i] for _, cells in grid] for i in range(len(months))]
            sums = [
                {"paid": sum(c.amount for c in col), "payers": sum(c.state == "paid" for c in col),
                 "owed": sum(c.state != "none" for c in col)}
                for col in columns
            ]  # fmt: skip
            rows = [{"m": m, "branch": names.get(m.branch_id), "cells": cells} for m, cells in grid]
            return {"rows": rows, "months": months, "sums": sums, "year": today.year}

        return self.page(request, "dues.html", v, **(await self.read(load)))

    async def store(self, request: Request, v: Visitor) -> Response:
        async def load(uow: UnitOfWork) -> dict[str, Any]:
            items = await uow.store.items(v.node.region_id)
            pending = await uow.store.pending(v.node.region_id, v.node.branch_id)
            return {"items": items, "pending": pending}

        return self.page(request, "store.html", v, **(await self.read(load)))

    async def export(self, request: Request, v: Visitor) -> Response:
        branches = await self.read(lambda uow: uow.org.branches(v.node.region_id))
        shown = [b for b in branches if v.officer or b.id == v.node.branch_id]
        return self.page(request, "export.html", v, branches=shown)

    # -- the app --------------------------------------------------------------------------------
    def asgi(self) -> ASGIApp:
        g = self.guarded
        routes = [
            Route("/login", self.login_hint),
            Route("/logout", g(self.logout), methods=["POST"]),
            Route("/", g(self.overview, page=True)),
            Route("/events", g(self.events, page=True)),
            Route("/events/{event_id:int}", g(self.event, page=True)),
            Route("/events/{event_id:int}/photos/{sha:str}", g(self.photo)),
            Route("/members", g(self.members, page=True)),
            Route("/calendar", g(self.calendar, page=True)),
            Route("/duty", g(self.duty, page=True)),
            Route("/ideas", g(self.ideas, page=True)),
            Route("/points", g(self.points, page=True)),
            Route("/store", g(self.store, page=True)),
            Route("/recruits", g(self.recruits, page=True)),
            Route("/terms", g(self.terms, page=True)),
            Route("/dues", g(self.dues, page=True)),
            Route("/export", g(self.export, page=True)),
            Route("/export/ledger.xlsx", g(self.download)),
            Route("/act", g(self.act), methods=["POST"]),
            *health.routes(self.app.db, self.app.services.clock),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]
        return SecurityHeaders(Starlette(routes=routes))


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.?=&%-]*")


def _number(request: Request, key: str) -> int | None:
    """?key=N of a paged or folded view (None when absent or not a number)."""
    text = request.query_params.get(key, "")
    return int(text) if text.isdigit() and len(text) < 10 else None


def local_path(back: str) -> str:
    """Where a form returns to: a path of this console only ("/events/3?month=2026-12"); anything
    else ("//evil.example", "/\\evil.example", "https://…") is the overview."""
    return back if _LOCAL_PATH.fullmatch(back) else "/"


def _flash_sig(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


_NAME = r"[^\s#]{1,50}"


def build_command(what: str, f: dict[str, str]) -> str | None:
    """The chat command a web form stands for, from its checked fields (None: not a form we have)."""

    def num(key: str) -> str | None:
        value = f.get(key, "")
        return value if value.isdigit() and len(value) <= 9 else None

    def name(key: str) -> str | None:
        value = f.get(key, "")
        return value if re.fullmatch(_NAME, value) else None

    def words(key: str, limit: int = 200) -> str:
        return " ".join(f.get(key, "").split())[:limit]

    if what in ("approve", "reject_redeem") and (n := num("id")):
        return f"批准兑换 {n}" if what == "approve" else f"驳回兑换 {n} {words('reason')}".strip()
    if what == "makeup" and (n := num("event")) and (m := name("name")):
        return f"补签 #{n} {m}"
    if what in ("deactivate", "activate", "unlink") and (m := name("name")):
        return {"deactivate": "停用", "activate": "启用", "unlink": "解绑"}[what] + f" {m}"
    if what in ("adopt", "reject") and (n := num("number")):
        reason = words("reason") or ("—" if what == "reject" else "")
        return (f"采纳 #{n} {reason}" if what == "adopt" else f"不采纳 #{n} {reason}").strip()
    if what == "adjust" and (m := name("name")) and re.fullmatch(r"[+-]?\d{1,5}", f.get("amount", "")):
        amount = f["amount"] if f["amount"].startswith(("+", "-")) else f"+{f['amount']}"
        return f"调整积分 {m} {amount} {words('reason')}".strip()
    return None


def create_web(app: App) -> ASGIApp:
    return WebConsole(app).asgi()
