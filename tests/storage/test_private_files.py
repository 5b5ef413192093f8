"""The SQLite database holds names and phone numbers: its folder and files are the user's alone."""

from __future__ import annotations

import stat
from pathlib import Path

from storage.db import Database


async def test_the_database_is_created_private(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = await Database.open(f"sqlite+aiosqlite:///{folder / 'dangjian.db'}")
    try:
        await db.unit(lambda conn: conn.exec_driver_sql("CREATE TABLE probe (x INTEGER)"))
        files = sorted(p.name for p in folder.iterdir())
        assert files == ["dangjian.db", "dangjian.db-shm", "dangjian.db-wal"]  # WAL and SHM exist now
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for name in files:
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    finally:
        await db.close()
