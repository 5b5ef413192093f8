"""Reading a CSV (UTF-8, with or without BOM) or XLSX table with Chinese or English headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(
    path: Path,
    headers: Mapping[str, str],
    required: Sequence[str],
    error: Callable[[int, str], Exception],
    required_zh: str,
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {field: text}) for every non-empty row; headers map column titles to fields."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        rows = [[cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        wb.close()
    else:
        text = path.read_bytes().decode("utf-8-sig")
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    if not rows:
        raise error(1, "文件是空的 / the file is empty")
    header = [headers.get(h.strip().lower(), headers.get(h.strip(), "")) for h in rows[0]]
    missing = [r for r in required if r not in header]
    if missing:
        raise error(1, f"表头缺少 {', '.join(missing)}（需要 {required_zh}）/ header lacks {', '.join(missing)}")
    for idx, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        yield idx, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}
