"""`dangjian console` as a user runs it: lines typed on stdin, the transcript on stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROSTER = Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv"


def run_cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DANGJIAN_DATABASE_URL": url,
        "DANGJIAN_LOG_LEVEL": "WARNING",
        "DANGJIAN_SIGNIN_OPENS_BEFORE_MIN": "2880",  # 明天 9:00 is at most 33 h away
        "DANGJIAN_DISPATCH_INTERVAL_S": "0.2",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
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
    assert "📨 已提交登记申请：赵强（红星机械党支部）" in out and "[1] 验证手机号 (/contact 手机号)" in out
    assert "🪪 登记申请 #1" in out and "✅ 已同意：“赵强”登记为 赵强。" in out
    assert "📌 已发布 #1 支委会" in out and "签到已开放" in out and "[1] 签到" in out
    assert "赵强 👆 按下按钮 1" in out and "(仅你可见) ✅ 赵强 签到成功" in out
    assert "赵强 已签到，无需重复操作。" in out
    assert out.count("🤖") == 10  # 9 answers and the approval card pushed to the group; chatter got none
    assert "本群还没有绑定支部" in out  # the other chat
    assert "Traceback" not in out + result.stderr
