"""Backups: one file (a tar) holding the database and the media folder, made while the bot runs,
and restored into an empty database.

- SQLite: a consistent copy through SQLite's online backup API (the bot keeps writing meanwhile).
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`; both come with the PostgreSQL
  client (Debian: postgresql-client), whose major version must be at least the server's.

The file also holds a manifest (what kind of database, the schema revision, how many rows each
table had), which `restore` checks and reports. After a restore the schema is brought up to date,
so an older backup restores into a newer program.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import is_sqlite
from storage.migrate import upgrade
from storage.models.base import Base

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
MEDIA = "media"
CLIENT_HINT = (
    "需要 PostgreSQL 客户端程序 {tool}（Debian/Ubuntu：apt-get install postgresql-client） / "
    "{tool} not found: install the PostgreSQL client"
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Chinese and English."""


@dataclass(frozen=True)
class Summary:
    path: Path
    dialect: str
    revision: str | None
    rows: dict[str, int]
    media_files: int
    size: int


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份 / an in-memory database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it (no driver, no password), and the environment with the password."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(CLIENT_HINT.format(tool=name))
    return found


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise BackupError(f"{Path(args[0]).name} 失败 / failed: " + " | ".join(tail))


async def _describe(url: str) -> tuple[dict[str, int], str | None]:
    """How many rows each of the program's tables holds (the tables that exist), and the schema
    revision (None before any migration), on one connection."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            counts: dict[str, int] = {}
            for table in Base.metadata.sorted_tables:
                if table.name in present:
                    counts[table.name] = int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
            revision = None
            if "alembic_version" in present:
                revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            return counts, revision
    finally:
        await engine.dispose()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


async def backup(url: str, media_dir: Path, out: Path) -> Summary:
    """Write the backup file `out` (written beside it first, then moved into place)."""
    dialect = "sqlite" if is_sqlite(url) else "postgresql"
    rows, revision = await _describe(url)
    manifest = {
        "format": FORMAT,
        "dialect": dialect,
        "revision": revision,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
    }
    return await asyncio.to_thread(_write, url, media_dir, out, manifest)


def _write(url: str, media_dir: Path, out: Path, manifest: dict[str, Any]) -> Summary:
    dialect = manifest["dialect"]
    out.parent.mkdir(parents=True, exist_ok=True)
    media = [p for p in sorted(media_dir.rglob("*")) if p.is_file()] if media_dir.is_dir() else []
    manifest["media"] = [p.relative_to(media_dir).as_posix() for p in media]
    with tempfile.TemporaryDirectory(prefix="dangjian-backup-") as work:
        copy = Path(work) / (SQLITE_MEMBER if dialect == "sqlite" else PG_MEMBER)
        if dialect == "sqlite":
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"数据库文件不存在 / no database file: {source}")
            src = sqlite3.connect(source)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)  # pages copied in steps; writers may go on meanwhile
            finally:
                dst.close()
                src.close()
        else:
            target, env = _libpq(url)
            dump = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(copy), target]
            _run(dump, env)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            tar.add(copy, arcname=copy.name)
            for p in media:
                tar.add(p, arcname=f"{MEDIA}/{p.relative_to(media_dir).as_posix()}")
        os.chmod(partial, 0o600)  # members' names and phone numbers
        partial.replace(out)
    return Summary(out, dialect, manifest["revision"], manifest["rows"], len(media), out.stat().st_size)


def _read_manifest(backup_file: Path) -> dict[str, Any]:
    if not backup_file.is_file():
        raise BackupError(f"找不到备份文件 / no such file: {backup_file}")
    try:
        with tarfile.open(backup_file, "r") as tar:
            try:
                member = tar.extractfile(MANIFEST)
            except KeyError:
                member = None
            if member is None:
                raise BackupError("这不是党建助手的备份文件（缺少 manifest.json） / not a dangjian backup")
            manifest: dict[str, Any] = json.loads(member.read().decode())
    except (tarfile.TarError, ValueError) as exc:
        raise BackupError(f"无法读取备份文件 / cannot read the backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式 / unsupported backup format: {manifest.get('format')}")
    return manifest


async def restore(url: str, media_dir: Path, backup_file: Path) -> Summary:
    """Restore `backup_file` into the empty database at `url` (refused if it holds any row) and
    its media into `media_dir`; then bring the schema up to date."""
    manifest = await asyncio.to_thread(_read_manifest, backup_file)
    dialect = "sqlite" if is_sqlite(url) else "postgresql"
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"备份来自 {manifest['dialect']}，目标是 {dialect}：请恢复到同类数据库 / "
            f"the backup is of {manifest['dialect']}, the target is {dialect}"
        )
    exists = dialect == "postgresql" or await asyncio.to_thread(_sqlite_path(url).exists)
    if exists and any((await _describe(url))[0].values()):
        raise BackupError("目标数据库不是空的，未做任何改动 / the target database is not empty; nothing was changed")
    media, size = await asyncio.to_thread(_unpack, url, dialect, media_dir, backup_file)
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    rows, revision = await _describe(url)
    return Summary(backup_file, dialect, revision, rows, media, size)


def _unpack(url: str, dialect: str, media_dir: Path, backup_file: Path) -> tuple[int, int]:
    """The database and the media files out of the backup; returns (media files, backup size)."""
    with tarfile.open(backup_file, "r") as tar, tempfile.TemporaryDirectory(prefix="dangjian-restore-") as work:
        name = SQLITE_MEMBER if dialect == "sqlite" else PG_MEMBER
        tar.extract(name, work, filter="data")
        copy = Path(work) / name
        if dialect == "sqlite":
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(copy, target)
            os.chmod(target, 0o600)
        else:
            plain, env = _libpq(url)
            # the target may hold the (empty) schema already: the backup's replaces it
            options = ["--no-owner", "--no-privileges", "--clean", "--if-exists"]
            _run([_tool("pg_restore"), *options, "-d", plain, str(copy)], env)
        media = 0
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if member.isfile() and path.parts[:1] == (MEDIA,) and len(path.parts) > 1:
                tar.extract(member, work, filter="data")
                dest = media_dir.joinpath(*path.parts[1:])
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.exists():
                    shutil.move(Path(work, *path.parts), dest)
                media += 1
    return media, backup_file.stat().st_size
