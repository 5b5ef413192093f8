"""What people say, mapped to the command they mean (意图).

A message that is no command is first tidied (full-width forms, 请/麻烦/帮我/我要 in front,
吧/呢/吗/一下 and punctuation behind) and looked up in the phrases the features declare. A phrase
names the command it means and how its arguments follow from the words (or a function that works
them out, such as which meeting "明天的书记例会" is). Reading what a phrase means costs nothing
but the regular expressions: only a phrase that matched reads who is speaking.

Who is understood: a manager in a group, and anyone speaking to the bot (a private chat, or a
group message addressed to it); a member's chatter in a group stays silent, except the phrases
that state a clear intent of their own (`我要请假，下周去外地`, `我有个金点子：…`). A read is
answered at once; a write that changes what exists (cancel, move) is asked back with a button that
runs the command.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.core.context import Context

Resolve = Callable[["Context", "re.Match[str]"], Awaitable[str | None]]

_FRONT = re.compile(
    r"^(?:(?:请问|请(?!个?假)|麻烦你?|劳驾|帮我|帮忙|给我|我想要|我想|我要|想要|可以|能不能|能否|能|把)\s*)+"
)
_FILLER = re.compile(r"(?<=[看查发导下载出])一下")  # 看一下考勤 -> 看考勤
_BACK = re.compile(r"(?:[\s?!.~。…、，,？！～．]|一下|吧|呢|吗|嘛|啊|呀|哈|哦|喔)+$")
_SPACES = re.compile(r"\s+")
_PLAIN = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF10, 0xFF5B) if chr(c).isalnum()}


def tidy(text: str) -> str:
    """The words without the politeness around them: 请/麻烦/帮我/我要… in front and 吧/呢/吗/
    一下/punctuation behind taken off, spaces (full-width too) collapsed; full-width letters and
    digits made plain."""
    s = _SPACES.sub(" ", text.translate(_PLAIN).strip())
    s = _FILLER.sub("", s)
    for _ in range(2):  # "请帮我看一下考勤吧？" takes two rounds
        s = _FRONT.sub("", s).strip()
        s = _BACK.sub("", s).strip()
    return s


@dataclass(frozen=True)
class Phrase:
    """One way of saying a command. `pattern` is matched against the whole tidied text; the
    command's words are `command` (its keyword, as typed in a chat) followed by `args`, formatted
    with the pattern's named groups, or what `resolve` works out (None: not understood after all).
    `anyone`: a member's clear intent, understood in groups too (else managers' words and words
    addressed to the bot). `confirm`: asked back with a button that runs it (a change to what
    exists)."""

    pattern: str
    command: str
    args: str = ""
    anyone: bool = False
    confirm: bool = False
    resolve: Resolve | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)

    def words(self, m: re.Match[str], original: str) -> str:
        """The command as typed, from a match of this phrase (without `resolve`). The free text
        (the group named `text`: a reason, an idea, a report) is taken as written, to its end."""
        groups = {k: (v or "").strip() for k, v in m.groupdict().items()}
        if groups.get("text"):
            at = original.find(groups["text"])
            if at >= 0:
                groups["text"] = original[at:].strip()
        return f"{self.command} {self.args.format(**groups)}".strip()


# fragments the features' phrases share
DAY = r"今天|明天|后天|下?(?:周|星期|礼拜)[一二三四五六日天]|\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号]"
KIND = r"书记例会|例会|专题党课|党课|主题党日|党员活动日|支部党员大会|党员大会|支委会|党小组会|活动|会议|会"
SEE = r"(?:查看|看看|看|查|查询|查一查|瞧瞧|显示|打开|给我看|发一下|发)?"  # 请/帮我 are tidied away already
PERIOD = r"本月|上月|上个月|这个月|本季度?|上季度?|今年|本年|去年|\d{4}年|\d{4}-\d{1,2}|\d{1,2}月"

_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _CACHE.get(pattern)
    if found is None:
        found = _CACHE[pattern] = re.compile(f"^(?:{pattern})$", re.S | re.I)
    return found


def understood(phrases: list[Phrase], said: str) -> tuple[Phrase, re.Match[str]] | None:
    """The first phrase a tidied text (tidy()) says, with its match."""
    if not said:
        return None
    for phrase in phrases:
        if m := phrase.regex.match(said):
            return phrase, m
    return None
