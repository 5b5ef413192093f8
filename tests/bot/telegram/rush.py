"""A Party lesson's sign-in rush, played in real time against the fake Bot API with its limits.

Shared by the rush test and bench/telegram.py: N members of one group sign in at random moments
within a burst, half by the button, half by typing 签到. For each one we measure how long until
they could see a confirmation: their answerCallbackQuery toast, or the group message carrying
"<name> 签到成功".
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from storage.models import Event
from tests.bot.telegram.conftest import GROUP, SECRETARY, TG
from tests.fakes.telegram_api import button_update, text_update

FIRST_ID = 10_000


def rush_roster(members: int) -> str:
    lines = ["姓名,支部,角色,手机,telegram_id,wecom_userid", f"张伟,红星机械党支部,支部书记,,{SECRETARY},"]
    lines += [f"党员{i:03d},红星机械党支部,党员,,{FIRST_ID + i}," for i in range(members)]
    return "\n".join(lines) + "\n"


@dataclass
class RushResult:
    latencies: list[float] = field(default_factory=list)  # seconds, one per member
    group_messages: int = 0  # sendMessage + editMessageText to the group during the rush
    rejected: int = 0  # 429s the fake had to return
    seconds: float = 0.0

    def quantile(self, q: float) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q * 100) - 1]


async def prepare(tg: TG) -> int:
    """Bind the group and publish a lesson starting in 20 minutes; returns its event id."""
    await tg.say(SECRETARY, "绑定 红星机械党支部")
    await tg.say(SECRETARY, "发布 专题党课 今天 9:20 党群服务中心 学习二十届四中全会精神")
    await tg.settle()
    return int((await tg.rows(select(Event.id)))[-1][0])


async def rush(tg: TG, event_id: int, members: int, burst_s: float, *, seed: int = 7) -> RushResult:
    rng = random.Random(seed)
    arrivals = sorted((rng.uniform(0, burst_s), i) for i in range(members))
    first_call = len(tg.api.calls)
    sent_at: dict[int, float] = {}
    callback_of: dict[str, int] = {}
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic()
    for offset, i in arrivals:
        delay = start + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = FIRST_ID + i
        if i % 2:
            update = button_update(uid, GROUP, f"signin:{event_id}", message_id=1)
            callback_of[update["callback_query"]["id"]] = i
        else:
            update = text_update(uid, GROUP, "签到")
        sent_at[i] = time.monotonic()
        tasks.append(asyncio.create_task(tg.feed(update)))
    await asyncio.gather(*tasks)
    await tg.settle()
    result = RushResult(seconds=time.monotonic() - start, rejected=tg.api.rejected)
    seen: dict[int, float] = {}
    for call in tg.api.calls[first_call:]:
        if call.status != 200:
            continue
        if call.method == "answerCallbackQuery":
            i = callback_of[str(call.params["callback_query_id"])]
            seen.setdefault(i, call.at)
        elif call.chat == str(GROUP) and call.method in ("sendMessage", "editMessageText"):
            result.group_messages += 1
            if call.method == "sendMessage":
                for i in range(0, members, 2):
                    if f"党员{i:03d} 签到成功" in call.text:
                        seen.setdefault(i, call.at)
    missing = set(range(members)) - set(seen)
    if missing:
        raise AssertionError(f"{len(missing)} members never saw a confirmation, e.g. 党员{min(missing):03d}")
    result.latencies = [seen[i] - sent_at[i] for i in range(members)]
    return result


NAMED = re.compile(r"(党员\d+) 签到成功")


def confirmed_at(calls: list[Any]) -> dict[str, float]:
    """When each member ("党员N") first saw their confirmation in a group message that went out."""
    seen: dict[str, float] = {}
    for call in calls:
        if call.status == 200 and call.method == "sendMessage":
            for name in NAMED.findall(call.text):
                seen.setdefault(name, call.at)
    return seen
