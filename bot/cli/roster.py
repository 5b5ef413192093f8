"""Importing a roster (花名册) from CSV, XLSX or YAML: all rows or none, idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.cli.tables import RowError, decode, hidden_characters, read_table
from bot.cli.tables import cell as _cell
from storage.db import Database
from storage.limits import BRANCH_NAME as MAX_BRANCH
from storage.limits import MEMBER_NAME as MAX_NAME
from storage.records import MemberRec, normalize_phone
from storage.uow import UnitOfWork

ROLE_NAMES = {
    "党员": "member",
    "积极分子": "activist",
    "入党积极分子": "activist",
    "支部书记": "branch_secretary",
    "支委": "committee_member",
    "支部委员": "committee_member",
    "组织委员": "organizer",
    "联合党委书记": "regional_secretary",
    "管理员": "admin",
    "讲师": "lecturer",
    "党建指导员": "instructor",
    "指导员": "instructor",
}
ROLES = set(ROLE_NAMES.values())
HEADERS = {
    "姓名": "name",
    "支部": "branch",
    "角色": "role",
    "手机": "phone",
    "流动党员": "mobile",
    "name": "name",
    "branch": "branch",
    "role": "role",
    "phone": "phone",
    "mobile": "mobile",
    "telegram_id": "telegram_id",
    "wecom_userid": "wecom_userid",
    "党小组": "group",
    "group": "group",
}
REQUIRED = ("name", "branch", "role")
TRUE = {"是", "1", "true", "yes", "y", "流动", "流动党员"}
FALSE = {"", "否", "0", "false", "no", "n"}


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    branch: str
    role: str
    phone: str | None = None
    mobile: bool = False
    telegram_id: str | None = None
    wecom_userid: str | None = None
    group: str | None = None  # the branch's Party group (党小组) the member is in


@dataclass
class ImportResult:
    branches_created: int = 0
    members_created: int = 0
    members_updated: int = 0
    members_moved: int = 0  # the same person now in another branch: one identity, accounts and points kept
    accounts_linked: int = 0
    groups_joined: int = 0  # members put into a Party group from the 党小组 column
    unchanged: int = 0
    names: list[str] = field(default_factory=list)
    encoding: str = ""  # of the file, as found


def _records(path: Path) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """(the encoding found, the rows) of a roster file."""
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise RowError(0, f"找不到文件 / no such file: {path}")
        try:
            data = yaml.safe_load(decode(path.read_bytes())[0]) or {}
        except (ValueError, yaml.YAMLError) as exc:
            raise RowError(0, "不是有效的 YAML / not valid YAML") from exc
        branches = data.get("branches") if isinstance(data, dict) else None
        if not isinstance(branches, list):
            raise RowError(1, "YAML 需要 branches 列表 / YAML needs a 'branches' list")
        records: list[tuple[int, dict[str, str]]] = []
        for b in branches:
            for m in (b or {}).get("members") or []:
                rec = {HEADERS.get(str(k), str(k)): _cell(v) for k, v in dict(m).items()}
                rec.setdefault("branch", _cell(b.get("name")))
                records.append((len(records) + 1, rec))
        return "YAML", records
    table = read_table(path, HEADERS, REQUIRED, "姓名,支部,角色")
    return table.encoding, table.rows


def read_roster(path: Path) -> tuple[str, list[RosterRow]]:
    """The encoding found and every row, validated; the first bad one raises RowError with its
    line number."""
    out: list[RosterRow] = []
    seen: set[tuple[str, str]] = set()
    accounts: set[tuple[str, str]] = set()
    encoding, records = _records(path)
    for line, rec in records:
        name, branch, role_word = rec.get("name", ""), rec.get("branch", ""), rec.get("role", "")
        if not name:
            raise RowError(line, "姓名为空 / name is empty")
        if not branch:
            raise RowError(line, "支部为空 / branch is empty")
        for what, text, limit in (("姓名", name, MAX_NAME), ("支部", branch, MAX_BRANCH)):
            if hidden_characters(text):
                raise RowError(line, f"{what}含有看不见的字符（零宽或方向控制）/ {what} holds invisible characters")
            if len(text) > limit:
                raise RowError(line, f"{what}超过 {limit} 字 / longer than {limit} characters")
        if any(ch.isspace() for ch in name):
            raise RowError(line, f"姓名“{name}”不合适 / bad name")
        role = ROLE_NAMES.get(role_word, role_word.lower() if role_word.lower() in ROLES else "")
        if not role:
            raise RowError(line, f"未知角色“{role_word}” / unknown role")
        mobile_word = rec.get("mobile", "").lower()
        if mobile_word not in TRUE | FALSE:
            raise RowError(line, f"流动党员应填 是/否，而不是“{mobile_word}” / mobile must be yes/no")
        if (branch, name) in seen:
            raise RowError(line, f"{branch} 的 {name} 重复 / duplicate member")
        seen.add((branch, name))
        phone = rec.get("phone") or None
        if phone is not None and normalize_phone(phone) is None:
            raise RowError(line, f"手机号“{phone}”不是号码 / phone is not a number")
        row = RosterRow(
            line,
            name,
            branch,
            role,
            normalize_phone(phone),
            mobile_word in TRUE,
            rec.get("telegram_id") or None,
            rec.get("wecom_userid") or None,
            rec.get("group") or None,
        )
        if row.group is not None and (len(row.group) > 30 or any(ch.isspace() for ch in row.group)):
            raise RowError(line, f"党小组名称“{row.group}”不合适（30 字以内，不含空格）/ bad Party group name")
        for platform, uid in (("telegram", row.telegram_id), ("wecom", row.wecom_userid)):
            if uid:
                if platform == "telegram" and not uid.lstrip("-").isdigit():
                    raise RowError(line, f"telegram_id 应为数字：“{uid}” / telegram_id must be a number")
                if (platform, uid) in accounts:
                    raise RowError(line, f"{platform} 账号 {uid} 重复 / duplicate account")
                accounts.add((platform, uid))
        out.append(row)
    return encoding, out


async def import_roster(db: Database, path: Path, region_name: str, now: Any) -> ImportResult:
    """Import in one transaction: a bad row leaves the database as it was."""
    encoding, rows = read_roster(path)
    if not region_name.strip():
        raise RowError(0, "需要 --region 联合党委名称 / --region is required")

    async def work(conn: Any) -> ImportResult:
        uow = UnitOfWork(conn, now)
        result = ImportResult(encoding=encoding)
        region = await uow.org.ensure_region(region_name.strip(), now)
        existing = {b.name for b in await uow.org.branches(region.id)}
        branch_names = {b.id: b.name for b in await uow.org.branches(region.id)}
        listed = {(row.branch, row.name) for row in rows}
        by_name: dict[str, list[MemberRec]] = {}
        for m in await uow.org.members_in_region(region.id, active_only=False):
            by_name.setdefault(m.name, []).append(m)
        for row in rows:
            if row.branch not in existing:
                existing.add(row.branch)
                result.branches_created += 1
            branch = await uow.org.ensure_branch(region.id, row.branch, now)
            branch_names[branch.id] = branch.name
            before = await uow.org.member_in_branch(branch.id, row.name)
            if before is None:
                before = _moved_here(by_name.get(row.name, []), row, listed, branch_names)
            member_id, changed = await uow.org.upsert_member(
                region_id=region.id,
                branch_id=branch.id,
                name=row.name,
                role=row.role,
                phone=row.phone,
                wecom_userid=row.wecom_userid,
                is_mobile=row.mobile,
                now=now,
                member_id=before.id if before is not None else None,
            )
            if before is None:
                result.members_created += 1
            elif before.branch_id != branch.id:
                result.members_moved += 1
                await uow.transfers.record(  # the move is a transfer of the one person (转接记录 lists it)
                    region_id=region.id, member_id=member_id, direction="within", from_branch_id=before.branch_id,
                    to_branch_id=branch.id, place=None, letter_no=None, by=None, now=now,
                )  # fmt: skip
            elif changed:
                result.members_updated += 1
            else:
                result.unchanged += 1
            for platform, uid in (("telegram", row.telegram_id), ("wecom", row.wecom_userid)):
                if not uid:
                    continue
                holder = await uow.accounts.account_member(platform, uid)
                if holder is None:
                    await uow.accounts.link_account(member_id, platform, uid, now)
                    result.accounts_linked += 1
                elif holder.id != member_id:
                    raise RowError(
                        row.line, f"{platform} 账号 {uid} 已属于 {holder.name} / account belongs to someone else"
                    )
            if row.group is not None:
                result.groups_joined += await _into_group(uow, row, region.id, branch.id, member_id)
            result.names.append(row.name)
        changes = (result.members_created, result.members_updated, result.members_moved, result.accounts_linked)
        if any(changes) or result.groups_joined:
            await uow.audit.record(
                actor=None,
                platform="cli",
                action="roster.import",
                detail={"file": path.name, "region": region.name, "rows": len(rows)},
                now=now,
            )
        return result

    result = await db.unit(work)
    if result.members_created or result.members_moved or result.accounts_linked:
        await db.refresh_statistics(("branches", "members", "member_accounts"))
    return result


async def _into_group(uow: UnitOfWork, row: RosterRow, region_id: int, branch_id: int, member_id: int) -> int:
    """Put a member into the branch's Party group the 党小组 column names (set up on first mention;
    its leader is elected or named later); 1 if they joined it now."""
    assert row.group is not None
    group = await uow.groups.named(region_id, row.group)
    if group is None:
        values = {
            "region_id": region_id,
            "branch_id": branch_id,
            "name": row.group,
            "kind": "branch",
            "goal": "",
            "leader_id": None,
            "status": "active",
            "created_by": member_id,
            "platform": "cli",
            "chat_id": "",
        }
        group_id = await uow.groups.add(values, uow.now)
    elif group.kind != "branch" or group.branch_id != branch_id or group.status != "active":
        raise RowError(row.line, f"党小组“{row.group}”不属于 {row.branch} / the Party group is not this branch's")
    else:
        group_id = group.id
    if any(g.id != group_id for g in await uow.groups.groups_of(member_id, "branch")):
        raise RowError(row.line, f"{row.name} 已在另一个党小组 / already in another Party group")
    return int(await uow.groups.add_member(group_id, member_id, row.role == "activist", uow.now))


def _moved_here(
    namesakes: list[MemberRec], row: RosterRow, listed: set[tuple[str, str]], branch_names: dict[int, str]
) -> MemberRec | None:
    """The member this row is, if they stand in another branch of the region: the only one of
    that name there who is not also listed in the file under that branch, and whose phone (when
    both have one) is the same. Such a member moves, keeping accounts and points."""
    candidates = [m for m in namesakes if (branch_names.get(m.branch_id), m.name) not in listed]
    if row.phone:
        same_phone = [m for m in candidates if m.phone == row.phone]
        if same_phone:
            return same_phone[0] if len(same_phone) == 1 else None
        candidates = [m for m in candidates if not m.phone]
    return candidates[0] if len(candidates) == 1 else None
