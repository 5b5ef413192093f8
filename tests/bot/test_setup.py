"""`dangjian setup` as an operator (or a script) runs it, against the fake Bot API for getMe."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Member
from tests.bot.telegram.test_e2e import free_port
from tests.fakes.telegram_api import BOT, FakeBotAPI, ok, serve_http

ROSTER = Path(__file__).parents[2] / "bot" / "console" / "sample_roster.csv"


async def dangjian(cwd: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    """A `dangjian` process in `cwd` with no DANGJIAN_ settings of its own (it reads cwd's .env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGJIAN_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        *args,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(stdin.encode()), 120)
    return proc.returncode or 0, out.decode()


async def members(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(Member))).scalar_one())
    finally:
        await engine.dispose()


async def test_non_interactive_setup_checks_everything_and_writes_a_private_env(db_url: str, tmp_path: Path) -> None:
    api = FakeBotAPI()
    api.scripted["getMe"].append(ok({**BOT, "can_read_all_group_messages": False}))  # privacy mode on
    port = free_port()
    server = await serve_http(api, port)
    spelled = db_url.replace("postgresql+asyncpg://", "postgresql://")  # as an operator writes it
    try:
        code, out = await dangjian(
            tmp_path,
            "setup",
            "--non-interactive",
            "--region", "城东联合党委",
            "--roster", str(ROSTER),
            "--database", spelled,
            "--telegram-token", "123:SETUP",
            "--telegram-base-url", f"http://127.0.0.1:{port}/bot",
        )  # fmt: skip
    finally:
        server.stop()
    assert code == 0, out
    assert [c.method for c in api.calls] == ["getMe"]
    assert "✅ 数据库可用" in out and "新建支部 5，新增党员 16" in out
    assert "✅ Telegram 机器人 @dangjian_bot" in out
    assert "隐私模式开着" in out and "/setprivacy" in out  # the advice getMe's answer calls for
    assert "绑定 城东联合党委" in out and "dangjian run" in out  # the next steps
    env_file = tmp_path / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    written = dict(line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines())
    assert written["DANGJIAN_DATABASE_URL"] == db_url
    assert written["DANGJIAN_TELEGRAM_TOKEN"] == "123:SETUP"
    assert await members(db_url) == 16
    # the bot run from that folder uses what setup wrote
    code, listed = await dangjian(tmp_path, "org", "members", "--region", "城东联合党委")
    assert code == 0 and "张伟" in listed, listed


async def test_interactive_setup_asks_and_keeps_other_settings(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DANGJIAN_LOCALE=en\nDANGJIAN_DATABASE_URL=old\n", encoding="utf-8")
    answers = ["城东联合党委", "data/dj.db", str(ROSTER), "", "wx-bot", "wx-secret"]
    code, out = await dangjian(tmp_path, "setup", stdin="\n".join(answers) + "\n")
    assert code == 0, out
    assert "联合党委名称" in out and "花名册文件" in out and "企业微信" in out  # it asked
    lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert "DANGJIAN_LOCALE=en" in lines and "DANGJIAN_DATABASE_URL=old" not in lines
    assert f"DANGJIAN_DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'data' / 'dj.db'}" in lines
    assert "DANGJIAN_WECOM_BOT_ID=wx-bot" in lines and "DANGJIAN_WECOM_BOT_SECRET=wx-secret" in lines
    assert not any(line.startswith("DANGJIAN_TELEGRAM_TOKEN") for line in lines)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


async def test_a_refused_token_a_bad_roster_or_no_database_stop_before_anything_is_written(tmp_path: Path) -> None:
    api = FakeBotAPI()
    api.fail_next("getMe", 401, "Unauthorized")
    port = free_port()
    server = await serve_http(api, port)
    base = ["setup", "--non-interactive", "--region", "城东联合党委", "--database", "data/x.db"]
    try:
        code, out = await dangjian(
            tmp_path, *base, "--telegram-token", "1:BAD", "--telegram-base-url", f"http://127.0.0.1:{port}/bot"
        )
    finally:
        server.stop()
    assert code == 2 and "Telegram 不接受这个令牌" in out and "Traceback" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,支部,角色\n张三,一支部,党员\n,一支部,党员\n", encoding="utf-8")
    code, out = await dangjian(tmp_path, *base, "--roster", str(bad))
    assert code == 2 and "花名册有误，未导入" in out and "3" in out
    code, out = await dangjian(tmp_path, *base[:-1], "postgresql://nobody@127.0.0.1:1/none")
    assert code == 2 and "数据库连不上" in out and "Traceback" not in out
    code, out = await dangjian(tmp_path, "setup", "--non-interactive")
    assert code == 2 and "需要联合党委名称" in out
    assert not (tmp_path / ".env").exists()


def test_the_env_file_takes_one_line_a_value_and_is_never_a_link(tmp_path: Path) -> None:
    import pytest

    from bot.cli.setup import SetupError, write_env

    env_file = tmp_path / ".env"
    with pytest.raises(SetupError, match="换行"):
        write_env(env_file, {"DANGJIAN_TELEGRAM_TOKEN": "123:abc\nDANGJIAN_WEB_SECRET=chosen"})
    assert not env_file.exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("KEEP=1\n", encoding="utf-8")
    env_file.symlink_to(elsewhere)
    with pytest.raises(SetupError, match="链接"):
        write_env(env_file, {"DANGJIAN_LOCALE": "zh-CN"})
    assert elsewhere.read_text(encoding="utf-8") == "KEEP=1\n"  # the file it pointed at is untouched


async def test_a_typed_token_is_never_logged_and_secrets_are_asked_unseen(tmp_path: Path) -> None:
    from bot.cli.setup import Answers, SetupError, run_setup
    from bot.logsafe import REDACTOR

    asked: list[tuple[str, bool]] = []
    typed = {"联合党委名称": "城东联合党委", "数据库": str(tmp_path / "d.db"), "Telegram 令牌": "777:TYPEDSECRET",
             "企业微信智能机器人 BotID": "wx", "企业微信机器人 Secret": "wx-typed-secret"}  # fmt: skip

    def ask(question: str, default: str | None, secret: bool) -> str | None:
        asked.append((question.split("（")[0].split(" /")[0], secret))
        return next((v for k, v in typed.items() if question.startswith(k)), "")

    answers = Answers(env_file=tmp_path / ".env", telegram_base_url="http://127.0.0.1:9/bot")
    with contextlib.suppress(SetupError):  # Telegram is not reachable here: what was typed is known secret by then
        await run_setup(answers, ask, lambda _line: None)
    assert REDACTOR.clean("GET /bot777:TYPEDSECRET/getMe") == "GET /bot***/getMe"
    assert ("Telegram 令牌", True) in asked and ("联合党委名称", False) in asked
