"""A member named in a command: "王芳", "@王芳" or "王芳（红星机械党支部）" when two branches share it."""

from __future__ import annotations

import re
from datetime import date

from handlers.core.errors import AppError
from storage.records import BranchRec, MemberRec
from storage.uow import UnitOfWork


async def named_member(
    uow: UnitOfWork, region_id: int, name: str, branch_id: int | None = None, *, active_only: bool = True
) -> MemberRec:
    """The one (active) member of that name in the region (or in the branch, when the chat speaks
    for one); "王芳（红星机械党支部）" names the branch of a name two branches share. A clear
    answer if none, several (with their branches, and how to write one), or one of another branch."""
    name, branch_name = _with_branch(name.lstrip("@"))
    found = await uow.org.members_named(region_id, name, branch_id, active_only=active_only)
    if branch_name is not None:
        names = {b.id: b.name for b in await uow.org.branches(region_id)}
        found = [m for m in found if names.get(m.branch_id) == branch_name]
    if not found:
        if branch_id is not None and await uow.org.members_named(region_id, name, active_only=active_only):
            raise AppError("org.other_branch", name=name)
        raise AppError("org.not_in_roster", name=name)
    if len(found) > 1:
        names = {b.id: b.name for b in await uow.org.branches(region_id)}
        raise AppError("org.name_shared", name=name, branches=[names.get(m.branch_id, "?") for m in found])
    return found[0]


_BRANCHED = re.compile(r"^(?P<name>[^（(]+)[（(](?P<branch>[^）)]+)[）)]$")


def _with_branch(text: str) -> tuple[str, str | None]:
    """ "王芳（红星机械党支部）" -> ("王芳", "红星机械党支部"); a plain name -> (name, None)."""
    m = _BRANCHED.match(text.strip())
    return (m.group("name").strip(), m.group("branch").strip()) if m else (text, None)


def _branches_named(branches: list[BranchRec], names: list[str], today: date) -> list[BranchRec] | str:
    """The open branches of these names, or the first name that is none."""
    by_name = {b.name: b for b in branches if b.open_on(today)}
    missing = next((n for n in names if n not in by_name), None)
    return missing if missing is not None else [by_name[n] for n in names]


async def named_branches(uow: UnitOfWork, region_id: int, names: list[str], today: date) -> list[BranchRec]:
    """The region's open branches of these names, in that order; a clear answer for one it has not."""
    found = _branches_named(await uow.org.branches(region_id), names, today)
    if isinstance(found, str):
        region = await uow.org.region(region_id)
        raise AppError("org.no_such_branch", name=found, region=region.name)
    return found


async def named_side(uow: UnitOfWork, region_id: int, word: str, today: date) -> tuple[str, list[BranchRec]]:
    """One side of a pairing or a joint event, by name: a branch, or a 党总支 / 编组 (its open
    branches); its name and branches."""
    unit = await uow.units.named(region_id, word)
    if unit is None:
        (branch,) = await named_branches(uow, region_id, [word], today)
        return branch.name, [branch]
    found = [b for b in await uow.org.branches(region_id) if b.id in unit.branch_ids and b.open_on(today)]
    if not found:
        raise AppError("units.empty_unit", name=unit.name)
    return unit.name, found
