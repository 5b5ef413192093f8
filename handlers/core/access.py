"""Who may do what: the one authorization rule, asked by every command, button, CLI action and
web page, never re-written in a feature.

An actor is a roster member. Everyone acts only inside their own region; in a chat bound to a
branch, only that branch's members and the region's own officers (admins, regional secretaries)
may act. Managing a branch is for its secretary and for the region's officers. A Party-building
instructor (党建指导员) records guidance of the branches the region assigned them, from any chat of
the region, and in such a branch's chat reads what its secretary reads (the commands marked
`reads`), changing nothing. The managers of a middle-level unit (a 党总支's secretary, a 编组's
lead branch's secretaries) act on its branches as the region's officers do on the region, and
nowhere else, and bind the unit's own chat; the region's own acts stay its officers'. On the
web console a member looks only where this rule lets them (console_places). Rights come from
the roster only: being a chat's administrator on a platform grants nothing (in real groups many
members are made admins). For privileged members (branch secretaries and up) only a region
officer decides their identity (approving, undoing or stopping their accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handlers.core.errors import AppError
from storage.records import INSTRUCTOR, MemberRec

REGION_ROLES = frozenset({"admin", "regional_secretary"})
PRIVILEGED_ROLES = REGION_ROLES | {"branch_secretary"}
DUES_ROLES = frozenset({"branch_secretary", "organizer"})  # a branch's dues: its secretary and 组织委员
# INSTRUCTOR (党建指导员): guides the branches the region assigns (MemberRec.guides, as a chat loads them)


class Level(StrEnum):
    """What a command asks of its sender, in the chat it is sent in."""

    ANYONE = "anyone"  # help, whoami, registration: no roster member needed
    MEMBER = "member"  # a registered, active member of this chat's branch, or of its region
    BRANCH = "branch"  # a manager of this chat's branch (or of the region)
    REGION = "region"  # an admin or regional secretary of this chat's region
    DUES = "dues"  # the keepers of this chat's branch's dues: its secretary, its 组织委员 (or the region's officers)
    GUIDE = "guide"  # a Party-building instructor of this chat's region, in any of its chats or privately


@dataclass(frozen=True, slots=True)
class Node:
    """A place in the tree: a whole region (branch_id None) or one branch of it."""

    region_id: int
    branch_id: int | None = None


class Refused(AppError):
    """The actor may not do this here; the answer says which role or place it takes."""


def _refuse(template: str, **params: object) -> Refused:
    return Refused(f"access.{template}", **params)


def refusal(actor: MemberRec | None, level: Level, node: Node | None, *, reading: bool = False) -> Refused | None:
    """None if `actor` may act at `level` on `node` (a chat's node; None: an unbound group, where
    only membership is checked), else the reason. `reading`: the act only shows what is there
    (what a branch's instructor may also see, in that branch's chat)."""
    if level is Level.ANYONE:
        return None
    if actor is None:
        return _refuse("not_registered")
    if not actor.active:
        return _refuse("deactivated")
    if node is None:
        return None
    if actor.region_id != node.region_id:
        return _refuse("other_region")
    if level is Level.GUIDE:  # which branch they guide is the handler's to check (InstructorRepo.guides)
        return None if actor.role == INSTRUCTOR else _refuse("needs_instructor")
    guided = node.branch_id is not None and node.branch_id in actor.guides and actor.role == INSTRUCTOR
    if reading and guided and level in (Level.MEMBER, Level.BRANCH, Level.DUES):
        return None  # an instructor sees what the branch's secretary sees, and changes nothing
    if node.branch_id is not None and node.branch_id in actor.manages and level is not Level.REGION:
        return None  # a 党总支's or 编组's manager acts on its branches as a region officer does
    officer = actor.role in REGION_ROLES
    if node.branch_id is not None and node.branch_id != actor.branch_id and not officer:
        return _refuse("other_branch")
    if level is Level.MEMBER or officer:
        return None
    if level is Level.REGION:
        return _refuse("needs_region")
    if level is Level.DUES:
        if node.branch_id is not None and actor.role in DUES_ROLES:
            return None
        return _refuse("needs_dues" if node.branch_id is not None else "needs_region")
    # Level.BRANCH: the secretary of this very branch
    if node.branch_id is not None and actor.role == "branch_secretary":
        return None
    return _refuse("needs_branch" if node.branch_id is not None else "needs_region")


def unit_refusal(actor: MemberRec | None, region_id: int, branch_ids: frozenset[int]) -> Refused | None:
    """None if `actor` may act for a 党总支 or 编组 with these branches as a whole (bind its own
    chat): a region officer of its region, or who manages every one of its branches."""
    if (
        actor is not None
        and actor.active
        and actor.region_id == region_id
        and branch_ids
        and branch_ids <= actor.manages
    ):
        return None
    return refusal(actor, Level.REGION, Node(region_id))


def check(actor: MemberRec | None, level: Level, node: Node | None, *, reading: bool = False) -> MemberRec | None:
    """Raise the refusal, if any; returns the actor."""
    refused = refusal(actor, level, node, reading=reading)
    if refused is not None:
        raise refused
    return actor


def may_manage_member(
    actor: MemberRec | None, target: MemberRec, *, identity: bool = False, own: bool = False, dues: bool = False
) -> bool:
    """May the actor act on this member's record (make-up, points, duty; with `identity`: link,
    unlink, deactivate)? A privileged member's identity is decided by region officers only.
    `own`: the act may touch the actor's own record (a secretary's own make-up sign-in, marked
    本人补签); points and identity never may. `dues`: the act is on the member's dues, which the
    branch's 组织委员 keeps with its secretary."""
    keepers = DUES_ROLES if dues else {"branch_secretary"}
    if actor is None or not actor.active or actor.region_id != target.region_id:
        return False
    if actor.role in REGION_ROLES:
        return True
    if identity and target.role in PRIVILEGED_ROLES:
        return False
    if target.branch_id in actor.manages and actor.id != target.id:  # a unit's manager, on its branches
        return True
    if actor.id == target.id:
        return own and actor.role in keepers
    if actor.branch_id != target.branch_id:
        return False
    return actor.role in keepers


def check_member(
    actor: MemberRec | None, target: MemberRec, *, identity: bool = False, own: bool = False, dues: bool = False
) -> None:
    if may_manage_member(actor, target, identity=identity, own=own, dues=dues):
        return
    if identity and target.role in PRIVILEGED_ROLES:
        raise _refuse("needs_region_for_privileged", name=target.name)
    raise _refuse("not_your_member", name=target.name)


def private_node(member: MemberRec) -> Node:
    """The node a member speaks for in a private chat with the bot: officers the region, others
    their branch."""
    return Node(member.region_id, None if member.role in REGION_ROLES else member.branch_id)


@dataclass(frozen=True, slots=True)
class Place:
    """A node a member may look at on the web console; `reading`: only to read (an instructor)."""

    node: Node
    reading: bool = False


def console_places(member: MemberRec) -> list[Place]:
    """Where a member may look on the web console, their own first: the node they manage (their
    branch; the region for its officers), each branch of the 党总支 or 编组 they manage, and, only
    to read, each branch they guide as a 党建指导员. Empty: the console is not for them."""
    places: list[Place] = []
    own = private_node(member)
    if refusal(member, Level.BRANCH, own) is None:
        places.append(Place(own))
        if own.branch_id is None:  # a region officer: the whole region already
            return places
    for branch_id in sorted(member.manages - {own.branch_id}):
        if refusal(member, Level.BRANCH, Node(member.region_id, branch_id)) is None:
            places.append(Place(Node(member.region_id, branch_id)))
    seen = {p.node.branch_id for p in places}
    for branch_id in sorted(member.guides - seen):
        if refusal(member, Level.BRANCH, Node(member.region_id, branch_id), reading=True) is None:
            places.append(Place(Node(member.region_id, branch_id), reading=True))
    return places
