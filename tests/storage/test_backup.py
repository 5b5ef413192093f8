"""`dangjian backup` and `dangjian restore` through the command line: a year of a region's work and
its photos, backed up while the bot has the database open, restored into an empty database, equal
row for row in every table; a non-empty target is refused and left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models.base import Base
from tests.handlers.test_ledger import held_event, png, send_photo, upload
from tests.harness import Harness
from tests.pgcluster import Cluster
from tests.year import seed_year


def cli(url: str, media: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DANGJIAN_DATABASE_URL": url,
        "DANGJIAN_MEDIA_DIR": str(media),
        "DANGJIAN_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


async def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each table of the program (and the schema revision), its rows in key order."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            found: dict[str, list[tuple[Any, ...]]] = {}
            for table in Base.metadata.sorted_tables:
                assert table.name in names, table.name
                order = list(table.primary_key.columns) or list(table.columns)
                found[table.name] = [tuple(r) for r in (await conn.execute(select(table).order_by(*order))).all()]
            found["alembic_version"] = [tuple(r) for r in (await conn.execute(text("SELECT * FROM alembic_version")))]
            return found
    finally:
        await engine.dispose()


async def round_trip(source: str, target: str, tmp_path: Path) -> None:
    h = await Harness.start(source, media_dir=str(tmp_path / "media"))
    try:
        await seed_year(h)
        number = await held_event(h)
        assert (await send_photo(h, f"#{number}", upload(png("blue")), user="u-张伟"))[0].startswith("📷")
        backup = tmp_path / "backups" / "dangjian.tar"
        made = cli(source, tmp_path / "media", "backup", "--out", str(backup))  # the bot has it open meanwhile
        assert made.returncode == 0, made.stderr
        files = sum(1 for p in (tmp_path / "media").rglob("*") if p.is_file())  # the photo and its thumbnails
        assert made.stdout.startswith("已备份 / backed up:") and f"{files} 个照片文件" in made.stdout
        assert oct(backup.stat().st_mode & 0o777) == "0o600"  # names and phone numbers
        before = await every_row(source)
    finally:
        await h.close()
    assert sum(len(rows) for rows in before.values()) > 400  # a real year, not an empty shell

    restored_media = tmp_path / "restored-media"
    done = cli(target, restored_media, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "已恢复 / restored:" in done.stdout and f"{files} 个照片文件" in done.stdout
    after = await every_row(target)
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, table  # row for row
    photos = sorted(p.relative_to(tmp_path / "media") for p in (tmp_path / "media").rglob("*") if p.is_file())
    assert photos and photos == sorted(p.relative_to(restored_media) for p in restored_media.rglob("*") if p.is_file())
    for p in photos:
        assert (restored_media / p).read_bytes() == (tmp_path / "media" / p).read_bytes()

    again = cli(target, restored_media, "restore", str(backup))  # now it holds data: refused, unchanged
    assert again.returncode == 2 and "目标数据库不是空的" in again.stderr and "Traceback" not in again.stderr
    assert await every_row(target) == after


async def test_sqlite_backup_restores_row_for_row(tmp_path: Path) -> None:
    await round_trip(
        f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", tmp_path
    )


async def test_postgres_backup_restores_row_for_row(pg_url: str, pg_cluster: Cluster, tmp_path: Path) -> None:
    await round_trip(pg_url, pg_cluster.url, tmp_path)  # into a server of its own, empty


def test_what_is_not_a_backup_is_said_plainly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    missing = cli(url, tmp_path / "media", "restore", str(tmp_path / "nothing.tar"))
    assert missing.returncode == 2 and "找不到备份文件" in missing.stderr
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    bad = cli(url, tmp_path / "media", "restore", str(junk))
    assert bad.returncode == 2 and "无法读取备份文件" in bad.stderr and "Traceback" not in bad.stderr
