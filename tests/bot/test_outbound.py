"""The outbound path's budget itself, with a recording platform: turns spread through the second,
a chat where nothing more is expected goes first, a crowd still signing in is confirmed together
while the budget is contended, a quiet chat's message leaves at once."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time

from markupsafe import Markup

from bot.delivery.outbound import GATHER_QUIET_S, Limits, Outbound
from handlers.core.ports import Delivery, Reply


class Recording:
    """A platform that accepts everything and notes when."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []
        self.texts: dict[str, list[str]] = {}  # chat -> what each of its messages said
        self.edited: list[tuple[float, str]] = []

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        self.sent.append((time.monotonic(), chat_id))
        self.texts.setdefault(chat_id, []).append(str(reply.text))
        return Delivery(ok=True, message_id=str(len(self.sent)))

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> Delivery:
        self.edited.append((time.monotonic(), chat_id))
        return Delivery(ok=True, message_id=message_id)

    def paced(self, chat_id: str) -> bool:
        return True


async def _nothing(*_args: object) -> None:
    return None


def outbound(port: Recording, per_second: float) -> Outbound:
    async def board(_chat: str, _key: str) -> tuple[str, Reply]:
        return "1", Reply(text=Markup("签到名单"))

    return Outbound("test", port, Limits(per_second, 0), render_edit=board, on_gone=_nothing)


def confirmation(name: str, *, settles: bool = False) -> Reply:
    return Reply(text=Markup("✅ {} 签到成功").format(name), coalesce=True, settles=settles)


async def test_turns_are_spread_through_the_second_and_a_settled_chat_goes_first() -> None:
    port = Recording()
    out = outbound(port, per_second=10)
    start = time.monotonic()
    waiting = [out.post(f"g{i}", confirmation(f"党员{i}")) for i in range(10)]
    await asyncio.sleep(0.25)
    before = len(port.sent)
    late = out.post("g-done", confirmation("最后一人", settles=True))  # the list of g-done is complete
    await asyncio.wait_for(asyncio.gather(*waiting, late), 5)
    times = [t - start for t, _ in port.sent]
    assert sum(1 for t in times if t < 0.2) <= 3  # not the whole second's budget at once...
    assert times[-1] >= 0.9  # ...but a tenth's worth at a time
    order = [chat for _, chat in port.sent]
    # posted while seven others still waited, yet the next turn after it arrived was its own (one
    # granted just before may still have been on its way)
    assert before <= order.index("g-done") <= before + 1 and before <= 3
    await out.close()


async def test_while_the_budget_is_contended_a_chat_still_signing_in_is_confirmed_in_one_message() -> None:
    # 12 groups with sign-ins coming in, more than a second's 10 turns: each group's confirmations
    # wait until none has come for a moment and leave as one message, instead of one now and one
    # later; a group whose list is complete is not held
    port = Recording()
    out = outbound(port, per_second=10)
    start = time.monotonic()
    first = [out.post(f"g{i}", confirmation(f"甲{i}")) for i in range(12)]
    await asyncio.sleep(0.3)
    second = [out.post(f"g{i}", confirmation(f"乙{i}")) for i in range(12)]
    done = out.post("g-done", confirmation("最后一人", settles=True))
    await asyncio.wait_for(done, 1)
    assert port.sent[0][1] == "g-done" and port.sent[0][0] - start < 0.5  # at once
    await asyncio.wait_for(asyncio.gather(*first, *second), 5)
    for i in range(12):
        assert port.texts[f"g{i}"] == [f"✅ 甲{i} 签到成功\n✅ 乙{i} 签到成功"]  # one message each
    assert min(t for t, chat in port.sent if chat != "g-done") - start >= 0.3 + GATHER_QUIET_S - 0.05
    await out.close()


async def test_while_crowds_wait_to_be_confirmed_a_board_edit_waits_for_them() -> None:
    # 12 groups' confirmations gather, more than a second's 10 turns: a sign-in board dirty meanwhile
    # is not edited in the pause (each turn it took would come off a crowd later), but after them
    port = Recording()
    out = outbound(port, per_second=10)
    crowds = [out.post(f"g{i}", confirmation(f"甲{i}")) for i in range(12)]
    out.mark_dirty("board-chat", "signin:1")
    await asyncio.wait_for(asyncio.gather(*crowds), 5)
    for _ in range(100):
        if port.edited:
            break
        await asyncio.sleep(0.02)
    assert [chat for _, chat in port.edited] == ["board-chat"]
    assert port.edited[0][0] >= max(t for t, _ in port.sent)
    await out.close()


async def test_a_quiet_chats_message_leaves_at_once_even_after_a_busy_second() -> None:
    port = Recording()
    out = outbound(port, per_second=10)
    await asyncio.wait_for(asyncio.gather(*(out.post(f"g{i}", confirmation(str(i))) for i in range(10))), 5)
    await asyncio.sleep(0.5)  # the budget refills
    posted = time.monotonic()
    await asyncio.wait_for(out.post("quiet", confirmation("一人")), 5)
    assert port.sent[-1][0] - posted < 0.05
    await out.close()


async def test_a_busy_chat_after_a_quick_start_never_stalls_nor_exceeds_its_limit() -> None:
    # a group's 20 a minute, with the minute shortened to 2 s: a quiet chat's first turns go at
    # once; under steady load the turns left in the window are spread so none has to wait long
    port = Recording()
    limits = Limits(per_chat_per_minute=600, chat_window_s=2.0)  # 20 per 2 s

    async def no_edit(_chat: str, _key: str) -> None:
        return None

    out = Outbound("test", port, limits, render_edit=no_edit, on_gone=_nothing)
    posted = [out.post("g", Reply(text=Markup("第{}条").format(i))) for i in range(4)]
    for i in range(4, 34):  # 12.5 a second, more than the chat may send
        await asyncio.sleep(0.08)
        posted.append(out.post("g", Reply(text=Markup("第{}条").format(i))))
    await asyncio.wait_for(asyncio.gather(*posted), 10)
    times = [t for t, _ in port.sent]
    assert len(times) == 34
    assert max(sum(1 for u in times if t <= u < t + 2.0) for t in times) <= 20  # the limit holds
    assert max(b - a for a, b in itertools.pairwise(times[4:])) < 0.3  # and nobody waits long
    await out.close()


async def test_the_platforms_count_holds_however_late_requests_arrive_and_the_pace_stays_near_it() -> None:
    # a request reaches the platform somewhere between leaving and its answer (here up to 100 ms
    # after leaving, at random, so that requests overtake each other), after whatever ran since its
    # turn was granted: in no second does the platform count more than its limit
    rng = random.Random(3)
    arrivals: list[float] = []

    class Distant(Recording):
        async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
            await asyncio.sleep(rng.uniform(0, 1.0))  # what runs between a turn and its request bunches them
            async with out.admitted():
                await asyncio.sleep(rng.uniform(0, 0.1))  # requests overtake each other on the way
                arrivals.append(time.monotonic())
                await asyncio.sleep(rng.uniform(0, 0.01))
            return await super().send_now(chat_id, reply)

    port = Distant()
    out = outbound(port, per_second=10)
    start = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(out.post(f"u{i}", Reply(text=Markup("好"))) for i in range(60))), 12)
    arrivals.sort()
    assert max(bisect.bisect_left(arrivals, t + 1.0) - k for k, t in enumerate(arrivals)) <= 10
    # 60 at 10 a second, each second stretched by the latency, plus the last one's delay before
    # leaving (up to 1 s): not much slower than the limit
    assert time.monotonic() - start < 6 * 1.2 + 1.5
    await out.close()


class Away(Recording):
    """A platform that is away (every send fails transiently) until it is back."""

    def __init__(self) -> None:
        super().__init__()
        self.back = False
        self.tries = 0

    async def send_now(self, chat_id: str, reply: Reply) -> Delivery:
        self.tries += 1
        if not self.back:
            return Delivery(ok=False, error="connection lost", transient=True)
        return await super().send_now(chat_id, reply)


async def test_a_message_held_through_an_outage_leaves_as_soon_as_the_port_says_the_platform_is_back() -> None:
    port = Away()
    out = outbound(port, per_second=30)
    sent = out.post("g1", Reply(text=Markup("周五下午停电")))
    await asyncio.sleep(6)  # the probes have backed off to their longest pause (4 s)
    assert not sent.done() and 3 <= port.tries <= 6  # held and tried now and then, not hammered
    port.back = True
    back = time.monotonic()
    out.platform_back()  # WeCom's long connection subscribed again
    delivery = await asyncio.wait_for(sent, 5)
    assert delivery.ok and time.monotonic() - back < 0.5  # at once, not at the end of the pause
    await out.close()
