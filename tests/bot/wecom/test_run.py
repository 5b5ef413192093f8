"""`dangjian run wecom` as a real process against the fake WeCom server."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from tests.bot.telegram.test_e2e import cli
from tests.bot.wecom.conftest import GROUP, ROSTER
from tests.fakes.wecom import BOT_ID, SECRET, FakeWeComServer, content_of, text_message


async def test_run_wecom_process_answers_a_mention(db_url: str, tmp_path: Path) -> None:
    server = FakeWeComServer()
    port = await server.start()
    env = {
        **os.environ,
        "DANGJIAN_DATABASE_URL": db_url,
        "DANGJIAN_WECOM_BOT_ID": BOT_ID,
        "DANGJIAN_WECOM_BOT_SECRET": SECRET,
        "DANGJIAN_WECOM_WS_URL": f"ws://127.0.0.1:{port}",
        "DANGJIAN_DISPATCH_INTERVAL_S": "0.2",
    }
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    imported = await cli(env, "org", "import", str(roster), "--region", "城东联合党委")
    assert await imported.wait() == 0
    log_file = tmp_path / "bot.log"
    bot = await cli({**env, "DANGJIAN_LOG_LEVEL": "DEBUG"}, "run", "wecom", log=log_file)  # even at DEBUG
    try:
        await server.until(lambda: server.subscribed == 1, within=30)
        req_id = await server.callback(text_message("zhangwei", "@党建助手 绑定 红星机械党支部", GROUP))
        await server.until(lambda: bool(server.replies(req_id)), within=10)
        assert content_of(server.replies(req_id)[0]).startswith("✅ 本群已绑定到支部：红星机械党支部")
        req_id = await server.callback(text_message("zhaoqiang", "@党建助手 通知 全体 开会", GROUP))
        await server.until(lambda: bool(server.replies(req_id)), within=10)
        assert "这项操作需要联合党委书记或管理员" in content_of(server.replies(req_id)[0])
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 30)
        await server.stop()
    log = log_file.read_text(encoding="utf-8")
    assert bot.returncode == 0 and "Traceback" not in log, log
    assert "aibot_subscribe" in log or "subscribed" in log  # the DEBUG log was written...
    assert SECRET not in log  # ...without the bot's secret
