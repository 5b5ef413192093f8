"""The `dangjian` command line: roster import (CSV, XLSX, YAML), events, the demo."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.main import app
from storage.db import Database
from storage.models import AuditLog, Branch, Event, Member, MemberAccount
from tests.truth import table

runner = CliRunner()
HEADER = "姓名,支部,角色,手机,telegram_id,wecom_userid\n"


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"DANGJIAN_DATABASE_URL": url, "DANGJIAN_LOG_LEVEL": "WARNING"})
    return result.exit_code, result.output


def rows_of(url: str, stmt: object) -> list[Any]:
    """What a query finds in the database a CLI command wrote to."""

    async def go() -> list[Any]:
        db = await Database.open(url)
        try:
            return await db.read(lambda conn: _all(conn, stmt))
        finally:
            await db.close()

    return asyncio.run(go())


async def _all(conn: Any, stmt: object) -> list[Any]:
    return list((await conn.execute(stmt)).all())


def counts(url: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        db = await Database.open(url)
        try:

            async def q(conn: object) -> dict[str, int]:
                out = {}
                for name, model in (
                    ("branches", Branch),
                    ("members", Member),
                    ("accounts", MemberAccount),
                    ("events", Event),
                ):
                    out[name] = (await conn.execute(select(func.count()).select_from(model))).scalar_one()  # type: ignore[attr-defined]
                return out

            return await db.read(q)
        finally:
            await db.close()

    return asyncio.run(go())


def test_csv_import_is_idempotent(db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(
        HEADER + "张三,一支部,党员,138,1001,zhangsan\n李四,一支部,支部书记,,,\n王五,二支部,积极分子,,,\n",
        encoding="utf-8",
    )
    code, out = invoke(db_url, "org", "import", str(f), "--region", "测试联合党委")
    assert code == 0, out
    assert "新建支部 2，新增党员 3" in out
    first = counts(db_url)
    assert first == {"branches": 2, "members": 3, "accounts": 2, "events": 0}
    code, out = invoke(db_url, "org", "import", str(f), "--region", "测试联合党委")
    assert code == 0 and "新增党员 0" in out and "未变 3" in out
    assert counts(db_url) == first


def test_bad_row_names_its_line_and_imports_nothing(db_url: str, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(HEADER + "张三,一支部,党员,,,\n李四,一支部,队长,,,\n", encoding="utf-8")
    code, out = invoke(db_url, "org", "import", str(f), "--region", "测试联合党委")
    assert code == 2
    assert "第 3 行" in out and "未知角色“队长”" in out and "未做任何改动" in out
    assert counts(db_url)["members"] == 0


def test_english_headers_xlsx_and_yaml(sqlite_url: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["name", "branch", "role", "phone", "telegram_id", "wecom_userid"])
    ws.append(["Alice", "B1", "member", 13800000000, 42, None])
    ws.append(["Bob", "B1", "branch_secretary", None, None, "bob"])
    wb.save(tmp_path / "r.xlsx")
    code, out = invoke(sqlite_url, "org", "import", str(tmp_path / "r.xlsx"), "--region", "R")
    assert code == 0, out
    (tmp_path / "r.yaml").write_text(
        "branches:\n  - name: B2\n    members:\n      - {姓名: 赵六, 角色: 党员, 流动党员: 是}\n", encoding="utf-8"
    )
    code, out = invoke(sqlite_url, "org", "import", str(tmp_path / "r.yaml"), "--region", "R")
    assert code == 0, out
    assert counts(sqlite_url) == {"branches": 2, "members": 3, "accounts": 2, "events": 0}


@pytest.mark.parametrize(
    "body", ["", "foo,bar\n1,2\n", HEADER + "张三,,党员,,,\n", HEADER + "张三,一支部,党员,,abc,\n"]
)
def test_malformed_files_are_refused(sqlite_url: str, tmp_path: Path, body: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body, encoding="utf-8")
    code, out = invoke(sqlite_url, "org", "import", str(f), "--region", "R")
    assert code == 2 and "导入失败" in out


SAMPLE = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")


def test_event_create_and_list_by_cli_go_through_the_chat_rule(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    publish = ["event", "create", "--region", "城东联合党委", "--kind", "专题党课", "--at", "2027-03-15 19:00"]
    code, out = invoke(db_url, *publish, "--place", "党群服务中心", "--topic", "学党史")
    assert code == 0 and "专题党课" in out and "2027年3月15日" in out, out  # the chat's own sentence
    code, out = invoke(db_url, "event", "list", "--region", "城东联合党委")
    assert code == 0 and "专题党课" in out and "学党史" in out and "3月15日" in out, out
    code, out = invoke(db_url, *publish[:5], "联欢", *publish[6:], "--place", "x")
    assert code == 1 and "不认识的活动类型“联欢”" in out and "用法：发布" in out, out
    code, out = invoke(db_url, *publish, "--place", "党群 服务中心")
    assert code == 2 and "--place 不能为空，也不能含空格" in out
    code, out = invoke(db_url, *publish, "--place", "党校", "--as", "赵强")
    assert code == 1 and out.startswith("⛔"), out  # a member may not publish for the region
    code, out = invoke(db_url, *publish, "--place", "场" * 300)
    assert code == 1 and out.startswith("地点太长了（最多 200 字）。") and "用法：发布" in out, out  # the chat's check
    code, out = invoke(
        db_url, "event", "create", "--region", "不存在", "--kind", "专题党课", "--at", "明天 9:00", "--place", "x"
    )
    assert code == 2 and "没有这个联合党委" in out
    audit = rows_of(db_url, select(AuditLog.action, AuditLog.platform, AuditLog.actor_id))
    assert [(a, p, who is not None) for a, p, who in audit if a == "event.create"] == [("event.create", "cli", True)]
    assert len(rows_of(db_url, select(Event.id))) == 1


def test_demo_prints_transcript_and_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "书记例会 开始签到" in out and "签到成功（迟到）" in out and "远程签到成功" in out
    assert "请假 1：陈明（在外地参加展会）" in out and "签到结果" in out
    assert "应到 5，实到 4，迟到 1，请假 1，远程 1，补签 1，缺席 0" in out
    # pushes on the accelerated clock, each at its own time
    assert "[城东联合党委书记群 12-01 13:00] 🤖 ⏰ 提醒：1小时后 书记例会" in out
    assert "[城东联合党委书记群 12-01 14:10] 🤖 🔔 书记例会 #1" in out and "还没有签到：周涛" in out
    assert "[城东联合党委书记群 12-14 19:00] 🤖 ⏰ 提醒：1天后 专题党课 #2" in out
    # a duty check-in, an idea adopted with points, one redemption
    assert "🟢 张伟 已上岗（党群服务中心）" in out and "党群服务中心 张伟 ✅ 在岗" in out
    assert "✅ 金点子 #1（刘芳） 采纳：下月起在三家企业试点，作者获得 5 积分。" in out
    assert "✅ 兑换 #1 已批准：刘芳 兑换 党建读本，扣除 5 分。" in out and "💰 刘芳 的积分：3" in out
    # the meeting record with its photo, then the month's ledger and chart written beside the database
    assert "📷 照片已附在 #1 书记例会（共 1 张）。" in out and "照片 1 张" in out
    ledger, chart = tmp_path / "demo-台账.xlsx", tmp_path / "demo-出勤率.png"
    assert f"📒 台账 / ledger: {ledger}" in out and f"📊 图表 / chart: {chart}" in out
    from openpyxl import load_workbook

    book = load_workbook(ledger)
    meeting = next(r for r in table(book["活动台账"])[1:] if r[1] == "书记例会")
    assert meeting[7:12] == (5, 4, 1, 1, 0) and meeting[13] == 1  # 应到 实到 迟到 请假 缺席; one photo
    names = next(r for r in table(book["出席名单与会议记录"])[1:] if "书记例会" in r[0])
    assert names[4].startswith("传达学习全会精神")
    assert len(book["会议照片"]._images) == 1 and chart.read_bytes().startswith(b"\x89PNG")
    # people over time: a transfer waiting, the branch's committee and its term, a month's dues
    assert [r[1:5] for r in table(book["组织关系转接台账"])[1:]] == [
        ("赵强", "红星机械党支部", "绿源科技党支部", "联合党委内转接")
    ]
    assert [r[1:3] + r[10:] for r in table(book["发展党员台账"])[1:]] == [
        ("冯军", "入党积极分子", "列为发展对象（2026年12月20日 起）")
    ]
    assert "[红星群 12-20 09:00] 🤖 🌱 冯军 于 2025年12月20日 确定为入党积极分子，培养考察已满一年。" in out
    mobile = {r[1]: r[2:4] for r in table(book["流动党员台账"])[1:]}
    assert mobile["钱多多"] == ("江苏省苏州市工业园区", "苏州城东驻外党支部") and mobile["刘芳"][0] == "去向未登记"
    terms = {r[0]: r[6] for r in table(book["换届台账"])[1:]}
    assert terms["红星机械党支部"] == "即将届满（还有 14 天）" and terms["绿源科技党支部"] == "未登记换届"
    assert [(r[1], r[5], r[8]) for r in table(book["党费台账"])[1:]] == [
        ("赵强", 90, "已交"),
        ("钱多多", None, "本月待交"),
    ]
    assert "[红星群 12-25 09:00] 🤖 📣 红星机械党支部 2026年12月党费：已交 1 人，还有 1 人未交。" in out
    assert "[红星群 01-01 09:00] 🤖 💴 红星机械党支部 2026年12月党费收缴公示：\n· 赵强 90.00 元" in out
    assert "[城东联合党委书记群 01-01 09:00] 🤖 🗳 本月换届提醒：" in out and "已逾期 4 天" in out
    # a pairing with another committee's branch: proposed here, consented there; the joint lesson's copy there
    consented = "🤖 🤝 城西联合党委已同意：本党委 红星机械党支部 与 城西联合党委 区财政局机关党支部"
    assert f"[城东联合党委书记群 12-01 15:00] {consented}" in out
    # (the copy's number depends on how many events the calendar had made by then)
    assert "[财政局群 12-01 15:00] 🤖 🤝 联合活动：城东联合党委 红星机械党支部邀请本支部共同开展 专题党课 #" in out
    # the region's own points rule, a volunteer service under it, a commendation in the 表彰台账
    assert "· 志愿服务 3 分" in out and "🤝 已登记 钱多多 的志愿服务（2小时）：社区义诊，+3 分" in out
    assert [r[1:5] for r in table(book["表彰台账"])[1:]] == [("先进集体", "红星机械党支部", None, "先进基层党组织")]
    assert any(r[1] == "钱多多" and r[4] == "志愿服务：2小时 社区义诊" for r in table(book["积分台账"])[1:])
    # a month later: the digest on the 1st and the region's report on the 5th, telling the same numbers
    digest = "[城东联合党委书记群 01-01 09:00] 🤖 📅 2026年12月 党建简报\n组织会议和活动 1 次，平均出席率 80%"
    report = "[城东联合党委书记群 01-05 09:00] 🤖 📊 2026年12月 联合党委月报\n组织会议和活动 1 次，平均出席率 80%"
    assert digest in out and report in out and out.index(digest) < out.index(report)
    assert "[红星群 01-01 09:00] 🤖 📝 请报送12月工作情况" in out
    assert "工作情况：开展主题党日1次，点单党史学习教育党课1次" in out.split("联合党委月报")[-1]


def test_schedule_add_and_list_by_cli(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    args = ["schedule", "add", "--region", "城东联合党委", "--kind", "党员活动日", "--branch", "红星机械党支部"]
    code, out = invoke(db_url, *args, "--rule", "每月8日", "--at", "9:00", "--place", "车间", "--remind", "1天")
    assert code == 0, out
    assert "🗓 已设置 日程1 党员活动日 每月8日 09:00 · 车间（遇节假日顺延到下一个工作日；提前1天提醒）" in out
    code, out = invoke(db_url, "schedule", "list", "--region", "城东联合党委")
    assert "日程1 党员活动日 每月8日 09:00 · 车间" in out, out
    for extra, problem in [
        (["--rule", "每月40日", "--at", "9:00", "--place", "车间"], "重复规则里的日期不存在"),
        (["--rule", "每月8日", "--at", "3点", "--place", "车间"], "可能是凌晨也可能是下午"),
        (["--rule", "每月8日", "--at", "9:00", "--place", "车间", "--holiday", "看情况"], "节假日处理方式“看情况”不对"),
        (["--rule", "每月8日", "--at", "9:00", "--place", "车间", "--remind", "明天"], "提醒时间“明天”不对"),
    ]:
        code, out = invoke(db_url, *args, *extra)
        assert code == 1 and problem in out and "用法：例会设置" in out, (extra, out)
    code, out = invoke(db_url, *args, "--rule", "每月8日", "--at", "9:00", "--place", "车间", "--branch", "没有的支部")
    assert code == 2 and "没有支部“没有的支部”" in out
    assert "日程2" not in invoke(db_url, "schedule", "list", "--region", "城东联合党委")[1]


def test_store_add_by_cli(db_url: str) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    code, out = invoke(
        db_url, "store", "add", "--region", "城东联合党委", "--name", "保温杯", "--price", "50", "--stock", "20"
    )
    assert code == 0 and "🛒 保温杯 已上架：50 分，库存 20 件。" in out, out
    code, out = invoke(
        db_url, "store", "add", "--region", "城东联合党委", "--name", "保温杯", "--price", "40", "--stock", "5"
    )
    assert "保温杯 已上架：40 分，库存 25 件" in out  # restocked and repriced
    audit = rows_of(db_url, select(AuditLog.action, AuditLog.platform).where(AuditLog.action == "store.put"))
    assert audit == [("store.put", "cli"), ("store.put", "cli")]  # through the router: audited
    code, out = invoke(
        db_url,
        "store",
        "add",
        "--region",
        "城东联合党委",
        "--name",
        "茶叶",
        "--price",
        "5",
        "--stock",
        "1",
        "--as",
        "赵强",
    )
    assert code == 1 and out.startswith("⛔"), out  # a member may not stock the store
    code, out = invoke(db_url, "store", "add", "--region", "无此区域", "--name", "茶叶", "--price", "5", "--stock", "1")
    assert code == 2 and "没有这个联合党委" in out
    code, out = invoke(
        db_url, "store", "add", "--region", "城东联合党委", "--name", "茶叶", "--price", "0", "--stock", "1"
    )
    assert code == 2  # a price must be at least 1


def test_org_link_members_unlink_and_deactivate_by_cli(db_url: str) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    code, out = invoke(db_url, "org", "link", "--region", "城东联合党委", "--member", "李红", "--telegram", "5001")
    assert code == 0 and "已关联 / linked: 李红 ← telegram 5001" in out, out
    code, out = invoke(db_url, "org", "link", "--region", "城东联合党委", "--member", "张伟", "--telegram", "5001")
    assert code == 2 and "已属于 李红" in out  # one account, one member
    code, out = invoke(db_url, "org", "link", "--region", "城东联合党委", "--member", "李红", "--telegram", "abc")
    assert code == 2 and "应为数字" in out
    code, out = invoke(db_url, "org", "members", "--region", "城东联合党委")
    assert code == 0 and "· 城东联合党委机关党支部 李红（管理员）：Telegram" in out, out
    assert "· 红星机械党支部 赵强（党员）：未登记" in out
    code, out = invoke(db_url, "org", "deactivate", "--region", "城东联合党委", "--member", "赵强")
    assert code == 0 and "⏸ 已停用 赵强" in out, out
    assert "赵强（党员）：未登记（已停用）" in invoke(db_url, "org", "members", "--region", "城东联合党委")[1]
    code, out = invoke(db_url, "org", "deactivate", "--region", "城东联合党委", "--member", "赵强", "--as", "张伟")
    assert code == 1 and "赵强 已经是停用状态" in out, out  # his own branch secretary may, and is told
    code, out = invoke(db_url, "org", "activate", "--region", "城东联合党委", "--member", "周涛", "--as", "张伟")
    assert code == 1 and "周涛 是其他支部的党员" in out, out  # not in his branch: the one rule refuses
    code, out = invoke(db_url, "org", "unlink", "--region", "城东联合党委", "--member", "李红")
    assert code == 0 and "✂️ 已解除 李红 的Telegram账号" in out, out
    actions = rows_of(db_url, select(AuditLog.action, AuditLog.platform).where(AuditLog.platform == "cli"))
    assert ("member.deactivate", "cli") in actions and ("account.unlink", "cli") in actions, actions
    assert invoke(db_url, "org", "link", "--region", "城东联合党委", "--member", "无名", "--wecom", "x")[0] == 2


def test_export_ledger_writes_the_workbook_in_either_language(db_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from storage.models import AuditLog

    roster = tmp_path / "roster.csv"
    people = "张三,一支部,联合党委书记,,,\n李四,一支部,党员,,,\n王五,二支部,党员,,,\n"
    roster.write_text(HEADER + people, encoding="utf-8")
    assert invoke(db_url, "org", "import", str(roster), "--region", "测试联合党委")[0] == 0
    code, out = invoke(
        db_url, "event", "create", "--region", "测试联合党委", "--kind", "专题党课", "--at", "2027-03-05 19:00",
        "--place", "=cmd|'/ccalc'!A1", "--topic", "@SUM(1)",
    )  # fmt: skip
    assert code == 0, out
    out_file = tmp_path / "out" / "台账.xlsx"
    code, out = invoke(
        db_url, "export", "ledger", "--region", "测试联合党委", "--from", "2027-01-01", "--to", "2027-12-31",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == 0, out
    assert f"📎 {out_file}" in out and "📒 测试联合党委 台账（2027年）：活动 1 次，成员 3 人。" in out, out
    assert "⏳" not in out  # a quick export is not announced
    book = load_workbook(out_file)
    events = table(book["活动台账"])
    assert events[1][1:3] == ("专题党课", "全联合党委") and events[1][7] == 3  # everyone is expected
    place = book["活动台账"]["E3"]
    assert place.value == "=cmd|'/ccalc'!A1" and place.data_type == "s"  # text, never a formula
    assert book["活动台账"]["F3"].value == "@SUM(1)"
    assert [r[0] for r in table(book["汇总"])[1:]] == ["一支部", "二支部", "合计"]
    # one branch, in English
    code, out = invoke(
        db_url, "export", "ledger", "--region", "测试联合党委", "--branch", "二支部", "--from", "2027-03-01",
        "--to", "2027-03-31", "--out", str(tmp_path / "en.xlsx"), "--lang", "en",
    )  # fmt: skip
    assert code == 0 and "📒 Ledger of 二支部 (March 2027): 1 events, 1 members." in out, out
    english = load_workbook(tmp_path / "en.xlsx")
    assert english.sheetnames[:4] == ["Summary", "Events", "Names and records", "Attendance"]
    assert [c.value for c in english["Events"][2]][:4] == ["No.", "Kind", "Scope", "Time"]
    assert [r[1] for r in table(english["Attendance"])[1:]] == ["王五"]  # nothing due yet: no subtotal
    assert len(rows_of(db_url, select(AuditLog.id).where(AuditLog.action == "export_ledger"))) == 2
    # mistakes are told plainly, nothing is written
    code, out = invoke(db_url, "export", "ledger", "--region", "没有", "--from", "2026-01-01", "--to", "2026-01-31")
    assert code == 2 and "没有这个联合党委" in out
    code, out = invoke(db_url, "export", "ledger", "--region", "测试联合党委", "--from", "2026-13-01", "--to", "x")
    assert code == 2 and "YYYY-MM-DD" in out
    code, out = invoke(
        db_url, "export", "ledger", "--region", "测试联合党委", "--from", "2026-02-01", "--to", "2026-01-01",
        "--out", str(tmp_path / "never.xlsx"),
    )  # fmt: skip
    assert code == 2 and not (tmp_path / "never.xlsx").exists()


def test_norms_set_and_listed_by_cli(db_url: str) -> None:
    from storage.models import Norm

    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    code, out = invoke(db_url, "norm", "set", "--region", "城东联合党委", "支委会 每季度2次")
    assert code == 0 and "✅ 已设置规范：支委会 每季度2次。" in out, out
    code, out = invoke(db_url, "norm", "set", "--region", "城东联合党委", "专题党课 每年1次")
    assert code == 0 and "专题党课 每年1次" in out
    code, out = invoke(db_url, "norm", "list", "--region", "城东联合党委")
    assert code == 0 and "支委会每季度2次" in out and "专题党课每年1次" in out and "党课每季度1次" in out
    assert sorted(rows_of(db_url, select(Norm.kind, Norm.scope, Norm.per, Norm.count))) == [
        ("committee", "branch", "quarter", 2),
        ("party_lesson", "region", "year", 1),
    ]
    code, out = invoke(db_url, "norm", "set", "--region", "城东联合党委", "支委会 每周1次")
    assert code == 1 and "格式不对" in out and "用法：设置规范" in out, out


def test_org_start_shows_and_sets_the_regions_start_date(db_url: str, tmp_path: Path) -> None:
    """启用日期 by CLI: the day of the first roster import until an operator sets another, audited."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from storage.models import AuditLog

    f = tmp_path / "r.csv"
    f.write_text(HEADER + "张三,一支部,党员,13900000001,,\n李四,机关支部,管理员,13900000002,,\n", encoding="utf-8")
    assert invoke(db_url, "org", "import", str(f), "--region", "测试联合党委")[0] == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    code, out = invoke(db_url, "org", "start", "--region", "测试联合党委")
    assert code == 0 and f"{today.year}年{today.month}月{today.day}日 启用" in out, out
    code, out = invoke(db_url, "org", "start", "--region", "测试联合党委", "--date", "2026-03-01")
    assert code == 0 and "启用日期已设为 2026年3月1日" in out, out
    assert "2026年3月1日 启用" in invoke(db_url, "org", "start", "--region", "测试联合党委")[1]
    code, out = invoke(db_url, "org", "start", "--region", "测试联合党委", "--date", "三月")
    assert code != 0 and "没有看懂日期" in out and "Traceback" not in out
    code, out = invoke(db_url, "org", "start", "--region", "测试联合党委", "--date", "2026-04-01", "--as", "张三")
    assert code == 1 and out.startswith("⛔"), out  # a member may see the start date, not set it
    code, out = invoke(db_url, "org", "start", "--region", "无此联合党委")
    assert code != 0 and "没有这个联合党委" in out
    assert [r[0] for r in rows_of(db_url, select(AuditLog.action).where(AuditLog.action == "region.start"))] == [
        "region.start"
    ]


def test_org_chats_and_unbind(db_url: str, tmp_path: Path) -> None:
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    assert "还没有绑定的群" in invoke(db_url, "org", "chats", "--region", "城东联合党委")[1]
    assert invoke(db_url, "wecom", "webhook", "--region", "城东联合党委", "--branch", "红星机械党支部",
                  "--chat", "wrk-1", "--key", "K")[0] == 0  # fmt: skip
    code, out = invoke(db_url, "org", "chats", "--region", "城东联合党委")
    assert code == 0 and "企业微信群 → 红星机械党支部，管理员（命令行）" in out, out
    number = out.split("· #", 1)[1].split(" ", 1)[0]
    code, out = invoke(db_url, "org", "unbind", "--region", "城东联合党委", "--chat", "999")
    assert code == 1 and "没有编号为 #999 的已绑定群" in out
    code, out = invoke(db_url, "org", "unbind", "--region", "城东联合党委", "--chat", number, "--as", "赵强")
    assert code == 1 and out.startswith("⛔"), out
    code, out = invoke(db_url, "org", "unbind", "--region", "城东联合党委", "--chat", number)
    assert code == 0 and f"🔓 已把群 #{number} 从“红星机械党支部”解绑" in out, out
    assert "还没有绑定的群" in invoke(db_url, "org", "chats", "--region", "城东联合党委")[1]


def test_the_cli_checks_text_as_the_chat_does(db_url: str) -> None:
    """Too long, blank or invisible: a plain sentence and nothing stored, on PostgreSQL as on SQLite."""
    sample = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
    assert invoke(db_url, "org", "import", sample, "--region", "城东联合党委")[0] == 0
    base = ["event", "create", "--region", "城东联合党委", "--kind", "党课", "--at", "2027-03-05 19:00"]
    code, out = invoke(db_url, *base, "--place", "大" * 5000)
    assert code == 1 and "太长了（最多 4096 字）" in out and "Traceback" not in out, out  # longer than a message
    code, out = invoke(db_url, *base, "--place", "")
    assert code != 0 and "--place 不能为空" in out
    code, out = invoke(
        db_url, "store", "add", "--region", "城东联合党委", "--name", "杯" * 500, "--price", "1", "--stock", "1"
    )
    assert code != 0 and "太长了（最多 50 字）" in out and "Traceback" not in out, out
    code, out = invoke(
        db_url, "store", "add", "--region", "城东联合党委", "--name", "保温杯\u200b", "--price", "1", "--stock", "1"
    )
    assert code != 0 and "看不见的字符" in out
    code, out = invoke(db_url, "schedule", "add", "--region", "城东联合党委", "--kind", "书记例会", "--rule", "每月8日",
                       "--at", "09:00", "--place", "场" * 5000)  # fmt: skip
    assert code == 1 and "太长了" in out and "Traceback" not in out, out
    code, out = invoke(db_url, "wecom", "webhook", "--region", "城东联合党委", "--chat", "c" * 500, "--key", "K")
    assert code != 0 and "--chat 太长了（最多 100 字）" in out and "Traceback" not in out, out
    assert counts(db_url)["events"] == 0


SAMPLE = str(Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv")
PUBLISH = "发布 书记例会 2027-03-05 14:00 党群服务中心 学习全会精神"


def test_say_sends_a_chat_command_as_the_admin_through_the_one_rule(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    code, out = invoke(db_url, "say", PUBLISH, "--region", "城东联合党委")
    assert code == 0 and "📌 已发布 #1 书记例会" in out and "2027年3月5日（周五）14:00" in out, out
    # audited as the chat's own action, by the admin, from the command line
    audit = rows_of(
        db_url, select(AuditLog.action, AuditLog.platform, Member.name).join(Member, Member.id == AuditLog.actor_id)
    )
    assert ("event.create", "cli", "李红") in audit, audit
    code, out = invoke(db_url, "say", "活动列表", "--region", "城东联合党委")
    assert code == 0 and "#1" in out and "书记例会" in out


def test_say_is_refused_what_the_member_named_may_not_do(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    code, out = invoke(db_url, "say", PUBLISH, "--region", "城东联合党委", "--as", "赵强")
    assert code == 1 and out.startswith("⛔") and "支部书记" in out, out
    code, out = invoke(db_url, "say", "发布 支部党员大会 2027-03-05 14:00 车间", "--region", "城东联合党委",
                       "--as", "张伟", "--branch", "新兴物流党支部")  # fmt: skip
    assert code == 1 and out.startswith("⛔"), out  # a branch secretary acts for their own branch only
    assert counts(db_url)["events"] == 0
    code, out = invoke(db_url, "say", PUBLISH, "--region", "城东联合党委", "--as", "不存在的人")
    assert code == 2 and "不存在的人" in out and "Traceback" not in out


def test_say_lets_a_units_secretary_act_on_its_branches_and_no_others(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    for text in ("党总支 机械产业党总支 红星机械党支部 绿源科技党支部", "党总支 机械产业党总支 书记 张伟"):
        assert invoke(db_url, "say", text, "--region", "城东联合党委")[0] == 0
    meeting = "发布 支部党员大会 2027-03-05 14:00 车间"
    code, out = invoke(db_url, "say", meeting, "--region", "城东联合党委", "--as", "张伟", "--branch", "绿源科技党支部")
    assert code == 0 and "📌 已发布 #1 支部党员大会" in out, out  # 绿源 is in his 党总支
    code, out = invoke(db_url, "say", meeting, "--region", "城东联合党委", "--as", "张伟", "--branch", "新兴物流党支部")
    assert code == 1 and out.startswith("⛔"), out  # 新兴 is not
    assert counts(db_url)["events"] == 1


def test_say_answers_bad_input_as_the_chat_does(db_url: str) -> None:
    assert invoke(db_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    code, out = invoke(db_url, "say", f"发布 书记例会 2027-03-05 14:00 {'场' * 300} 学习", "--region", "城东联合党委")
    assert code == 1 and "太长了（最多 200 字）" in out and "用法：发布" in out and "Traceback" not in out, out
    code, out = invoke(db_url, "say", "发布 书记例会 2027-03-05 25:00 党校", "--region", "城东联合党委")
    assert code == 1 and "用法：发布" in out, out
    code, out = invoke(db_url, "say", "随便说点什么", "--region", "城东联合党委")
    assert code == 1 and "帮助" in out, out
    assert counts(db_url)["events"] == 0


def test_say_saves_a_file_it_is_answered_with(sqlite_url: str, tmp_path: Path) -> None:
    assert invoke(sqlite_url, "org", "import", SAMPLE, "--region", "城东联合党委")[0] == 0
    code, out = invoke(sqlite_url, "say", "导出台账 本年", "--region", "城东联合党委", "--out", str(tmp_path))
    assert code == 0, out
    saved = [p for p in tmp_path.iterdir() if p.suffix == ".xlsx"]
    assert len(saved) == 1 and f"📎 {saved[0]}" in out
    from openpyxl import load_workbook

    assert "活动台账" in load_workbook(saved[0]).sheetnames


def test_a_long_export_says_first_how_long_it_will_take(sqlite_url: str, tmp_path: Path) -> None:
    from bench.export import build

    asyncio.run(build(sqlite_url, 3000))  # a year of a 3,000-member region: about 90,000 rows
    started = time.monotonic()
    code, out = invoke(
        sqlite_url, "export", "ledger", "--region", "压测联合党委", "--from", "2025-01-01", "--to", "2025-12-31",
        "--out", str(tmp_path / "year.xlsx"),
    )  # fmt: skip
    took = time.monotonic() - started
    assert code == 0, out
    first, second = out.splitlines()[:2]
    said = re.fullmatch(r"⏳ 正在生成 压测联合党委 台账（2025年），约需 (\d+) 秒，好了就发到这里。", first)
    assert said is not None, out  # said before the file, with its time
    assert second.startswith("📒 压测联合党委 台账（2025年）")
    assert took / 3 <= int(said.group(1)) <= took * 3 + 5, (said.group(1), took)  # an honest estimate


def test_a_large_regions_ledger_is_one_of_summaries_and_agrees_with_its_branches(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Over 100,000 attendance and points rows a region's ledger sums them up (per branch, per
    member) and lists only the region's own events; the figures are the ones each branch's own
    ledger reports."""
    from openpyxl import load_workbook

    from bench.export import build

    asyncio.run(build(sqlite_url, 4000))  # a year of 4,000 members in 200 branches: about 120,000 rows
    year = ("--from", "2025-01-01", "--to", "2025-12-31")
    code, out = invoke(
        sqlite_url, "export", "ledger", "--region", "压测联合党委", *year, "--out", str(tmp_path / "r.xlsx")
    )
    assert code == 0, out
    assert "数据量大，考勤按支部、积分按人汇总；各支部的明细请发“导出台账 支部名”。" in out, out
    region = load_workbook(tmp_path / "r.xlsx")
    events = table(region["活动台账"])
    assert len(events) == 1 + 16 and {r[2] for r in events[1:]} == {"全联合党委"}  # 12 meetings, 4 lessons
    below = [r[0] for r in region["活动台账"].iter_rows(values_only=True) if r[0] and "数据量大" in str(r[0])]
    assert below and "2400 次活动" in below[0], below  # 200 branches' 12 activity days: counted, not listed
    matrix = table(region["考勤明细"])
    assert matrix[0][:3] == ("支部", "党员数", "2025-01") and matrix[0][-1] == "出勤率" and len(matrix) == 1 + 200
    points = table(region["积分台账"])
    assert points[0] == ("支部", "姓名", "获得", "扣减", "兑换", "净增", "条数")
    # everyone with an entry (the 200 activists are never expected, never given any); the 14 members
    # transferred on 1 July have a row in each of their two branches
    assert len(points) == 1 + 3800 + 14
    assert [r[0] for r in points if r[1] == "党员000305"] == ["第0016党支部", "第0017党支部"]

    summary = {r[0]: r for r in table(region["汇总"])}
    for name in ("第0016党支部", "第0017党支部", "第0007党支部"):  # one a member left, one he came to, one unmoved
        code, out = invoke(sqlite_url, "export", "ledger", "--region", "压测联合党委", *year, "--branch", name,
                           "--out", str(tmp_path / "b.xlsx"))  # fmt: skip
        assert code == 0 and "数据量大" not in out, out
        branch = load_workbook(tmp_path / "b.xlsx")
        own = {r[0]: r for r in table(branch["汇总"])}
        assert summary[name] == own[name], name  # members, events, expected, present, rate, …, points
    months = {r[0]: r for r in matrix}["第0007党支部"]
    subtotal = next(r for r in table(branch["考勤明细"]) if r[1] == "小计")
    came = sum(int(c.split("/")[0]) for c in months[2:-1] if c)
    assert (came, months[-1]) == (sum(int(c.split("/")[0]) for c in subtotal[3:-1] if c), subtotal[-1])
    entries = [r for r in table(branch["积分台账"])[1:] if r[1] == "党员000121"]
    mine = next(r for r in points if r[1] == "党员000121")
    assert mine[2] == sum(r[3] for r in entries if r[3] > 0) and mine[6] == len(entries) > 0
