"""Engine creation and the single writer that serialises and group-commits every write.

SQLite allows one writer at a time and each statement through aiosqlite costs a thread hop, so
all writes of a process go through one task: general units of work run one transaction each, and
batchable writes (sign-ins) that queue up meanwhile are flushed together in one transaction with
multi-row statements. Callers await a future that resolves only after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

SQLITE_FULL, SQLITE_READONLY = 13, 8  # result codes: the disk is full / the file cannot be written
NO_ROOM_STATES = {"53100", "25006"}  # PostgreSQL: disk_full, read_only_sql_transaction
DOWN_STATES = {"57P01", "57P02", "57P03"}  # admin / crash shutdown, cannot connect now (starting up)


def _causes(exc: BaseException) -> list[BaseException]:
    """The error and what it wraps (SQLAlchemy's .orig, Python's cause and context)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 12:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return seen


def _raised_by_driver(exc: BaseException) -> bool:
    """Whether an OS-level error came from talking to the database (not from, say, a download)."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if "/asyncpg/" in name or "/sqlalchemy/" in name:
            return True
        tb = tb.tb_next
    return False


class DatabaseUnreachable(ConnectionError):
    """What the Database raises when the server could not be reached (it carries the driver's
    error as its cause): known by its type wherever it is caught, however far it travelled."""


def unreachable(exc: BaseException) -> bool:
    """The database could not be reached: the server is down or restarting, or the connection
    dropped. Worth trying again in a moment (what did not commit did not happen)."""
    for e in _causes(exc):
        if isinstance(e, DatabaseUnreachable):
            return True
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, OSError | TimeoutError) and _raised_by_driver(e):  # refused, reset, timed out
            return True
        state = getattr(e, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in DOWN_STATES):
            return True
        if type(e).__name__ == "InterfaceError" and "connection is closed" in str(e):
            return True
    return False


@contextlib.contextmanager
def _named_unreachable() -> Iterator[None]:
    """Raise a failure to reach the server as DatabaseUnreachable (others pass unchanged)."""
    try:
        yield
    except DatabaseUnreachable:
        raise
    except Exception as exc:
        if unreachable(exc):
            raise DatabaseUnreachable(str(exc) or type(exc).__name__) from exc
        raise


def out_of_room(exc: BaseException) -> bool:
    """The database cannot take a write: the disk is full, or the file (or server) is read-only.
    Reads still work; it lasts until an operator makes room."""
    for e in _causes(exc):
        code = getattr(e, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in (SQLITE_FULL, SQLITE_READONLY):
            return True
        if isinstance(e, sqlite3.OperationalError) and ("disk is full" in str(e) or "readonly" in str(e)):
            return True
        if getattr(e, "sqlstate", None) in NO_ROOM_STATES:
            return True
    return False


T = TypeVar("T")
R = TypeVar("R")
READ_THREADS = 2  # SQLite page reads at once (read_at_once): one per core of a small server


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False, reader: bool = False) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and real (IMMEDIATE) transactions,
    or for a `reader` deferred ones: a snapshot that never holds up a writer."""
    if not is_sqlite(url):
        # the leader answers a whole bot: handlers, renders and board edits at once (each bounded,
        # together up to about 35: 24 updates, 8 board edits, the writer, the dispatcher); a process
        # that only receives opens few of these
        return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=30)
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, busy_timeout_ms)
        if reader:
            dbapi_connection.execute("PRAGMA query_only=1")

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    return engine


def private_file(path: Path) -> None:
    """The database holds names and phone numbers: a folder we create is the user's alone (0700),
    and the file is created 0600 before SQLite opens it (its -wal and -shm take the same mode)."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
    # SAVEPOINT and BEGIN IMMEDIATE behave as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


STATISTICS_EVERY_S = 3600.0  # how often SQLite's planner statistics are brought up to date


def _analyze(conn: sqlite3.Connection) -> None:
    """Bring the planner's statistics up to date, each index sampled (bounded work however large
    the file). Without them SQLite may walk a region's members against its events (a billion
    probes) for a query that reads the attendance of those events in two seconds."""
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA analysis_limit=1000")
    conn.execute("ANALYZE")


def _refresh_statistics(url: str) -> None:
    path = make_url(url).database
    if not path or path == ":memory:":
        return
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _analyze(conn)
    finally:
        conn.close()


def make_sync_sqlite_engine(url: str, *, busy_timeout_ms: int = 5000, reader: bool = False) -> Engine:
    """A plain pysqlite engine on the same file, for batch writes done in one thread hop (or, for
    a `reader`, reads done in one thread hop: deferred transactions, query_only)."""
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    engine = (
        create_engine(sync_url, connect_args={"check_same_thread": False})
        if reader
        else create_engine(sync_url, poolclass=StaticPool)
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, busy_timeout_ms)
        if reader:
            dbapi_connection.execute("PRAGMA query_only=1")
            return
        # Commits of the hot path never stop to copy the WAL back (and fsync); the writer's
        # checkpoint task does that beside them.
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    return engine


class _AtOnce:
    """Read code written for an AsyncConnection, run on a plain Connection in a worker thread:
    every await on it completes at once, so the whole read is one thread hop (SQLite)."""

    def __init__(self, conn: Connection) -> None:
        self.sync_connection = conn
        self.dialect = conn.dialect

    async def execute(self, statement: Any, parameters: Any = None, **kw: Any) -> Any:
        return self.sync_connection.execute(statement, parameters, **kw)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return fn(self.sync_connection, *args, **kw)


def _complete(awaitable: Awaitable[T]) -> T:
    """The result of a coroutine that never waits (it only awaits an _AtOnce connection)."""
    coro = awaitable.__await__()
    try:
        coro.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coro.close()
    raise RuntimeError("a read run at once waited on something other than its connection")


class BatchWrite(Generic[R]):
    """A write that can be flushed together with others of its class in one transaction.

    `apply_many` is plain synchronous Core code: on SQLite it runs in the writer's own thread on a
    pysqlite connection (one thread hop per batch instead of several per statement); on
    PostgreSQL it runs through AsyncConnection.run_sync over asyncpg.
    """

    batch_key: ClassVar[str]
    # written before the units and other writes queued ahead of it, in a batch of urgent writes
    # only (batches of them and of the others take turns): what an acknowledgement waits for must
    # not wait behind the handling before it, nor commit with a large batch of it
    urgent: ClassVar[bool] = False

    @classmethod
    def apply_many(cls, conn: Connection, items: Sequence[Any]) -> list[Any]:
        """Write all items; return one result per item, in order."""
        raise NotImplementedError


@dataclass
class _Job:
    future: asyncio.Future[Any]
    unit: Callable[[AsyncConnection], Awaitable[Any]] | None = None
    batch: BatchWrite[Any] | None = None
    read_only: bool = False
    urgent: bool = False  # a unit run with the urgent writes


@dataclass
class Database:
    """Owns the engine and the writer task. Create with `await Database.open(url)`."""

    engine: AsyncEngine
    max_batch: int = 256
    _jobs: deque[_Job] = field(default_factory=deque)  # in order of arrival
    _urgent: deque[_Job] = field(default_factory=deque)  # batchable writes before the others (BatchWrite.urgent)
    _urgent_last: bool = False  # the last batch was of urgent writes: the others' turn
    _held: deque[_Job] = field(default_factory=deque)  # units found while gathering a batch: next in line
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: asyncio.Task[None] | None = None
    _conn: AsyncConnection | None = None  # the writer's own connection, kept between jobs
    _sync_engine: Engine | None = None  # SQLite only: batches run on it in _thread
    _reader: AsyncEngine | None = None  # SQLite only: reads in deferred transactions, beside the writer
    _thread: ThreadPoolExecutor | None = None
    _sync_reader: Engine | None = None  # SQLite only: page reads in one thread hop (read_at_once)
    _read_threads: ThreadPoolExecutor | None = None
    _checkpointer: asyncio.Task[None] | None = None
    checkpoint_every_s: float = 1.0

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, max_batch: int = 256) -> Database:
        engine = make_engine(url)
        if migrate:
            from storage.migrate import upgrade

            await upgrade(engine)
        db = cls(engine=engine, max_batch=max_batch)
        if is_sqlite(url):
            await asyncio.to_thread(_refresh_statistics, url)
            db._sync_engine = make_sync_sqlite_engine(url)
            db._reader = make_engine(url, reader=True)
            db._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-batch")
            db._sync_reader = make_sync_sqlite_engine(url, reader=True)
            db._read_threads = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="db-read")
        return db

    @cached_property
    def _pages(self) -> AsyncEngine:
        """PostgreSQL: the engine pages read on, without a ping at every checkout (read_at_once
        tries once more on a connection found dropped), in autocommit: a page only reads."""
        return create_async_engine(self.engine.url, pool_size=10, isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def refresh_statistics(self, tables: tuple[str, ...]) -> None:
        """PostgreSQL: ANALYZE these tables now, after a bulk change (a roster import), rather than
        when autovacuum next looks (up to a minute later). With the statistics of an empty table
        the planner takes a region of thousands for one row and counts a sign-in board by
        scanning the region once per mark (0.8 s instead of 3 ms for 2,000 marks)."""
        if self.dialect != "postgresql":
            return
        try:
            await self.unit(lambda conn: conn.execute(text(f"ANALYZE {', '.join(tables)}")))
        except Exception as exc:  # what asked for it has committed: autovacuum will catch up
            if not unreachable(exc):
                raise
            log.warning("statistics of %s not refreshed: the database is unreachable", ", ".join(tables))

    def _ensure_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._run(), name="db-writer")
        if self._sync_engine is not None and (self._checkpointer is None or self._checkpointer.done()):
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoints(), name="db-checkpoint")

    async def _checkpoints(self) -> None:
        """Copy the SQLite WAL back into the database now and then, beside the writer (PASSIVE)."""
        assert self._sync_engine is not None
        path = self._sync_engine.url.database
        if not path or path == ":memory:":
            return

        def checkpoint(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        analyzed = time.monotonic()

        # one thread of its own: the connection is closed only after a checkpoint under way ended
        # (cancelling this task does not stop a thread; closing beside it would crash SQLite)
        loop = asyncio.get_running_loop()
        own = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-checkpoint")
        connect = partial(sqlite3.connect, path, check_same_thread=False, isolation_level=None)
        conn = await loop.run_in_executor(own, connect)
        try:
            while True:
                await asyncio.sleep(self.checkpoint_every_s)
                try:
                    await loop.run_in_executor(own, checkpoint, conn)
                    if time.monotonic() - analyzed > STATISTICS_EVERY_S:
                        analyzed = time.monotonic()
                        await loop.run_in_executor(own, _analyze, conn)
                except sqlite3.Error:
                    log.warning("WAL checkpoint failed; will retry", exc_info=True)
        finally:
            await asyncio.shield(loop.run_in_executor(own, conn.close))
            own.shutdown(wait=False)

    async def unit(self, fn: Callable[[AsyncConnection], Awaitable[T]], *, urgent: bool = False) -> T:
        """Run fn in its own transaction on the writer; returns after the commit. `urgent`: a
        short one that work waits for (the leader taking what other processes stored), run
        with the urgent writes, before the units and batches queued ahead of it."""
        job = _Job(future=asyncio.get_running_loop().create_future(), unit=fn, urgent=urgent)
        result: T = await self._enqueue(job)
        return result

    async def batch(self, item: BatchWrite[R]) -> R:
        """Queue a batchable write; returns its result after the commit of its batch."""
        result: R = await self._enqueue(_Job(future=asyncio.get_running_loop().create_future(), batch=item))
        return result

    async def _enqueue(self, job: _Job) -> Any:
        self._ensure_writer()
        urgent = job.urgent or (job.batch is not None and job.batch.urgent)
        (self._urgent if urgent else self._jobs).append(job)
        self._ready.set()
        return await job.future

    async def read(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a read-only fn on its own connection, beside the writer (on SQLite a snapshot that
        never waits for, nor holds up, the writer's lock)."""
        with _named_unreachable():
            async with (self._reader or self.engine).connect() as conn:
                return await fn(conn)

    async def read_at_once(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`read` for a short read that only awaits its connection (a web page): on SQLite the
        whole of it runs in one worker-thread hop on a plain connection, instead of a hop for
        every statement; on PostgreSQL it runs as one synchronous call on the connection (one
        greenlet for the read, not one for every statement), each statement reading the latest
        committed data (autocommit: no BEGIN and ROLLBACK round trips for what only reads)."""
        if self._sync_reader is None or self._read_threads is None:
            for attempt in (1, 2):
                try:
                    with _named_unreachable():
                        async with self._pages.connect() as conn:
                            result: T = await conn.run_sync(
                                lambda sync: _complete(fn(cast(AsyncConnection, _AtOnce(sync))))
                            )
                            return result
                except DatabaseUnreachable:
                    # a pooled connection the server dropped (a restart): found out by using it
                    # rather than by a ping before every page; the pool has let it go, try anew
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        engine = self._sync_reader

        def in_thread() -> T:
            with engine.connect() as conn:
                return _complete(fn(cast(AsyncConnection, _AtOnce(conn))))

        return await asyncio.get_running_loop().run_in_executor(self._read_threads, in_thread)

    async def read_apart(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run a long read-only fn (a ledger of a large region takes minutes) in a thread with its
        own engine and event loop, so this loop keeps serving meanwhile. It reads one snapshot
        and, on SQLite, never holds up the writer."""
        url = self.engine.url.render_as_string(hide_password=False)

        async def go() -> T:
            engine = make_engine(url, reader=True)
            try:
                async with engine.connect() as conn:
                    if not is_sqlite(url):  # one snapshot for every query of the read
                        await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
                    result = await fn(conn)
                    await conn.rollback()
                    return result
            finally:
                await engine.dispose()

        with _named_unreachable():
            return await asyncio.to_thread(asyncio.run, go())

    async def _run(self) -> None:
        while True:
            while not (self._urgent or self._held or self._jobs):
                self._ready.clear()
                await self._ready.wait()
            if self._urgent and not (self._urgent_last and (self._held or self._jobs)):
                # what an acknowledgement waits for commits in a batch of its own, small and quick,
                # taking turns with the others' (so neither waits for long behind the other)
                self._urgent_last = True
                if self._urgent[0].unit is not None:
                    await self._run_unit(self._urgent.popleft())
                    continue
                group: list[_Job] = []
                while self._urgent and self._urgent[0].batch is not None and len(group) < self.max_batch:
                    group.append(self._urgent.popleft())
                await self._run_batch(group)
                continue
            self._urgent_last = False
            job = (self._held or self._jobs).popleft()
            if job.unit is not None:
                await self._run_unit(job)
                continue
            # every other batchable write queued meanwhile, of any kind, goes into this one
            # transaction: one commit for many; queued jobs come from different tasks (a task
            # waits for each write), so their order among each other does not matter
            group = [job]
            while len(group) < self.max_batch and self._jobs:
                nxt = self._jobs.popleft()
                (group if nxt.batch is not None else self._held).append(nxt)
            await self._run_batch(group)

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            await self._drop_connection()
            self._conn = await self.engine.connect()
        return self._conn

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # it may have died with the server
                await conn.close()

    async def _transaction(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """fn in one transaction on the writer's connection. A connection found dead (the server
        restarted) before the commit is replaced and fn run once more; a failure during the commit
        is not retried (whether it committed is unknown)."""
        tries = 2
        while True:
            tries -= 1
            committing = False
            try:
                conn = await self._connection()
                trans = await conn.begin()
                try:
                    result = await fn(conn)
                except BaseException:
                    with contextlib.suppress(Exception):
                        await trans.rollback()
                    raise
                committing = True
                await trans.commit()
                return result
            except BaseException as exc:
                if self._conn is not None and (self._conn.invalidated or self._conn.closed):
                    await self._drop_connection()  # e.g. the server went away: a fresh one next time
                if isinstance(exc, Exception) and unreachable(exc):
                    if tries and not committing:
                        log.warning("the database connection was lost; trying once more on a new one")
                        continue
                    if not isinstance(exc, DatabaseUnreachable):
                        raise DatabaseUnreachable(str(exc) or type(exc).__name__) from exc
                raise

    async def _run_unit(self, job: _Job) -> None:
        assert job.unit is not None
        try:
            result = await self._transaction(job.unit)
        except BaseException as exc:  # handed to the caller, who logs or answers it
            if not job.future.done():
                job.future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
            return
        if not job.future.done():
            job.future.set_result(result)

    async def _apply_batch(self, items: list[BatchWrite[Any]]) -> list[Any]:
        """Apply items of any kinds in one transaction: each kind's together, in order of arrival."""
        kinds: dict[type[BatchWrite[Any]], list[int]] = {}
        for i, item in enumerate(items):
            kinds.setdefault(type(item), []).append(i)

        def apply(conn: Connection) -> list[Any]:
            results: list[Any] = [None] * len(items)
            for kind, where in kinds.items():
                for i, res in zip(where, kind.apply_many(conn, [items[i] for i in where]), strict=True):
                    results[i] = res
            return results

        if self._sync_engine is None or self._thread is None:
            return await self._transaction(lambda conn: conn.run_sync(apply))
        engine = self._sync_engine

        def in_thread() -> list[Any]:
            with engine.begin() as conn:
                return apply(conn)

        return await asyncio.get_running_loop().run_in_executor(self._thread, in_thread)

    async def _run_batch(self, group: list[_Job]) -> None:
        items = [j.batch for j in group if j.batch is not None]
        try:
            results = await self._apply_batch(items)
        except Exception as exc:
            if len(group) == 1 or unreachable(exc) or out_of_room(exc):  # each alone would fail alike
                for job in group:
                    if not job.future.done():
                        job.future.set_exception(exc)
                return
            # One bad item must not sink the others: retry them one by one.
            log.warning("batch of %d writes failed, retrying singly", len(group))
            for job in group:
                await self._run_batch([job])
            return
        for job, res in zip(group, results, strict=True):
            if not job.future.done():
                job.future.set_result(res)

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self._drop_connection()
        if self._thread is not None and self._sync_engine is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._sync_engine.dispose)
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._read_threads is not None and self._sync_reader is not None:
            self._read_threads.shutdown(wait=True)
            self._sync_reader.dispose()
            self._read_threads = None
        if self._reader is not None:
            await self._reader.dispose()
        if "_pages" in self.__dict__:
            await self._pages.dispose()
        await self.engine.dispose()
