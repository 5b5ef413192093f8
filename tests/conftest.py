"""Shared fixtures: every database test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.migrate import wipe_postgres
from tests.harness import Harness
from tests.pgcluster import Cluster
from tests.pgcluster import available as cluster_unavailable

PG_URL = os.environ.get("DANGJIAN_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("DANGJIAN_REQUIRE_PG", "0") == "1"


def _postgres_url() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("DANGJIAN_REQUIRE_PG=1 but DANGJIAN_TEST_PG_URL is empty")
        pytest.skip("PostgreSQL tests need DANGJIAN_TEST_PG_URL")
    try:
        asyncio.run(wipe_postgres(PG_URL))
    except OSError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return PG_URL


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        yield _postgres_url()


@pytest.fixture
def pg_url() -> str:
    """PostgreSQL only: what only PostgreSQL does (several processes sharing one database)."""
    return _postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def h(db_url: str) -> AsyncIterator[Harness]:
    """A running app on a fresh database with the sample region imported and a bound chat."""
    harness = await Harness.start(db_url)
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
