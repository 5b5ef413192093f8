"""What a reader sees, checked for the marks of untrue numbers and unread code: a Python repr, a
None, a raw code of the vocabulary, a UTC timestamp. Used on web pages and on ledger cells."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from handlers.core.vocabulary import codes

REPR = re.compile(r"<built-in|object at 0x|<[a-z_.]+ object|\bNone\b|Traceback|\{\{|\}\}|\bnan\b")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\+08:00|\+00:00|\bUTC\b")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]")


def code_words(text: str, locale: str) -> list[str]:
    """Raw codes in a text: any code in Chinese; in English those that are not words (a_b, a.b)."""
    known = codes()
    found = [w for w in WORD.findall(text) if w in known]
    if locale == "en":
        found = [w for w in found if "_" in w or "." in w]
    return found


def untrue(text: str, locale: str = "zh-CN") -> list[str]:
    """Every mark of a repr, a None, an ISO or UTC time, or a raw code in `text`."""
    return REPR.findall(text) + ISO.findall(text) + code_words(text, locale)


class _Visible(HTMLParser):
    SHOWN_ATTRS = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN_ATTRS and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def table(sheet: Any) -> list[tuple[Any, ...]]:
    """A ledger sheet's header and rows, without its title row and the lines under the table."""
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)][1:]
    end = next((i for i, r in enumerate(rows) if i and all(v is None for v in r)), len(rows))
    return rows[:end]


def day(cell: object) -> str | None:
    """A ledger's date cell as YYYY-MM-DD (openpyxl reads one as a datetime); None when empty."""
    return None if cell is None else f"{cell:%Y-%m-%d}"
