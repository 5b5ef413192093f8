"""Shared fixtures: every database test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.databases import PostgresTemplate, Snapshot, fresh_sqlite, sqlite_template, worker_database
from tests.harness import Harness
from tests.pgcluster import Cluster
from tests.pgcluster import available as cluster_unavailable

PG_URL = os.environ.get("DANGJIAN_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("DANGJIAN_REQUIRE_PG", "0") == "1"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1 … when tests run in several processes


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("schema"))


@pytest.fixture(scope="session")
def _postgres() -> PostgresTemplate | str:
    """This process's PostgreSQL database, migrated once; or why there is none."""
    if not PG_URL:
        return "PostgreSQL tests need DANGJIAN_TEST_PG_URL"
    try:
        template = PostgresTemplate(worker_database(PG_URL, WORKER))
        template.build()
    except OSError as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc}"
    return template


def _postgres_url(postgres: PostgresTemplate | str) -> str:
    if isinstance(postgres, str):
        if REQUIRE_PG:
            pytest.fail(f"DANGJIAN_REQUIRE_PG=1 but {postgres}")
        pytest.skip(postgres)
    return postgres.fresh()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path, _postgres: PostgresTemplate | str
) -> Iterator[str]:
    """A fresh database of each kind, its schema migrated, holding nothing else."""
    if request.param == "sqlite":
        yield fresh_sqlite(_sqlite_template, tmp_path)
    else:
        yield _postgres_url(_postgres)


@pytest.fixture
def pg_url(_postgres: PostgresTemplate | str) -> str:
    """PostgreSQL only: what only PostgreSQL does (several processes sharing one database)."""
    return _postgres_url(_postgres)


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    return fresh_sqlite(_sqlite_template, tmp_path)


@dataclass
class Samples:
    """The sample region as `Harness.start` sets it up, once per database kind, put into each
    test's fresh database (a file copied; PostgreSQL's rows put back)."""

    folder: Path
    postgres: PostgresTemplate | str
    sqlite_file: Path | None = None
    sqlite_next: int = 1
    pg_rows: Snapshot | None = None
    pg_next: int = 1

    async def load(self, url: str) -> int:
        """Fill the fresh, empty database at `url` with the sample; the next update number."""
        if url.startswith("sqlite"):
            path = Path(str(make_url(url).database))
            if self.sqlite_file is None:
                self.sqlite_next = await Harness.set_up_sample(url)
                self.sqlite_file = self.folder / "sample.db"
                assert not os.path.exists(f"{path}-wal"), "closing the app leaves the whole database in its file"  # noqa: ASYNC240
                shutil.copyfile(path, self.sqlite_file)
            else:
                shutil.copyfile(self.sqlite_file, path)
            return self.sqlite_next
        assert isinstance(self.postgres, PostgresTemplate) and self.postgres.url == url
        if self.pg_rows is None:
            self.pg_next = await Harness.set_up_sample(url)
            self.pg_rows = await self.postgres.take()
        else:
            assert await self.postgres.put_back(self.pg_rows)
        return self.pg_next


@pytest.fixture(scope="session")
def _samples(tmp_path_factory: pytest.TempPathFactory, _postgres: PostgresTemplate | str) -> Samples:
    return Samples(tmp_path_factory.mktemp("sample"), _postgres)


@pytest.fixture
async def h(db_url: str, _samples: Samples) -> AsyncIterator[Harness]:
    """A running app on a fresh database with the sample region imported and a bound chat."""
    harness = await Harness.start(db_url, setup=False, first_id=await _samples.load(db_url))
    try:
        yield harness
    finally:
        await harness.close()


@pytest.fixture
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of the test's own, running, that the test may crash and start again."""
    why = cluster_unavailable()
    if why is not None:
        if REQUIRE_PG:
            pytest.fail(f"DANGJIAN_REQUIRE_PG=1 but a private PostgreSQL cluster cannot be made: {why}")
        pytest.skip(why)
    cluster = Cluster().init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()
