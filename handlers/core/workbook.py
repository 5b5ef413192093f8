"""The workbook's machinery: an XLSX sheet with its title, headers, widths, wrapped cells, the
export time and the lines to sign under the table, fitted to print on A4 landscape; the labels
of both languages; the figures a ledger reports back. What each sheet holds is ledger_book's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from markupsafe import Markup

from handlers.core.i18n import render
from handlers.core.vocabulary import term
from storage.records import rate_of

MAX_CELL = 32_767  # characters Excel keeps in one cell
NAMES_CELL = 2_000  # a list of names longer than this is cut, with "… and N more"
MATRIX_MAX_EVENTS = 200  # beyond this many events the attendance sheet is one row per mark
# a region with more attendance and points rows than this gets a ledger of summaries (per branch,
# per member): a row per sign-in and per point of 50,000 members is 1.5 million rows nobody reads
# region-wide, 20 MB over WeCom's file limit and a minute to write; each branch's ledger has them
DETAIL_MAX_ROWS = 100_000
MAX_WIDTH = 30  # a column wider than this wraps its text instead
# Printing on A4 landscape with 0.3-inch margins leaves about 820 pixels of column as LibreOffice
# lays a sheet out (Excel's unit: a width w is w × 7 + 5 pixels; measured by tests/handlers/
# test_print.py). A sheet that fits at 85 % or more is fitted to the page width (11 pt text stays
# at 9.35 pt or more); a wider one prints at 100 % over several pages across, its first columns
# repeated on each.
PAGE_PX = 820
LINE_PT = 15  # a line of 11 pt text
MAX_LINES = 27  # the tallest a row is made (409 pt, Excel's limit): a longer cell scrolls
MIN_SCALE = 0.85
MARGIN_IN = 0.3


@lru_cache(maxsize=4)
def labels(locale: str) -> dict[str, str]:
    text = Markup(render("ledger.labels", locale)).unescape()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def plain_text(markup: Markup) -> str:
    return Markup(markup).unescape()


# a date or time cell is the number Excel keeps (XlsxWriter's write_datetime works it out four
# times slower, and a region's year has a million of them)
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_DAY_ZERO = EXCEL_EPOCH.toordinal()
ONE_DAY = timedelta(days=1)


def text_width(value: str) -> int:
    """Display width, near enough: a CJK character (3 bytes in UTF-8) takes two columns, ASCII one."""
    return (len(value.encode()) + len(value)) // 2


@dataclass
class BranchTotals:
    members: int = 0
    events: int = 0
    expected: int = 0
    present: int = 0
    leave: int = 0
    shifts: int = 0
    shifts_kept: int = 0
    ideas: int = 0
    adopted: int = 0
    points: int = 0

    @property
    def rate(self) -> float | None:
        found = rate_of(self.expected, self.present, self.leave)
        return None if found is None else self.present / self.expected

    def add(self, other: BranchTotals) -> None:
        for name in ("members", "events", "expected", "present", "leave", "shifts", "shifts_kept", "ideas",
                     "adopted", "points"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class LedgerStats:
    """What was written: rows per sheet, and the per-branch totals of the summary."""

    rows: dict[str, int] = field(default_factory=dict)
    events: int = 0
    members: int = 0
    totals: dict[str, BranchTotals] = field(default_factory=dict)
    ideas_by_status: Counter[str] = field(default_factory=Counter)
    summarized: bool = False  # a large region's: summaries per branch and member, detail per branch


class Sheet:
    """One worksheet written top to bottom: a title row, the header row, then rows; widths fitted,
    the page set up for printing and the signing line written at the end.

    `caps`: the widest a column may grow (its text wraps beyond); `keys`: the columns that say
    what a row is about, repeated on every page of a sheet too wide for one."""

    def __init__(self, book: Book, key: str, headers: list[str], *, caps: dict[int, int] | None = None,
                 keys: int = 1) -> None:  # fmt: skip
        self.book, self.key = book, key
        self.ws = book.wb.add_worksheet(book.L[f"sheet.{key}"][:31])
        self.headers = headers
        self.caps = caps or {}
        self.keys = keys
        self.widths = [min(text_width(h), self.cap(c)) for c, h in enumerate(headers)]
        self.row_no = 1  # row 0: the title, row 1: the header
        self.ws.freeze_panes(2, 0)
        self.ws.repeat_rows(0, 1)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.5, bottom=0.6)
        self.ws.set_footer(book.L["footer"])
        title = f"{book.title} · {book.L[f'sheet.{key}']}"
        if len(headers) > 1:
            self.ws.merge_range(0, 0, 0, len(headers) - 1, title, book.title_fmt)
        else:
            self.ws.write_string(0, 0, title, book.title_fmt)
        self.ws.set_row(0, 24)
        for c, h in enumerate(headers):
            self.ws.write_string(1, c, h, book.head)
        self.ws.set_row(1, LINE_PT * max((self.lines(c, h) for c, h in enumerate(headers)), default=1))

    def lines(self, column: int, text: str) -> int:
        """How many lines a text takes in a column as wide as it may grow (LibreOffice keeps a row's
        height as written, so a wrapped row is given its height)."""
        cap = self.cap(column)
        return sum(max(1, -(-text_width(line) // cap)) for line in text.split("\n"))

    def cap(self, column: int) -> int:
        return self.caps.get(column, MAX_WIDTH)

    def row(self, values: Iterable[Any], fmt: Any = None) -> int:
        self.row_no += 1
        r, b = self.row_no, self.book
        tallest = 1
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if c >= len(self.widths):
                self.widths.append(0)
            if isinstance(v, bool):
                v = b.yes if v else b.no
            if isinstance(v, str):
                v = v[:MAX_CELL]
                lines = "\n" in v
                longest = max(text_width(line) for line in v.split("\n")) if lines else text_width(v)
                wraps = lines or longest > self.cap(c)
                style = (b.wrap_bold if wraps else b.bold) if fmt is not None else (b.wrap if wraps else b.top)
                self.ws.write_string(r, c, v, style)
                if wraps:
                    tallest = max(tallest, self.lines(c, v))
                self.widths[c] = max(self.widths[c], min(longest, self.cap(c)))
            elif isinstance(v, datetime):  # as Excel keeps it: days since 1899-12-30, local time
                local = v.astimezone(b.tz).replace(tzinfo=None)
                self.ws.write_number(r, c, (local - EXCEL_EPOCH) / ONE_DAY, b.datetime_fmt)
                self.widths[c] = max(self.widths[c], 16)
            elif isinstance(v, date):
                self.ws.write_number(r, c, v.toordinal() - EXCEL_DAY_ZERO, b.date_fmt)
                self.widths[c] = max(self.widths[c], 10)
            elif isinstance(v, float):
                self.ws.write_number(r, c, v, b.percent_bold if fmt is not None else b.percent)
                self.widths[c] = max(self.widths[c], 7)
            else:
                self.ws.write_number(r, c, v, fmt or b.top)
                self.widths[c] = max(self.widths[c], len(str(v)))
        if tallest > 1:
            self.ws.set_row(r, LINE_PT * min(tallest, MAX_LINES))
        return r

    def note(self, text: str) -> int:
        """A line of text under the table, across as much of its width as the first page shows."""
        self.row_no += 1
        shown, last = 0, 0
        for c, w in enumerate(self.widths or [10]):
            shown += (w + 1) * 7 + 5
            if c and shown > PAGE_PX:
                break
            last = c
        last = max(last, 1)
        self.ws.merge_range(self.row_no, 0, self.row_no, last, text, self.book.note_fmt)
        span = max(sum(w + 1 for w in self.widths[: last + 1]), 40)
        self.ws.set_row(self.row_no, LINE_PT * (1 + text_width(text) // span))
        return self.row_no

    def finish(self, filter_columns: int | None = None, *, legend: str | None = None) -> int:
        """Column widths, the print layout, the autofilter, and the lines to sign under the table;
        returns how many data rows were written."""
        b = self.book
        data_rows = self.row_no - 1
        columns = filter_columns or len(self.headers)
        if data_rows and columns:
            self.ws.autofilter(1, 0, self.row_no, columns - 1)
        self.row_no += 1  # a blank line
        if legend:
            self.note(legend)
        self.note(b.exported)
        self.note(b.L["sign"])
        pixels = 0
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w + 1)
            pixels += (w + 1) * 7 + 5
        if pixels * MIN_SCALE <= PAGE_PX:
            self.ws.fit_to_pages(1, 0)
        else:  # too wide to read on one page: across several, the row's key columns on each
            self.ws.set_print_scale(100)
            self.ws.repeat_columns(0, self.keys - 1)
        return data_rows


class Book:
    def __init__(self, out: Path, tz: ZoneInfo, locale: str, title: str, now: datetime) -> None:
        self.wb = xlsxwriter.Workbook(
            str(out),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        self.tz, self.locale, self.title = tz, locale, title
        self.wb.set_properties({"title": title, "subject": "党建台账", "creator": "dangjian"})
        self.L = labels(locale)
        self.title_fmt = self.wb.add_format({"bold": True, "font_size": 14, "align": "left", "valign": "vcenter"})
        self.head = self.wb.add_format(
            {"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.wrap_bold = self.wb.add_format({"text_wrap": True, "valign": "top", "bold": True, "top": 1})
        self.bold = self.wb.add_format({"bold": True, "top": 1})
        self.note_fmt = self.wb.add_format({"text_wrap": True, "valign": "top", "align": "left"})
        self.top = self.wb.add_format({"valign": "top"})
        self.date_fmt = self.wb.add_format({"num_format": "yyyy-mm-dd", "align": "left", "valign": "top"})
        self.datetime_fmt = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left", "valign": "top"})
        self.percent = self.wb.add_format({"num_format": "0.0%", "valign": "top"})
        self.percent_bold = self.wb.add_format({"num_format": "0.0%", "bold": True, "top": 1})
        self.yes, self.no = self.L["yes"], self.L["no"]
        zone = self.L["zone"] if tz.key == "Asia/Shanghai" else tz.key
        self.exported = self.L["exported"].format(at=f"{now.astimezone(tz):%Y-%m-%d %H:%M}", zone=zone)
        self._reasons: dict[str, str] = {}

    def sheet(self, key: str, headers: str | list[str], **kw: Any) -> Sheet:
        cols = self.L[headers].split("|") if isinstance(headers, str) else headers
        return Sheet(self, key, cols, **kw)

    def term(self, domain: str, code: str | None) -> str:
        return term(domain, code, self.locale)

    def kind(self, kind: str) -> str:
        return term("kind", kind, self.locale)

    def reason(self, reason: str) -> str:
        """A points ledger reason as the chat shows it (cached: most reasons repeat)."""
        shown = self._reasons.get(reason)
        if shown is None:
            shown = plain_text(render("points.reason", self.locale, r=reason))
            if len(self._reasons) < 50_000:
                self._reasons[reason] = shown
        return shown

    def role(self, role: str) -> str:
        return term("role", role, self.locale)

    def label(self, key: str, default: str = "") -> str:
        return self.L.get(key, default)

    def names(self, names: list[str]) -> str:
        text = "、".join(names)
        if len(text) <= NAMES_CELL:
            return text
        cut = text[:NAMES_CELL].rsplit("、", 1)[0]
        shown = cut.count("、") + 1
        return cut + self.L["more"].format(n=len(names) - shown)
