"""Files people really have: rosters and rotas in the encodings Excel writes, files that are not
tables at all, rows that contradict each other or the rota already there."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.models import DutyAssignment, DutyShift, Member
from tests.bot.test_cli import invoke, rows_of

HEADER = "姓名,支部,角色,手机,telegram_id,wecom_userid\n"
ROSTER = HEADER + "张三,一支部,党员,13800000001,,\n李四,一支部,支部书记,,,\n王五,二支部,积极分子,,,\n"


@pytest.mark.parametrize(
    ("encoding", "data", "shown"),
    [
        ("gb18030", ROSTER.encode("gb18030"), "GB18030"),
        ("utf-8", ROSTER.encode("utf-8"), "UTF-8"),
        ("utf-8-sig", ROSTER.encode("utf-8-sig"), "UTF-8 (BOM)"),
        ("utf-16", ROSTER.encode("utf-16"), "UTF-16"),
    ],
)
def test_a_roster_in_any_encoding_excel_writes(
    sqlite_url: str, tmp_path: Path, encoding: str, data: bytes, shown: str
) -> None:
    f = tmp_path / "花名册.csv"
    f.write_bytes(data)
    code, out = invoke(sqlite_url, "org", "import", str(f), "--region", "测试联合党委")
    assert code == 0, out
    assert f"({shown})" in out and "新增党员 3" in out
    assert sorted(n for (n,) in rows_of(sqlite_url, select(Member.name))) == ["张三", "李四", "王五"]


def test_what_is_not_a_roster_gets_one_clear_line(sqlite_url: str, tmp_path: Path) -> None:
    png = tmp_path / "photo.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    fake_xlsx = tmp_path / "花名册.xlsx"
    fake_xlsx.write_text("姓名,支部,角色\n", encoding="utf-8")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for path, says in (
        (png, "读不出文字"),
        (fake_xlsx, "不是有效的 XLSX 文件"),
        (folder, "这不是一个文件"),
        (tmp_path / "missing.csv", "找不到文件"),
        (empty, "文件是空的"),
    ):
        code, out = invoke(sqlite_url, "org", "import", str(path), "--region", "测试联合党委")
        assert code == 2 and says in out, (path.name, out)
        assert "Traceback" not in out
    assert rows_of(sqlite_url, select(Member.id)) == []


def test_invisible_characters_in_names_are_refused_with_the_row(sqlite_url: str, tmp_path: Path) -> None:
    for hidden in ("\u200b", "\u202e", "\u2066"):
        f = tmp_path / "roster.csv"
        f.write_text(HEADER + "张三,一支部,党员,,,\n" + f"李{hidden}四,一支部,党员,,,\n", encoding="utf-8")
        code, out = invoke(sqlite_url, "org", "import", str(f), "--region", "测试联合党委")
        assert code == 2 and "第 3 行" in out and "看不见的字符" in out, out
    assert rows_of(sqlite_url, select(Member.id)) == []


ROTA_HEADER = "日期,开始,结束,地点,值班人\n"


def _rota(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    f = tmp_path / "值班表.csv"
    f.write_bytes((ROTA_HEADER + body).encode(encoding))
    return f


def test_duty_import_reports_conflicts_row_by_row_and_replace_applies_them(sqlite_url: str, tmp_path: Path) -> None:
    assert invoke(sqlite_url, "org", "import", str(_roster(tmp_path)), "--region", "测试联合党委")[0] == 0
    first = _rota(
        tmp_path, "2027/1/7,9:00,12:00,党群服务中心,张三\n1月8日,9:00,12:00,法律援助室,李四、王五\n", "gb18030"
    )
    code, out = invoke(sqlite_url, "duty", "import", str(first), "--region", "测试联合党委")
    assert code == 0 and "(GB18030)" in out and "新增值班 2 个" in out, out
    code, out = invoke(sqlite_url, "duty", "import", str(first), "--region", "测试联合党委")
    assert code == 0 and "新增值班 0 个" in out and "已存在 2 个" in out
    # a corrected rota: the first shift now ends at 11:00, the second has another member
    corrected = _rota(tmp_path, "2027-01-07,9:00,11:00,党群服务中心,张三\n2027-01-08,9:00,12:00,法律援助室,李四\n")
    code, out = invoke(sqlite_url, "duty", "import", str(corrected), "--region", "测试联合党委")
    assert code == 2 and "2 行与已有值班不同" in out, out
    assert "第 2 行 / line 2: 与已有值班不同（已有：结束 12:00）" in out
    assert "第 3 行 / line 3: 与已有值班不同（已有：值班人 李四、王五）" in out
    code, out = invoke(sqlite_url, "duty", "import", str(corrected), "--region", "测试联合党委", "--replace")
    assert code == 0 and "修改 2 个（第 2、3 行）" in out, out
    ends = rows_of(sqlite_url, select(DutyShift.place, DutyShift.ends_at).order_by(DutyShift.id))
    assert [e.hour for _, e in ends] == [3, 4]  # 11:00 and 12:00 Asia/Shanghai, stored in UTC
    assert len(rows_of(sqlite_url, select(DutyAssignment.id))) == 2


def test_duty_rows_that_contradict_themselves(sqlite_url: str, tmp_path: Path) -> None:
    assert invoke(sqlite_url, "org", "import", str(_roster(tmp_path)), "--region", "测试联合党委")[0] == 0
    for body, says in (
        ("2027-01-07,9:00,12:00,中心,张三、张三\n", "同一人在一个班次里出现两次"),
        (
            "2027-01-07,9:00,12:00,中心,张三\n2027-01-07,9:00,10:00,中心,李四\n",
            "第 3 行 / line 3: 与第 2 行地点、开始时间相同",
        ),
        ("明年某天,9:00,12:00,中心,张三\n", "日期看不懂：“明年某天”（可写 2026-12-07、2026/12/7、12月7日）"),
        ("2027-01-07,12:00,9:00,中心,张三\n", "结束时间早于开始时间"),
    ):
        code, out = invoke(sqlite_url, "duty", "import", str(_rota(tmp_path, body)), "--region", "测试联合党委")
        assert code == 2 and says in out, (body, out)
    assert rows_of(sqlite_url, select(DutyShift.id)) == []


def test_an_xlsx_roster_still_imports(sqlite_url: str, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "支部", "角色", "手机"])
    ws.append(["张三", "一支部", "党员", 13800000001])
    f = tmp_path / "花名册.xlsx"
    wb.save(f)
    code, out = invoke(sqlite_url, "org", "import", str(f), "--region", "测试联合党委")
    assert code == 0 and "(XLSX)" in out
    assert rows_of(sqlite_url, select(Member.phone)) == [("13800000001",)]


def _roster(tmp_path: Path) -> Path:
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER, encoding="utf-8")
    return f


def test_every_import_says_what_is_wrong_the_same_way(sqlite_url: str, tmp_path: Path) -> None:
    """One row error for every file import: the file as a whole without a row number, a row by its
    number, in both languages, and nothing written."""
    missing = str(tmp_path / "没有这个文件.csv")
    roster = invoke(sqlite_url, "org", "import", missing, "--region", "测试联合党委")
    rota = invoke(sqlite_url, "duty", "import", missing, "--region", "测试联合党委")
    for code, out in (roster, rota):
        failed = "导入失败，未做任何改动 / import failed, nothing changed: 找不到文件 / no such file"
        assert code == 2 and out.startswith(failed) and "第 0 行" not in out, out
    bad = tmp_path / "花名册.csv"
    bad.write_text(HEADER + "张三,一支部,党员,,,\n,一支部,党员,,,\n", encoding="utf-8")
    code, out = invoke(sqlite_url, "org", "import", str(bad), "--region", "测试联合党委")
    assert code == 2 and "第 3 行 / line 3: 姓名为空 / name is empty" in out, out
    assert rows_of(sqlite_url, select(Member.name)) == []
