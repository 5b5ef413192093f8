"""`dangjian console` as a user runs it: lines typed on stdin, the transcript on stdout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.console.interactive import first_meeting_time

ROSTER = Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv"


def run_cli(url: str, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **extra,
        "DANGJIAN_DATABASE_URL": url,
        "DANGJIAN_LOG_LEVEL": "WARNING",
        "DANGJIAN_SIGNIN_OPENS_BEFORE_MIN": "2880",  # 明天 9:00 is at most 33 h away
        "DANGJIAN_DISPATCH_INTERVAL_S": "0.2",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_console_session(db_url: str) -> None:
    assert run_cli(db_url, "org", "import", str(ROSTER), "--region", "城东联合党委").returncode == 0
    lines = [
        "/as 张伟",
        "/contact 13800000011",
        "绑定 红星机械党支部",
        "/as 赵强",
        "登记 赵强",  # no proof: waits for the branch secretary
        "/as 张伟",
        "登记申请",
        "/press 1",
        "发布 支委会 明天 9:00 办公室 研究发展党员",  # the window opens 48 h before: open now
        "/as 赵强",
        "/press 1",
        "签到",
        "<b>随便聊聊</b>",
        "/chat 另一个群",
        "签到",
        "/quit",
    ]
    result = run_cli(db_url, "console", "--chat", "红星群", stdin="\n".join(lines) + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "✅ 登记成功：张伟（红星机械党支部）" in out
    assert "✅ 本群已绑定到支部：红星机械党支部" in out
    assert "📨 已收到登记“赵强”的申请" in out and "[1] 验证手机号 (/contact 手机号)" in out
    assert "🪪 登记申请 #1" in out and "✅ 已同意：“赵强”登记为 赵强。" in out
    assert "📌 已发布 #1 支委会" in out and "签到已开放" in out and "[1] 签到" in out
    assert "赵强 👆 按下按钮 1" in out and "(仅你可见) ✅ 赵强 签到成功" in out
    assert "赵强 已签到，无需重复操作。" in out
    assert out.count("🤖") == 10  # 9 answers and the approval card pushed to the group; chatter got none
    assert "本群还没有绑定支部" in out  # the other chat
    assert "Traceback" not in out + result.stderr
    # a database with a region: the banner says what it holds, no sample is offered
    assert "数据库中：城东联合党委 — 5 个支部，16 名成员，已绑定 0 个群" in out
    assert "导入示例党委" not in out


def test_an_empty_database_is_offered_the_sample_and_the_three_steps_work(sqlite_url: str) -> None:
    at = first_meeting_time(datetime.now(ZoneInfo("Asia/Shanghai")))
    steps = [
        "",
        "绑定 城东联合党委",
        f"发布 书记例会 {at} 党群服务中心",
        "/as 张伟",
        "签到",
        "/as 李红",
        "考勤",
        "/quit",
    ]
    result = run_cli(sqlite_url, "console", stdin="\n".join(steps) + "\n")  # the first line: Enter, take the sample
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "数据库里还没有任何组织。按回车导入示例党委" in out
    assert "已导入示例党委“城东联合党委”：5 个支部，16 名成员" in out
    assert "红星机械党支部：张伟（支部书记）、赵强、钱多多、冯军（入党积极分子）" in out
    # the step as the banner writes it (the banner's clock may have crossed a 5-minute mark since)
    later = first_meeting_time(datetime.now(ZoneInfo("Asia/Shanghai")))
    assert any(f"2. 发布：发送“发布 书记例会 {t} 党群服务中心”" in out for t in {at, later})
    assert "李红@城东联合党委书记群>" in out  # the admin, in the region's chat, from the start
    assert "✅ 本群已绑定到联合党委：城东联合党委" in out
    assert "📌 已发布 #1 书记例会" in out and "签到已开放" in out
    assert "✅ 张伟 签到成功" in out
    assert "应到 5 人，已签到 1 人" in out  # it starts in 20 minutes: nobody is absent yet
    assert "Traceback" not in out + result.stderr


def test_sample_flag_loads_it_without_asking_and_n_starts_empty(sqlite_url: str, tmp_path: Path) -> None:
    steps = "/as 赵强\n我的积分\n/as 李红\n绑定 城东联合党委\n/as 赵强\n讲师团\n/quit\n"
    flagged = run_cli(sqlite_url, "console", "--sample", stdin=steps)
    assert "按回车导入示例党委" not in flagged.stdout and "已导入示例党委" in flagged.stdout
    assert "赵强" in flagged.stdout and "积分" in flagged.stdout.split("赵强: 我的积分")[1]
    assert "· 孙丽（党史、基层党建）今年授课 0 次" in flagged.stdout.split("赵强: 讲师团")[1]  # 点单 has a lecturer
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    refused = run_cli(empty, "console", stdin="n\n签到\n/quit\n")
    assert "数据库是空的：先导入花名册" in refused.stdout and "dangjian console --sample" in refused.stdout
    assert "已导入示例党委" not in refused.stdout


def test_console_words_follow_the_chats_language(sqlite_url: str) -> None:
    lines = ["绑定 城东联合党委", "/lang en", "/as 赵强", "/contact", "/press 9", "签到", "/quit"]
    out = run_cli(sqlite_url, "console", "--sample", stdin="\n".join(lines) + "\n").stdout
    assert "(now speaking as 赵强)" in out and "（现在以" not in out
    assert "(usage: /contact PHONE" in out and "(no such button)" in out
    assert "🤖 (only you see this) No sign-in is open right now." in out
    assert "仅你可见" not in out


def test_the_clock_moves_on_and_a_month_of_pushes_goes_out_in_order(sqlite_url: str, tmp_path: Path) -> None:
    steps = [
        "/as 李红", "绑定 城东联合党委", "/chat 红星群", "/as 张伟", "绑定 红星机械党支部",
        "/clock", "/clock 昨天", "/clock 2027-01-05 10:00", "/clock", "/quit",
    ]  # fmt: skip
    media = tmp_path / "data" / "media"
    result = run_cli(sqlite_url, "console", "--sample", stdin="\n".join(steps) + "\n", DANGJIAN_MEDIA_DIR=str(media))
    out = result.stdout
    assert result.returncode == 0 and "Traceback" not in out + result.stderr, result.stderr
    assert "看不懂“昨天”" in out and "时间只能向前" in out  # time only moves on
    pushes = [line for line in out.splitlines() if line.startswith("[") and "] 🤖 " in line]
    stamps = [m.group(1) for line in pushes if (m := re.search(r" (\d\d-\d\d \d\d:\d\d)\] ", line))]
    # each at its own time, in order (the stamps carry no year: those of a month before this one are next year's)
    this_month = datetime.now(ZoneInfo("Asia/Shanghai")).month
    assert len(stamps) >= 4 and stamps == sorted(stamps, key=lambda s: (int(s[:2]) < this_month, s)), pushes
    said = "\n".join(pushes)
    ask = "[红星群 01-01 09:00] 🤖 📝 请报送12月工作情况"
    digest = "[城东联合党委书记群 01-01 09:00] 🤖 📅 2026年12月 党建简报"
    late = "[红星群 01-04 09:00] 🤖 ⏰ 12月工作情况还未报送"
    report = "[城东联合党委书记群 01-05 09:00] 🤖 📊 2026年12月 联合党委月报"
    assert all(x in said for x in (ask, digest, late, report)), said
    assert said.index(digest) < said.index(late) < said.index(report)
    assert "（时间来到 2027-01-05 10:00，途中发出" in out and "（现在是 2027-01-05 10:0" in out
    assert "WARNING" not in out  # the log goes to a file, not into the chat
    assert (tmp_path / "data" / "console.log").exists()
