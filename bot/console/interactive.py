"""`dangjian console`: read lines from the terminal and play them into the router."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.app import build_app
from bot.console.transport import ConsoleChat, ConsoleTransport
from bot.runtime import Runtime
from bot.settings import Settings

BANNER = """党建助手 终端模式 / dangjian console
  /as 姓名      以某位成员身份发言 / speak as a member
  /chat 群名    切换群 / switch chat
  /press N      按下最近消息的第 N 个按钮 / press button N
  /dm           与机器人私聊 / private chat with the bot
  /contact 手机号  分享自己的手机号（验证身份）/ share your own phone number
  /photo 路径 #编号  发一张附说明的照片（会议记录）/ send a captioned photo
  /quit         退出 / quit
先导入花名册，以管理员身份“/contact 手机号”验证、“绑定 支部名称”，再“发布 …”。发送“帮助”查看全部命令。"""


async def run_console(settings: Settings, chat_id: str, user: str) -> None:
    app = await build_app(settings)
    transport = ConsoleTransport(app, print, stamp=lambda: datetime.now(settings.tz).strftime("%H:%M"))
    chat = ConsoleChat(transport, chat_id=chat_id, user=user)
    runtime = Runtime(app, {"console": transport})
    runtime.start()  # pushes on time, the calendar's occurrences made ahead, as `dangjian run` does
    print(BANNER)
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"{chat.user}@{chat.chat_id}> ")
            except EOFError:
                break
            if line.strip() in ("/quit", "/exit"):
                break
            await chat.say(line)
            await runtime.deliver()  # what the line set off (an approval card, a notice) at once
    finally:
        await runtime.stop()
        await transport.close()
        await app.close()
