"""Reading a CSV or XLSX table with Chinese or English headers, as people really have them.

Excel in China saves CSV as GB18030 (GBK) unless told otherwise; WPS and others write UTF-8, with
or without a byte-order mark, or UTF-16. The encoding is found from the bytes (a BOM, or what
decodes cleanly), never from the file name, and reported. A file that is not a table (a folder,
an image, a document renamed .xlsx) gets one clear line, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class RowError(Exception):
    """A file that cannot be imported, and where: its row (line 0: the file as a whole). The import
    stops there and writes nothing; the message says what is wrong in Chinese and English."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"第 {line} 行 / line {line}: {message}" if line else message)
        self.line = line


# zero-width and direction-changing characters: invisible, they make two names look alike
_HIDDEN = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"} | {chr(c) for c in range(0x202A, 0x202F)}
_HIDDEN |= {chr(c) for c in range(0x2066, 0x206A)} | {"\u200e", "\u200f", "\u061c"}


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def hidden_characters(text: str) -> bool:
    """Does the text hold characters that do not show (zero-width, bidi controls, other format)?"""
    return any(ch in _HIDDEN or unicodedata.category(ch) == "Cf" for ch in text)


@dataclass
class Table:
    encoding: str  # "XLSX", or the CSV's encoding as found: UTF-8, UTF-8 (BOM), GB18030, UTF-16
    rows: list[tuple[int, dict[str, str]]]  # (line number, {field: text}) of every non-empty row


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV's bytes; ValueError if it is no text we know."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 (BOM)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    for codec, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and not any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
            return text, name
    raise ValueError("not text")


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise RowError(
            0, "不是有效的 XLSX 文件（可在 Excel/WPS 中另存为 .xlsx 或 CSV）/ not a valid XLSX file"
        ) from exc
    try:
        return [[cell(c) for c in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def read_table(path: Path, headers: Mapping[str, str], required: Sequence[str], required_zh: str) -> Table:
    """Every non-empty row of the first sheet (or the CSV); headers map column titles to fields."""
    if not path.exists():
        raise RowError(0, f"找不到文件 / no such file: {path}")
    if not path.is_file():
        raise RowError(0, f"这不是一个文件 / not a file: {path}")
    if path.suffix.lower() == ".xlsx":
        encoding, rows = "XLSX", _xlsx_rows(path)
    else:
        try:
            text, encoding = decode(path.read_bytes())
        except ValueError:
            raise RowError(
                0, "读不出文字：请另存为 CSV（UTF-8）或 XLSX / cannot read this as text: save as CSV or XLSX"
            ) from None
        try:
            rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise RowError(0, f"CSV 格式有误 / malformed CSV: {exc}") from None
    if not rows or not any(rows[0]):
        raise RowError(1, "文件是空的 / the file is empty")
    header = [headers.get(h.strip().lower(), headers.get(h.strip(), "")) for h in rows[0]]
    missing = [r for r in required if r not in header]
    if missing:
        raise RowError(1, f"表头缺少 {', '.join(missing)}（需要 {required_zh}）/ header lacks {', '.join(missing)}")
    records = [
        (idx, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h})
        for idx, row in enumerate(rows[1:], start=2)
        if any(row)
    ]
    return Table(encoding, records)
