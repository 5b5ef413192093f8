"""The one authorization rule, walked whole: every command and button × every role × a chat of
the sender's own branch, another branch, the region, and another region. The levels below are
written out by hand (they are the README's table); a command added without a line here fails."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli.roster import import_roster
from bot.delivery.render import to_plain
from tests.harness import GROUP, REGION_CHAT, Harness

OTHER_BRANCH = "绿源群"  # bound to 绿源科技党支部
OTHER_REGION = "西区群"  # bound to another regional committee
CHATS = (GROUP, OTHER_BRANCH, REGION_CHAT, OTHER_REGION)

# who speaks: the sample roster's roles (红星 is the branch of GROUP; 机关 has no chat of its own)
ROLES = {
    "stranger": "u-陌生人",  # in no roster
    "activist": "u-冯军",  # 红星
    "member": "u-赵强",  # 红星
    "lecturer": "u-孙丽",  # 机关
    "branch_secretary": "u-张伟",  # 红星
    "regional_secretary": "u-王建国",  # 机关
    "admin": "u-李红",  # 机关
}
Y, N = True, False
# level -> role -> allowed in (own branch chat, other branch chat, region chat, other region's chat)
EXPECTED = {
    "anyone": {role: (Y, Y, Y, Y) for role in ROLES},
    "member": {
        "stranger": (N, N, N, N),
        "activist": (Y, N, Y, N),
        "member": (Y, N, Y, N),
        "lecturer": (N, N, Y, N),
        "branch_secretary": (Y, N, Y, N),
        "regional_secretary": (Y, Y, Y, N),
        "admin": (Y, Y, Y, N),
    },
    "branch": {
        "stranger": (N, N, N, N),
        "activist": (N, N, N, N),
        "member": (N, N, N, N),
        "lecturer": (N, N, N, N),
        "branch_secretary": (Y, N, N, N),
        "regional_secretary": (Y, Y, Y, N),
        "admin": (Y, Y, Y, N),
    },
    "dues": {  # as "branch" for these roles; a 组织委员 (organizer) is walked in test_dues.py
        "stranger": (N, N, N, N),
        "activist": (N, N, N, N),
        "member": (N, N, N, N),
        "lecturer": (N, N, N, N),
        "branch_secretary": (Y, N, N, N),
        "regional_secretary": (Y, Y, Y, N),
        "admin": (Y, Y, Y, N),
    },
    "guide": {  # a Party-building instructor (none in the sample roster) is walked in test_instructors.py
        role: (N, N, N, N) for role in ROLES
    },
    "region": {
        "stranger": (N, N, N, N),
        "activist": (N, N, N, N),
        "member": (N, N, N, N),
        "lecturer": (N, N, N, N),
        "branch_secretary": (N, N, N, N),
        "regional_secretary": (Y, Y, Y, N),
        "admin": (Y, Y, Y, N),
    },
}
COMMANDS = {
    # sign-in
    "signin": "member",
    "remote": "member",
    "leave": "member",
    "cancel_leave": "member",
    "attendance": "member",
    "makeup": "branch",
    "undo_makeup": "branch",
    # events and the calendar
    "event": "branch",
    "held": "branch",
    "events": "member",
    "cancel": "branch",
    "schedule": "member",
    "schedule_add": "branch",
    "schedule_edit": "branch",
    "schedule_pause": "branch",
    "schedule_resume": "branch",
    "schedule_cancel": "branch",
    "move": "branch",
    "notice": "region",
    # records and the ledger
    "record": "member",
    "fix_record": "branch",
    "export": "branch",
    "chart": "member",
    # norms of organizational life
    "norms": "member",
    "norm_set": "region",
    "start_date": "member",  # anyone may look; only a region officer may change it (its handler asks)
    "chats": "branch",
    "unbind": "branch",
    "transfer_out": "branch",
    "transfer_in": "branch",
    "transfers": "branch",
    "election": "branch",
    "terms": "member",
    "recruits": "member",
    "recruit": "branch",
    "thought_report": "branch",
    "merge_branch": "region",
    "close_branch": "region",
    "mobile": "member",
    "mobile_away": "branch",
    "mobile_back": "branch",
    "dues": "member",
    "dues_paid": "dues",
    "my_dues": "member",
    "dues_base": "dues",
    "dues_arrears": "dues",
    "compliance": "member",
    "finding": "region",
    "finding_fixed": "branch",
    "finding_confirm": "region",
    "findings": "member",
    "report": "branch",
    "report_status": "branch",
    "evaluation": "region",
    "score": "region",
    # duty and rotation
    "duty": "member",
    "duty_log": "member",
    "checkin": "member",
    "checkout": "member",
    "swap": "member",
    "duty_add": "region",
    "duty_rule": "region",
    "duty_rule_cancel": "region",
    "swaps": "region",
    "hosting": "member",
    "rotation_log": "member",
    # Party groups and self-organized groups
    "groups": "member",
    "group_show": "member",
    "group_create": "branch",
    "group_add": "branch",
    "group_apply": "member",
    "group_join": "member",
    "group_leave": "member",
    "group_vote": "branch",
    "group_plan": "member",
    "plan_claim": "member",
    "plan_done": "member",
    "group_report": "member",
    # the lecturer pool and lesson requests
    "lecturers": "member",
    "lesson_request": "branch",
    "my_lessons": "member",
    "lesson_accept": "member",
    "lecturer_add": "region",
    "lecturer_remove": "region",
    "rotation": "region",
    "rotation_skip": "region",
    "rotation_swap": "region",
    # ideas, points and the store
    "idea": "member",
    "idea_anon": "member",
    "ideas": "member",
    "idea_show": "member",
    "adopt": "branch",
    "reject": "branch",
    "implementing": "branch",
    "implemented": "branch",
    "points": "member",
    "rank": "member",
    "adjust": "region",
    "point_rules": "member",
    "set_points": "region",
    "volunteer": "branch",
    "commend": "region",
    "commendations": "member",
    "annual_report": "branch",
    "appraise": "member",
    "appraisal_score": "region",
    "appraisals": "region",
    "instructor": "region",
    "guidance": "guide",
    "unit": "region",
    "cluster": "region",
    "unit_fund": "region",
    "pair": "region",
    "unpair": "region",
    "pioneer": "member",
    "store": "member",
    "store_add": "region",
    "redeem": "member",
    "approve": "region",
    "reject_redeem": "region",
    "pending_redeem": "region",
    "cancel_redeem": "member",
    # the web console
    "unit_notice": "member",  # in a unit's own chat only, by its managers (inside; tests/handlers/test_units.py)
    "console": "member",  # the link itself only for who may use the console (inside)
    # who is who
    "bind": "branch",
    "join": "anyone",
    "verify": "anyone",
    "whoami": "anyone",
    "accounts": "branch",
    "requests": "branch",
    "unlink": "branch",
    "deactivate": "branch",
    "activate": "branch",
    "lang": "branch",
    "nudges": "branch",
    "help": "anyone",
    "start": "anyone",
}
BUTTONS = {
    "do": "anyone",
    "signin": "member",
    "idea_vote": "member",
    "swap_yes": "member",
    "swap_no": "member",
    "redeem_ok": "region",
    "redeem_no": "region",
    "link_ok": "branch",
    "link_no": "branch",
    "rebind": "branch",
    "announce": "branch",
    "lesson_pick": "branch",
    "lesson_yes": "member",
    "lesson_no": "member",
    "lesson_rate": "member",
    "group_ok": "branch",
    "group_no": "branch",
    "group_join": "member",
    "group_ballot": "member",
    "group_dissolve": "branch",
    "unbind": "member",  # pressed in the chats told of a binding; the binding's node's manager only (inside)
}
WEST = "姓名,支部,角色,手机,telegram_id,wecom_userid\n钱西,西郊党支部,管理员,13900000001,,\n"


async def _two_regions(h: Harness, tmp_path: Path) -> None:
    """The sample region with a second branch chat and every role registered, and a second region."""
    await h.say("绑定 绿源科技党支部", user="u-李红", chat=OTHER_BRANCH)
    for name in ("孙丽", "王建国"):
        await h.join(name)
    west = tmp_path / "west.csv"
    west.write_text(WEST, encoding="utf-8")
    await import_roster(h.app.db, west, "城西联合党委", h.clock.now())
    await h.send(h.incoming(user="u-钱西", chat="@u-钱西", private=True, contact="13900000001"))
    assert await h.say("绑定 城西联合党委", user="u-钱西", chat=OTHER_REGION) == [
        "✅ 本群已绑定到联合党委：城西联合党委。成员请私聊机器人发送“验证手机号”，与花名册一致即完成登记"
        "（也可以在群里发送“登记 姓名”，由书记审核）。"
    ]


def _refused(texts: list[str]) -> bool:
    return any(t.startswith("⛔") for t in texts)


async def test_the_table_is_the_code(h: Harness) -> None:
    """Every command and button is in the table above, at the level the code gives it."""
    router = h.app.router
    assert {c.name: str(c.access) for c in router.commands} == COMMANDS
    assert {b.prefix: str(b.access) for b in router.buttons} == BUTTONS


async def test_every_command_and_button_for_every_role_and_chat(h: Harness, tmp_path: Path) -> None:
    await _two_regions(h, tmp_path)
    wrong = []
    for role, user in ROLES.items():
        for index, chat in enumerate(CHATS):
            for name, level in COMMANDS.items():
                texts = await h.say(f"/{name}", user=user, chat=chat)
                if _refused(texts) == EXPECTED[level][role][index]:
                    wrong.append((f"/{name}", role, chat, texts))
            for prefix, level in BUTTONS.items():
                texts = [to_plain(r.text) for r in await h.press(f"{prefix}:999999", user=user, chat=chat)]
                if _refused(texts) == EXPECTED[level][role][index]:
                    wrong.append((f"[{prefix}]", role, chat, texts))
    assert wrong == []


async def test_refusals_say_what_it_takes(h: Harness, tmp_path: Path) -> None:
    await _two_regions(h, tmp_path)
    assert await h.say("/duty_add", user="u-张伟") == ["⛔ 这项操作需要联合党委书记或管理员。"]
    assert await h.say("/event", user="u-赵强") == ["⛔ 这项操作需要本支部书记，或联合党委书记、管理员。"]
    assert await h.say("签到", user="u-赵强", chat=OTHER_BRANCH) == [
        "⛔ 本群属于其他支部，你不能在这里操作。请在本支部的群里发送，或私聊机器人。"
    ]
    assert await h.say("我的积分", user="u-李红", chat=OTHER_REGION) == [
        "⛔ 你不属于本群所在的联合党委，不能在这里操作。"
    ]
    # help lists what the sender may use here: a member sees no manager's commands
    member_help = (await h.say("帮助 活动", user="u-赵强"))[0]
    secretary_help = (await h.say("帮助 活动", user="u-张伟"))[0]
    assert "• 签到 —" in member_help and "• 发布 —" not in member_help
    assert "• 发布 —" in secretary_help
    assert "• 通知 —" not in (await h.say("帮助 报表", user="u-张伟"))[0]
    assert "• 通知 —" in (await h.say("帮助 报表", user="u-李红", chat=REGION_CHAT))[0]


def test_the_readme_table_says_the_same() -> None:
    """README's command table names every command at the level the code gives it."""
    words = {
        "任何人": "anyone", "成员": "member", "支部管理": "branch", "党费管理": "dues", "党建指导员": "guide",
        "联合党委": "region",
    }  # fmt: skip
    found: dict[str, str] = {}
    for line in (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split(" | ")]
        if line.startswith("| ") and len(cells) >= 4 and cells[2] in words:
            for name in re.findall(r"`/([a-z_]+)", cells[1]):
                found[name] = words[cells[2]]
    assert found == COMMANDS
