"""`dangjian setup`: a short guided set-up of a real deployment.

Region name, roster (validated and imported, with the import's report), the database (a SQLite
path or a PostgreSQL URL, checked by connecting and migrating), the Telegram token (checked with
getMe; privacy-mode advice from its answer) and/or the WeCom bot's id and secret. Writes `.env`
(mode 0600, other lines kept) and prints the next steps. Every answer can be given as a flag, so
scripts run it without a prompt (`--non-interactive`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.cli.roster import ImportResult, import_roster
from bot.cli.tables import RowError
from bot.logsafe import REDACTOR
from handlers.core.ports import SystemClock
from storage.db import Database


class SetupError(Exception):
    """A step that cannot go on; the message says why, in Chinese and English."""


@dataclass
class Answers:
    region: str | None = None
    roster: Path | None = None
    database: str | None = None
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    wecom_bot_id: str | None = None
    wecom_bot_secret: str | None = None
    env_file: Path = Path(".env")
    settings: dict[str, str] = field(default_factory=dict)  # what goes into .env


def database_url(value: str) -> str:
    """A PostgreSQL URL (any spelling) or a SQLite path, as the async URL the bot uses."""
    v = value.strip()
    if v.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + v.split("://", 1)[1]
    if "://" in v:
        return v
    return f"sqlite+aiosqlite:///{Path(v).expanduser().resolve()}"


def shown(url: str) -> str:
    """A database URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url


async def check_database(url: str) -> None:
    """Connect and migrate (an empty database gets its tables)."""
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = await Database.open(url)
    except Exception as exc:  # a driver's own error: its message says what is wrong
        raise SetupError(f"数据库连不上 / cannot connect to {shown(url)}: {type(exc).__name__}: {exc}") from exc
    await db.close()


async def load_roster(url: str, path: Path, region: str) -> ImportResult:
    db = await Database.open(url)
    try:
        return await import_roster(db, path, region, SystemClock().now())
    except RowError as err:
        raise SetupError(f"花名册有误，未导入 / roster refused, nothing imported: {err}") from err
    finally:
        await db.close()


@dataclass(frozen=True)
class BotCheck:
    username: str
    privacy_on: bool  # can_read_all_group_messages false: keywords like 签到 do not reach the bot
    joins_groups: bool


async def check_telegram(token: str, base_url: str) -> BotCheck:
    """getMe with the token: who the bot is and how it is set up in BotFather."""
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            answer = await client.get(f"{base_url}{token}/getMe")
    except httpx.HTTPError as exc:
        raise SetupError(f"连不上 Telegram / cannot reach Telegram: {exc}") from exc
    if answer.status_code in (401, 404):
        raise SetupError(
            "Telegram 不接受这个令牌，请在 @BotFather 核对 / Telegram refused the token: check it with @BotFather"
        )
    body = answer.json()
    if not body.get("ok"):
        raise SetupError(f"Telegram: {body.get('description', answer.status_code)}")
    me = body["result"]
    return BotCheck(
        username=str(me.get("username", "")),
        privacy_on=not me.get("can_read_all_group_messages", False),
        joins_groups=bool(me.get("can_join_groups", True)),
    )


def write_env(path: Path, values: dict[str, str]) -> None:
    """Set these keys in the .env file (mode 0600), keeping its other lines. A value is one line
    (a line break would smuggle in a setting of its own), and the file is never a link to another."""
    for key, value in values.items():
        if any(ch in value for ch in "\r\n\0"):
            raise SetupError(f"{key} 含有换行，未写入 / {key} holds a line break: not written")
    if path.is_symlink():
        raise SetupError(f"{path} 是一个链接，未写入 / {path} is a symbolic link: not written")
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key = line.split("=", 1)[0].strip()
            if key not in values:
                kept.append(line)
    lines = kept + [f"{k}={v}" for k, v in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    except OSError as exc:  # made a link meanwhile, or not writable
        raise SetupError(f"{path} 无法写入 / cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)  # an existing file keeps its mode on open: make it private too


Ask = Callable[[str, str | None, bool], str | None]  # (question, default, secret) -> answer; None: no prompts


async def run_setup(a: Answers, ask: Ask | None, say: Callable[[str], None]) -> None:
    """The guided steps; `ask` None means every answer came as a flag (or is left out)."""

    def need(value: str | None, question: str, default: str | None = None, *, secret: bool = False) -> str | None:
        if value is not None or ask is None:
            return value if value is not None else default
        answer = ask(question, default, secret)  # a secret is typed unseen
        return answer.strip() if answer and answer.strip() else default

    region = need(a.region, "联合党委名称 / region name")
    if not region:
        raise SetupError("需要联合党委名称（--region）/ the region name is required (--region)")
    url = database_url(
        need(a.database, "数据库：SQLite 文件路径或 PostgreSQL URL / SQLite path or PostgreSQL URL", "data/dangjian.db")
        or ""
    )
    await check_database(url)
    say(f"✅ 数据库可用 / database ready: {shown(url)}")
    a.settings["DANGJIAN_DATABASE_URL"] = url

    roster = a.roster
    if roster is None and ask is not None:
        typed = need(None, "花名册文件（.csv/.xlsx/.yaml，可留空稍后导入）/ roster file (blank: later)", "")
        roster = Path(typed) if typed else None
    if roster is not None:
        r = await load_roster(url, roster, region)
        say(
            f"✅ 花名册已导入 / roster imported ({r.encoding}): {region} — 新建支部 {r.branches_created}，"
            f"新增党员 {r.members_created}，更新 {r.members_updated}，调动 {r.members_moved}，未变 {r.unchanged}"
        )
    else:
        say(f"ℹ️ 稍后导入花名册 / import the roster later: dangjian org import 花名册.csv --region {region}")

    token = need(
        a.telegram_token, "Telegram 令牌（@BotFather 给的，可留空）/ Telegram token (blank: none)", "", secret=True
    )
    REDACTOR.add(token)  # typed or given: never in a log line from here on
    if token:
        bot = await check_telegram(token, a.telegram_base_url)
        say(f"✅ Telegram 机器人 @{bot.username}")
        if bot.privacy_on:
            say(
                "⚠️ 隐私模式开着：群里只有 /命令 和 @机器人 的消息能收到，“签到”这样的中文关键词收不到。"
                "请在 @BotFather 发送 /setprivacy → 选本机器人 → Disable，然后把机器人移出群再加回来。\n"
                "   Privacy mode is on: in groups the bot only sees /commands and mentions. In @BotFather: "
                "/setprivacy → this bot → Disable, then remove the bot from each group and add it back."
            )
        if not bot.joins_groups:
            say(
                "⚠️ 机器人不能被拉进群：@BotFather → /setjoingroups → Enable / "
                "the bot cannot join groups: /setjoingroups → Enable"
            )
        a.settings["DANGJIAN_TELEGRAM_TOKEN"] = token
        if a.telegram_base_url != Answers.telegram_base_url:
            a.settings["DANGJIAN_TELEGRAM_BASE_URL"] = a.telegram_base_url

    bot_id = need(a.wecom_bot_id, "企业微信智能机器人 BotID（可留空）/ WeCom AI bot BotID (blank: none)", "")
    question = "企业微信机器人 Secret / WeCom bot Secret"
    secret = need(a.wecom_bot_secret, question, "", secret=True) if bot_id else a.wecom_bot_secret
    REDACTOR.add(secret)
    if bool(bot_id) != bool(secret):
        raise SetupError("企业微信需要 BotID 和 Secret 两项 / WeCom needs both the BotID and the Secret")
    if bot_id and secret:
        a.settings["DANGJIAN_WECOM_BOT_ID"] = bot_id
        a.settings["DANGJIAN_WECOM_BOT_SECRET"] = secret
        say("✅ 企业微信机器人已记下，dangjian run 时连接 / WeCom bot noted: it connects at dangjian run")

    write_env(a.env_file, a.settings)
    say(f"✅ 已写入 / written: {a.env_file} (0600)")
    channels = [
        n
        for n, k in (("Telegram", "DANGJIAN_TELEGRAM_TOKEN"), ("企业微信", "DANGJIAN_WECOM_BOT_ID"))
        if k in a.settings
    ]
    say(
        "\n下一步 / next steps:\n"
        + (
            "  1. dangjian run  （启动机器人 / start the bot）\n"
            if channels
            else "  1. 还没有聊天通道：再运行 dangjian setup 填 Telegram 令牌或企业微信机器人 / no chat channel yet\n"
        )
        + "  2. 把机器人拉进联合党委的群和各支部的群 / add the bot to the region's group and each branch's group\n"
        + "  3. 管理员和支部书记先私聊机器人，点“验证手机号”分享自己的号码（与花名册一致即登记）\n"
        + "     / managers verify who they are in a private chat (share their own phone)\n"
        + f"  4. 在联合党委群发送“绑定 {region}”，在支部群发送“绑定 支部名称” / bind each group\n"
        + "  5. 发布第一个活动：发布 书记例会 明天 14:00 党群服务中心，或直接说“明天下午三点开书记例会”\n"
        + "     / publish the first event"
    )
