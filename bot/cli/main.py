"""The `dangjian` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot import logsafe
from bot.settings import Settings

app = typer.Typer(
    help="党建助手 dangjian: group-chat assistant for regional joint Party organizations.",
    no_args_is_help=True,
    add_completion=False,
)
org_app = typer.Typer(help="组织与花名册 / organization and roster", no_args_is_help=True)
event_app = typer.Typer(help="活动 / events", no_args_is_help=True)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
wecom_app = typer.Typer(help="企业微信 / WeCom", no_args_is_help=True)
duty_app = typer.Typer(help="值班 / duty rota", no_args_is_help=True)
store_app = typer.Typer(help="积分超市 / points store", no_args_is_help=True)
schedule_app = typer.Typer(help="例行安排 / the Party calendar", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(event_app, name="event")
app.add_typer(db_app, name="db")
app.add_typer(schedule_app, name="schedule")
app.add_typer(duty_app, name="duty")
app.add_typer(store_app, name="store")
app.add_typer(wecom_app, name="wecom")
export_app = typer.Typer(help="导出 / exports", no_args_is_help=True)
app.add_typer(export_app, name="export")
norm_app = typer.Typer(help="组织生活规范 / norms of organizational life", no_args_is_help=True)
app.add_typer(norm_app, name="norm")
lecturer_app = typer.Typer(help="讲师团 / the lecturer pool", no_args_is_help=True)
app.add_typer(lecturer_app, name="lecturer")
web_app = typer.Typer(help="网页后台 / the web console")
app.add_typer(web_app, name="web")


def _settings() -> Settings:
    settings = Settings()
    logsafe.setup(settings)
    return settings


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=2)


def _import_failed(err: Exception) -> None:
    """Every file import stops the same way: the row error, and nothing written."""
    _fail(f"导入失败，未做任何改动 / import failed, nothing changed: {err}")


@app.command()
def demo(
    db: Annotated[Path, typer.Option(help="SQLite file for the demo (recreated)")] = Path("data/demo.db"),
) -> None:
    """脚本演示 / scripted demo: roster import, a secretary meeting, sign-ins and the summary."""
    from bot.console.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    counts = asyncio.run(run_demo(db))
    typer.echo(
        f"\n演示结束 / demo finished: 应到 {counts['expected']}，实到 {counts['present']}，迟到 {counts['late']}，"
        f"请假 {counts['leave']}，远程 {counts['remote']}，补签 {counts['makeup']}，缺席 {counts['absent']}"
    )


@app.command()
def console(
    chat: Annotated[str | None, typer.Option(help="chat name to start in")] = None,
    user: Annotated[str | None, typer.Option(help="member name to speak as")] = None,
    sample: Annotated[bool, typer.Option("--sample", help="load the sample region first (demo roster)")] = False,
) -> None:
    """终端群聊 / interactive group chat in the terminal (/as 姓名, /chat 群名, /press N, /quit).
    An empty database is offered the sample region; --sample loads it without asking."""
    from bot.console.interactive import run_console

    settings = _settings()
    _log_to_file(Path(settings.media_dir).parent / "console.log")  # the chat stream shows only the chat
    asyncio.run(run_console(settings, chat, user, sample=sample))


def _log_to_file(path: Path) -> None:
    """Send the log to a file (the console's terminal is the chat itself)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)


@app.command()
def setup(
    region: Annotated[str | None, typer.Option(help="联合党委名称 / region name")] = None,
    roster: Annotated[Path | None, typer.Option(help="花名册 / roster (.csv, .xlsx, .yaml)")] = None,
    database: Annotated[
        str | None, typer.Option(help="SQLite 路径或 PostgreSQL URL / SQLite path or PostgreSQL URL")
    ] = None,
    telegram_token: Annotated[str | None, typer.Option(help="@BotFather 令牌 / Bot API token")] = None,
    telegram_base_url: Annotated[str, typer.Option(help="Bot API base URL (a local Bot API server)")] = (
        "https://api.telegram.org/bot"
    ),
    wecom_bot_id: Annotated[str | None, typer.Option(help="企业微信智能机器人 BotID")] = None,
    wecom_bot_secret: Annotated[str | None, typer.Option(help="企业微信智能机器人 Secret")] = None,
    env_file: Annotated[Path, typer.Option(help="where the settings are written (mode 0600)")] = Path(".env"),
    non_interactive: Annotated[bool, typer.Option("--non-interactive", help="never ask: flags only")] = False,
) -> None:
    """引导配置 / guided set-up: region, roster, database, Telegram and/or WeCom; writes .env."""
    from bot.cli.setup import Answers, SetupError, run_setup

    logging.basicConfig(level=logging.WARNING)
    answers = Answers(
        region=region,
        roster=roster,
        database=database,
        telegram_token=telegram_token,
        telegram_base_url=telegram_base_url,
        wecom_bot_id=wecom_bot_id,
        wecom_bot_secret=wecom_bot_secret,
        env_file=env_file,
    )

    def ask(question: str, default: str | None, secret: bool) -> str | None:
        shown = bool(default) and not secret
        answer: str = typer.prompt(question, default=default or "", show_default=shown, hide_input=secret)
        return answer

    try:
        asyncio.run(run_setup(answers, None if non_interactive else ask, typer.echo))
    except SetupError as err:
        _fail(str(err))


@app.command()
def run(
    transports: Annotated[list[str] | None, typer.Argument(help="telegram (default: every configured one)")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=32, help="进程数 / processes (default DANGJIAN_WORKERS or 1; PostgreSQL)")
    ] = None,
) -> None:
    """运行机器人 / run the bot: every configured transport, the outbox and the scheduler."""
    from bot.runtime import TRANSPORTS, WorkersRefused, check_workers, configured, run_workers
    from bot.runtime import run as run_bot

    settings = _settings()
    wanted = transports or configured(settings)
    unknown = [t for t in wanted if t not in TRANSPORTS]
    if unknown:
        _fail(f"未知的通道 / unknown transport: {', '.join(unknown)} (可用 / available: {', '.join(TRANSPORTS)})")
    if not wanted:
        _fail(
            "没有配置任何通道：请设置 DANGJIAN_TELEGRAM_TOKEN 或 DANGJIAN_WECOM_BOT_ID/SECRET / "
            "no transport configured: set DANGJIAN_TELEGRAM_TOKEN or DANGJIAN_WECOM_BOT_ID and _SECRET"
        )
    missing = [t for t in wanted if t not in configured(settings)]
    if missing:
        _fail(f"通道 {', '.join(missing)} 缺少凭据（见 README）/ missing credentials for {', '.join(missing)}")
    from telegram.error import InvalidToken

    from bot.wecom.link import WeComRefused

    count = workers or settings.workers
    try:
        check_workers(settings, count)
    except WorkersRefused as err:
        _fail(str(err))
    try:
        asyncio.run(run_workers(settings, wanted, count) if count > 1 else run_bot(settings, wanted))
    except InvalidToken:
        _fail(
            "Telegram 不接受 DANGJIAN_TELEGRAM_TOKEN（无效或已被撤销），请在 @BotFather 核对 / "
            "Telegram refused DANGJIAN_TELEGRAM_TOKEN: check it with @BotFather"
        )
    except WeComRefused:
        _fail(
            "企业微信不接受 DANGJIAN_WECOM_BOT_ID / DANGJIAN_WECOM_BOT_SECRET，请在管理后台的智能机器人页面核对 / "
            "WeCom refused DANGJIAN_WECOM_BOT_ID and DANGJIAN_WECOM_BOT_SECRET: check them on the AI bot's page"
        )
    except Exception:  # logged (with secrets hidden) rather than printed raw
        logging.getLogger("dangjian").exception("dangjian run stopped on an error")
        raise typer.Exit(code=1) from None


@web_app.callback(invoke_without_command=True)
def web(
    ctx: typer.Context,
    listen: Annotated[
        str | None, typer.Option(help="主机:端口 / host:port (default DANGJIAN_WEB_LISTEN or 127.0.0.1:8080)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=32, help="进程数 / processes (default DANGJIAN_WEB_WORKERS or 1)")
    ] = None,
) -> None:
    """网页后台 / serve the web console (log in with a one-time link: 后台 in a private chat, or `web link`)."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.runtime import serve_web

    settings = _settings()
    where = listen or settings.web_listen or "127.0.0.1:8080"
    try:
        asyncio.run(serve_web(settings, where, workers=workers or settings.web_workers))
    except (OSError, ValueError) as err:
        _fail(f"后台无法启动 / the web console could not start: {err}")


AsOpt = Annotated[
    str | None, typer.Option("--as", help="以此成员身份（默认：管理员）/ act as this member (default: the admin)")
]


def _say(
    region: str,
    text: str,
    as_: str | None = None,
    branch: str | None = None,
    out: Path | None = None,
    lang: str | None = None,
) -> None:
    """Send a chat command through the router as the operator and print the answers (exit 1 when
    refused or wrong, 2 when the region, branch or member is unknown). A file answered is saved in
    `out` (a folder), or as `out` when it names an .xlsx/.png file."""
    from bot.cli.act import OperatorUnknown, say

    try:
        said = asyncio.run(
            say(_settings(), region, text, operator=as_, branch=branch, locale=lang, meanwhile=typer.echo)
        )
    except OperatorUnknown as err:
        _fail(str(err))
    for line in said.lines or ["没有这个命令，发送“帮助”查看可用命令 / no such command: try 帮助"]:
        typer.echo(line)
    for name, data in said.files:
        target = out if out is not None and out.suffix.lower() in (".xlsx", ".png") else (out or Path(".")) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        typer.echo(f"📎 {target}")
    if said.refused:
        raise typer.Exit(code=1)


def _one_word(option: str, value: str) -> str:
    """A chat command takes a place or a name as one word: a space would split it."""
    if not value.strip() or any(ch.isspace() for ch in value):
        _fail(f"--{option} 不能为空，也不能含空格 / --{option} must be one word")
    return value


@app.command("say")
def say_cmd(
    text: Annotated[str, typer.Argument(help="群内命令，如 '发布 书记例会 明天 14:00 党群服务中心 学习' / a command")],
    region: RegionOpt,
    as_: AsOpt = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="为此支部操作（默认：整个联合党委）/ act for this branch")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="回复带文件时保存到此目录 / where a file answered is saved")] = None,
) -> None:
    """以群内命令操作 / send a chat command as a roster member: the same rights, audit and answers as in a chat."""
    _say(region, text, as_, branch, out)


@web_app.command("link")
def web_link(region: RegionOpt, member: MemberOpt, branch: BranchOpt = None) -> None:
    """一次性登录链接 / print a one-time login link (10 minutes, once) for a manager."""
    from bot.cli.admin import web_link as make

    _org_call(make(_settings(), region=region, member=member, branch=branch))


@org_app.command("import")
def org_import(
    file: Annotated[Path, typer.Argument(help="roster: .csv, .xlsx or .yaml")],
    region: Annotated[str, typer.Option("--region", help="联合党委名称 / region name")],
) -> None:
    """导入花名册 / import a roster (姓名,支部,角色,手机,telegram_id,wecom_userid[,流动党员])."""
    from bot.cli.roster import import_roster
    from bot.cli.tables import RowError
    from storage.db import Database

    settings = _settings()

    async def go() -> None:
        from handlers.core.ports import SystemClock

        db = await Database.open(settings.database_url)
        try:
            r = await import_roster(db, file, region, SystemClock().now())
        finally:
            await db.close()
        typer.echo(
            f"导入完成 / imported ({r.encoding}): 新建支部 {r.branches_created}，新增党员 {r.members_created}，"
            f"更新 {r.members_updated}，调动 {r.members_moved}，未变 {r.unchanged}，关联账号 {r.accounts_linked}"
            + (f"，加入党小组 {r.groups_joined}" if r.groups_joined else "")
        )

    try:
        asyncio.run(go())
    except RowError as err:
        _import_failed(err)


def _org_call(coro: Any) -> None:
    try:
        result = asyncio.run(coro)
    except ValueError as err:
        _fail(str(err))
    for line in [result] if isinstance(result, str) else result:
        typer.echo(line)


RegionOpt = Annotated[str, typer.Option("--region", help="联合党委名称 / region name")]
MemberOpt = Annotated[str, typer.Option("--member", help="姓名 / the member's roster name")]
BranchOpt = Annotated[str | None, typer.Option("--branch", help="支部（同名时）/ branch, when names repeat")]


@norm_app.command("set")
def norm_set(
    region: RegionOpt,
    norm: Annotated[str, typer.Argument(help='例如 / e.g. "支委会 每月1次", "专题党课 每季度1次", "党小组会 每月0次"')],
    as_: AsOpt = None,
) -> None:
    """设置规范 / set a norm (0次 switches it off), as the chat's 设置规范."""
    _say(region, f"设置规范 {norm}", as_)


@norm_app.command("list")
def norm_list(region: RegionOpt, as_: AsOpt = None) -> None:
    """组织生活规范 / the region's norms, as the chat's 组织生活规范."""
    _say(region, "组织生活规范", as_)


@export_app.command("ledger")
def export_ledger(
    region: RegionOpt,
    start: Annotated[str, typer.Option("--from", help="起始日期 / first day, 2026-01-01")],
    end: Annotated[str, typer.Option("--to", help="截止日期（含）/ last day, inclusive")],
    out: Annotated[Path, typer.Option("--out", help="XLSX 文件或目录 / the file (or folder) to write")] = Path("."),
    branch: Annotated[str | None, typer.Option("--branch", help="只导出一个支部 / one branch only")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh-CN / en (表头语言 / headers)")] = None,
    as_: AsOpt = None,
) -> None:
    """导出台账 / the ledger (XLSX): events, attendance, duty, ideas, points, store, audit; as the chat's 导出台账."""
    from datetime import date

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        _fail(f"日期应为 YYYY-MM-DD / dates are YYYY-MM-DD: {start} {end}")
        return
    if last < first:
        _fail("--to 早于 --from / --to is before --from")
    words = f"导出台账 {first.isoformat()}至{last.isoformat()}" + (f" {_one_word('branch', branch)}" if branch else "")
    _say(region, words, as_, out=out, lang=lang)


@org_app.command("link")
def org_link(
    region: RegionOpt,
    member: MemberOpt,
    branch: BranchOpt = None,
    telegram: Annotated[str | None, typer.Option("--telegram", help="Telegram 用户 ID（数字）/ user id")] = None,
    wecom: Annotated[str | None, typer.Option("--wecom", help="企业微信 userid / WeCom userid")] = None,
) -> None:
    """关联账号 / link a member's chat account (you vouch for it: no approval needed)."""
    from bot.cli.admin import link_member

    if (telegram is None) == (wecom is None):
        _fail("请给出 --telegram 或 --wecom 之一 / give exactly one of --telegram and --wecom")
    if telegram is not None and not telegram.lstrip("-").isdigit():
        _fail(f"Telegram 用户 ID 应为数字 / telegram id must be a number: {telegram}")
    platform, user_id = ("telegram", telegram) if telegram is not None else ("wecom", wecom)
    assert user_id is not None
    _org_call(link_member(_settings(), region=region, member=member, branch=branch, platform=platform, user_id=user_id))


@org_app.command("unlink")
def org_unlink(
    region: RegionOpt,
    member: MemberOpt,
    branch: BranchOpt = None,
    platform: Annotated[str | None, typer.Option(help="telegram / wecom (默认全部 / default all)")] = None,
    as_: AsOpt = None,
) -> None:
    """解除账号 / remove a member's account links (audited), as the chat's 解绑."""
    _say(region, f"解绑 {_one_word('member', member)}" + (f" {platform}" if platform else ""), as_, branch)


@org_app.command("chats")
def org_chats(region: RegionOpt, as_: AsOpt = None) -> None:
    """群列表 / the chats bound in a region: number, platform, branch, who bound it and when."""
    _say(region, "群列表", as_)


@org_app.command("unbind")
def org_unbind(
    region: RegionOpt,
    chat: Annotated[int, typer.Option("--chat", help="编号，见 org chats / the number")],
    as_: AsOpt = None,
) -> None:
    """解绑群 / unbind a chat (by its number from `org chats`), audited, as the chat's 解绑群."""
    _say(region, f"解绑群 #{chat}", as_)


@org_app.command("start")
def org_start(
    region: RegionOpt,
    day: Annotated[str | None, typer.Option("--date", help="启用日期，例如 2026-12-01 / the start date")] = None,
    as_: AsOpt = None,
) -> None:
    """启用日期 / show or set the day the region's figures count from (earlier periods show 未启用)."""
    _say(region, f"启用日期 {day}" if day else "启用日期", as_)


@org_app.command("members")
def org_members(region: RegionOpt, as_: AsOpt = None) -> None:
    """成员与账号 / members with role, state and linked accounts, as the chat's 账号列表."""
    _say(region, "账号列表", as_)


@org_app.command("deactivate")
def org_deactivate(region: RegionOpt, member: MemberOpt, branch: BranchOpt = None, as_: AsOpt = None) -> None:
    """停用成员 / deactivate a member (no longer expected, reminded or able to act), as the chat's 停用."""
    _say(region, f"停用 {_one_word('member', member)}", as_, branch)


@org_app.command("activate")
def org_activate(region: RegionOpt, member: MemberOpt, branch: BranchOpt = None, as_: AsOpt = None) -> None:
    """恢复成员 / activate a deactivated member again, as the chat's 启用."""
    _say(region, f"启用 {_one_word('member', member)}", as_, branch)


@event_app.command("create")
def event_create(
    region: RegionOpt,
    kind: Annotated[str, typer.Option(help="书记例会 / 专题党课 / 党员活动日 / ...")],
    at: Annotated[str, typer.Option(help="开始 / start: '2026-12-20 14:00', '明天 14:00', '下周二 下午3点'")],
    place: Annotated[str, typer.Option(help="地点 / place (one word)")],
    topic: Annotated[str, typer.Option(help="主题 / topic")] = "",
    branch: Annotated[str | None, typer.Option(help="支部 (omit for a region-wide event)")] = None,
    lecturer: Annotated[str | None, typer.Option(help="讲师 / lecturer")] = None,
    as_: AsOpt = None,
) -> None:
    """发布活动 / publish an event, as the chat's 发布."""
    words = ["发布", _one_word("kind", kind), at.replace("T", " "), _one_word("place", place)]
    words += [topic] if topic.strip() else []
    words += [f"讲师：{_one_word('lecturer', lecturer)}"] if lecturer else []
    _say(region, " ".join(words), as_, branch)


@event_app.command("list")
def event_list(region: RegionOpt, branch: BranchOpt = None, as_: AsOpt = None) -> None:
    """近期活动 / the upcoming events, as the chat's 活动列表."""
    _say(region, "活动列表", as_, branch)


@schedule_app.command("add")
def schedule_add(
    region: RegionOpt,
    kind: Annotated[str, typer.Option(help="书记例会 / 专题党课 / 党员活动日 / ...")],
    rule: Annotated[str, typer.Option(help="每月第一个周二 / 每季度 第一个月15日 / 每周三 / ...")],
    at: Annotated[str, typer.Option(help="time, e.g. 14:00")],
    place: Annotated[str, typer.Option(help="地点 / place (one word)")],
    topic: Annotated[str, typer.Option(help="主题 / topic")] = "",
    branch: Annotated[str | None, typer.Option(help="支部 (omit for a region-wide rule)")] = None,
    lecturer: Annotated[str | None, typer.Option(help="讲师 / lecturer")] = None,
    holiday: Annotated[str | None, typer.Option(help="节假日 顺延|跳过|照常 (default 顺延)")] = None,
    remind: Annotated[str | None, typer.Option(help="提醒 e.g. 1天,1小时 (default: DANGJIAN_REMINDERS_MIN)")] = None,
    as_: AsOpt = None,
) -> None:
    """设置例行安排 / add a recurring calendar rule, as the chat's 例会设置."""
    words = ["例会设置", _one_word("kind", kind), rule, _one_word("at", at), _one_word("place", place)]
    words += [topic] if topic.strip() else []
    words += [f"讲师：{_one_word('lecturer', lecturer)}"] if lecturer else []
    words += [f"节假日：{_one_word('holiday', holiday)}"] if holiday else []
    words += [f"提醒：{_one_word('remind', remind)}"] if remind else []
    _say(region, " ".join(words), as_, branch)


@schedule_app.command("list")
def schedule_list(region: RegionOpt, as_: AsOpt = None) -> None:
    """例行安排 / the calendar rules of a region, as the chat's 日程."""
    _say(region, "日程", as_)


@duty_app.command("import")
def duty_import(
    file: Annotated[Path, typer.Argument(help="rota: .csv or .xlsx (日期,开始,结束,地点,值班人)")],
    region: Annotated[str, typer.Option("--region", help="联合党委名称 / region name")],
    replace: Annotated[bool, typer.Option("--replace", help="以文件为准修改已有值班 / apply corrections")] = False,
) -> None:
    """导入值班表 / import the duty rota; all rows or none."""
    from bot.cli.duty_import import RotaReport, import_rota
    from bot.cli.tables import RowError
    from handlers.core.ports import SystemClock
    from storage.db import Database

    settings = _settings()

    async def go() -> RotaReport:
        db = await Database.open(settings.database_url)
        try:
            now = SystemClock().now()
            return await import_rota(db, file, region, settings.tz, now, settings.signin_grace_min, replace=replace)
        finally:
            await db.close()

    try:
        r = asyncio.run(go())
    except RowError as err:
        _import_failed(err)
    typer.echo(
        f"导入完成 / imported ({r.encoding}): 新增值班 {len(r.added)} 个，修改 {len(r.updated)} 个"
        f"{'（第 ' + '、'.join(map(str, r.updated)) + ' 行）' if r.updated else ''}，已存在 {len(r.unchanged)} 个"
    )


@store_app.command("add")
def store_add(
    region: Annotated[str, typer.Option(help="联合党委名称 / region name")],
    name: Annotated[str, typer.Option(help="商品名 / item")],
    price: Annotated[int, typer.Option(min=1, help="积分 / points")],
    stock: Annotated[int, typer.Option(min=0, help="库存 / stock to add")],
    as_: AsOpt = None,
) -> None:
    """积分超市上架 / put an item in the points store (or restock and reprice it), as the chat's 上架."""
    if not name.strip() or any(ch.isspace() for ch in name):
        _fail("商品名不能为空，也不能含空格 / the item's name must be one word")
    _say(region, f"上架 {name} {price} {stock}", as_)


@lecturer_app.command("add")
def lecturer_add(
    name: Annotated[str, typer.Option(help="讲师姓名（须在花名册中）/ the lecturer, a roster member")],
    topics: Annotated[str, typer.Option(help="擅长主题，逗号分隔 / topics, comma-separated: 党史,法律")],
    regions: Annotated[str, typer.Option(help="服务的联合党委，逗号分隔 / regions served, comma-separated")],
) -> None:
    """加入讲师团 / put a member into the lecturer pool of one or more regions."""
    from bot.cli.admin import add_lecturer

    def split(text: str) -> list[str]:
        return [p.strip() for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]

    try:
        typer.echo(asyncio.run(add_lecturer(_settings(), name=name, topics=split(topics), regions=split(regions))))
    except ValueError as err:
        _fail(str(err))


@lecturer_app.command("list")
def lecturer_list(region: RegionOpt, as_: AsOpt = None) -> None:
    """讲师团名单 / the region's lecturers and their topics, as the chat's 讲师团."""
    _say(region, "讲师团", as_)


@wecom_app.command("webhook")
def wecom_webhook(
    chat: Annotated[str, typer.Option(help="群 chatid（AI 机器人所在的群），或只用 webhook 的群的名称")],
    key: Annotated[str, typer.Option(help="群机器人 webhook 的 key（URL 中 key= 之后）；'' 表示删除")],
    region: Annotated[str | None, typer.Option(help="绑定新群时：联合党委名称")] = None,
    branch: Annotated[str | None, typer.Option(help="绑定新群时：支部名称（不填为整个联合党委）")] = None,
) -> None:
    """设置群机器人 webhook / set a WeCom group's robot webhook key (pushes go through it)."""
    from bot.cli.admin import set_webhook

    try:
        typer.echo(asyncio.run(set_webhook(_settings(), chat=chat, key=key or None, region=region, branch=branch)))
    except ValueError as err:
        _fail(str(err))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """应用数据库迁移 / apply migrations (also done at every start)."""
    from storage.db import Database

    async def go() -> None:
        db = await Database.open(_settings().database_url)
        await db.close()

    asyncio.run(go())
    typer.echo("ok")


@app.command("backup")
def backup_cmd(
    out: Annotated[Path, typer.Option("--out", help="备份文件 / the backup file to write (a .tar)")],
) -> None:
    """备份数据库与照片 / back up the database and the media folder into one file (the bot may keep running)."""
    from storage.backup import BackupError, backup

    settings = _settings()
    try:
        done = asyncio.run(backup(settings.database_url, Path(settings.media_dir), out))
    except BackupError as err:
        _fail(str(err))
    typer.echo(
        f"已备份 / backed up: {done.path}（{_size(done.size)}；{sum(done.rows.values())} 行 / rows，"
        f"{done.media_files} 个照片文件 / media files）"
    )


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="备份文件 / a file made by `dangjian backup`")],
) -> None:
    """恢复备份到空数据库 / restore a backup into an empty database (DANGJIAN_DATABASE_URL)."""
    from storage.backup import BackupError, restore

    settings = _settings()
    try:
        done = asyncio.run(restore(settings.database_url, Path(settings.media_dir), file))
    except BackupError as err:
        _fail(str(err))
    typer.echo(
        f"已恢复 / restored: {sum(done.rows.values())} 行 / rows，{done.media_files} 个照片文件 / media files；"
        f"数据库版本 / schema {done.revision}"
    )


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MiB" if n >= 1048576 else f"{n / 1024:.0f} KiB"


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


_ = datetime  # typer inspects annotations at runtime

if __name__ == "__main__":
    main()
