"""The SQLite store: one file, WAL mode, one writer and a small pool of readers.

Statements run inline, on the event loop. An indexed statement on a local WAL
file takes microseconds; a hop to a worker thread and back costs ten to a
hundred times that under load. So statements inside a unit of work call
sqlite3 directly, and only what can wait long leaves the loop: waiting for
another process's write lock (polled with ``asyncio.sleep``, see
:func:`~storage.sqlite.connections.begin_immediate_inline`), and checkpoints and
migrations (on the aiosqlite maintenance connection's thread).

* ``write()`` is one ``BEGIN IMMEDIATE`` transaction on the single writer
  connection: the ``async with`` block is the transaction boundary, committed
  when the block completes and rolled back when it raises. An
  :class:`asyncio.Lock` queues the writers of this process.
* ``read()`` borrows a connection from a pool of ``query_only`` readers and
  wraps the block in a deferred transaction, so all its queries see one
  committed snapshot and never wait for the writer.

Each connection gets its :class:`~storage.sqlite.unit_of_work.SqliteUnitOfWork`
once, when it is opened; a block hands that same object out, so a unit of
work costs no allocation.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Final

import aiosqlite

from storage.ports.exclusive import AlwaysHeld
from storage.sqlite.benefits import NameCache
from storage.sqlite.connections import (
    BUSY_TIMEOUT_MS,
    READER_PRAGMAS,
    WRITER_PRAGMAS,
    begin_immediate_inline,
    connect_inline,
    connect_maintenance,
    rollback_inline,
)
from storage.sqlite.migrations import migrate as migrate_schema
from storage.sqlite.receipts import SqliteReceipts
from storage.sqlite.unit_of_work import SqliteUnitOfWork

if TYPE_CHECKING:
    from storage.unit_of_work import Store, UnitOfWork

DEFAULT_READERS: Final = 2
CHECKPOINT_EVERY: Final = 200  # commits between passive WAL checkpoints


class SqliteStore:
    """A :class:`storage.unit_of_work.Store` on one SQLite file; make one with :func:`open_sqlite`.

    One writer connection behind an :class:`asyncio.Lock`, and reader
    connections handed out one per ``read()`` block. WAL checkpoints, which
    fsync, run on the aiosqlite maintenance connection's thread every
    :data:`CHECKPOINT_EVERY` commits instead of inside a commit.

    A store without a maintenance connection is a throw-away database (see
    :func:`storage.sqlite.throwaway.throwaway_store`): its connections never
    sync to disk, so it checkpoints inline, answers ``ping`` inline, and on
    ``close`` deletes ``throwaway_dir`` instead of checkpointing.
    """

    def __init__(
        self,
        path: str,
        maintenance: aiosqlite.Connection | None,
        writer: sqlite3.Connection,
        readers: Sequence[sqlite3.Connection],
        *,
        lock_timeout: float = BUSY_TIMEOUT_MS / 1000,
        throwaway_dir: str | None = None,
    ) -> None:
        if not readers:
            raise ValueError("a SqliteStore needs at least one reader connection")
        self.path = path
        self.throwaway = throwaway_dir is not None
        self._maintenance = maintenance
        self._writer = writer
        self._names = NameCache(connect_inline(path, READER_PRAGMAS))  # never writes
        self._writer_uow = SqliteUnitOfWork(writer, self._names)
        self._write_lock = asyncio.Lock()
        self._version_conn = connect_inline(path, READER_PRAGMAS)  # never writes
        self._readers: list[tuple[sqlite3.Connection, SqliteUnitOfWork]] = [
            (conn, SqliteUnitOfWork(conn, self._names)) for conn in readers
        ]
        self._all_readers: list[sqlite3.Connection] = list(readers)
        self._lock_timeout = lock_timeout
        # A throw-away database's directory goes when the store closes, or at the
        # latest when the store is garbage-collected or the interpreter exits.
        self._remove_files: Callable[[], object] | None = (
            None
            if throwaway_dir is None
            else weakref.finalize(self, shutil.rmtree, throwaway_dir, ignore_errors=True)
        )
        self.receipts = SqliteReceipts(self._writing)
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], *, readers: int = DEFAULT_READERS, migrate: bool = True
    ) -> SqliteStore:
        """Open the file (creating it if needed) and bring its schema up to date.

        With ``migrate`` False a schema behind the code is refused instead.
        """
        if readers < 1:
            raise ValueError("readers must be at least 1")
        location = os.fspath(path)
        maintenance = await connect_maintenance(location)
        opened: list[sqlite3.Connection] = []
        try:
            mode = next(iter(await maintenance.execute_fetchall("PRAGMA journal_mode")))[0]
            if str(mode).lower() != "wal":
                raise RuntimeError(f"could not put {location} in WAL mode (journal_mode={mode})")
            await migrate_schema(maintenance, allowed=migrate)
            opened.append(connect_inline(location, WRITER_PRAGMAS))
            for _ in range(readers):
                opened.append(connect_inline(location, READER_PRAGMAS))
        except BaseException:
            for conn in opened:
                conn.close()
            with suppress(Exception):
                await maintenance.close()
            raise
        return cls(location, maintenance, opened[0], opened[1:])

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteUnitOfWork]:
        """A unit of work over one committed snapshot; it never waits for writers."""
        self._ensure_open()
        if self._readers:
            conn, uow = self._readers.pop()
        else:  # more reads in flight than connections: open one more, keep it
            conn = connect_inline(self.path, READER_PRAGMAS)
            uow = SqliteUnitOfWork(conn, self._names)
            self._all_readers.append(conn)
        try:
            conn.execute("BEGIN")
            try:
                yield uow
            finally:
                rollback_inline(conn)  # a read-only transaction: nothing to keep
        finally:
            if not self._closed:
                self._readers.append((conn, uow))

    @asynccontextmanager
    async def write(self, *, concurrent: bool = False) -> AsyncIterator[SqliteUnitOfWork]:
        """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on error.

        ``concurrent`` changes nothing: SQLite has one writer at a time.
        """
        async with self._writing():
            yield self._writer_uow

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[sqlite3.Connection]:
        """The writer connection in a ``BEGIN IMMEDIATE`` transaction (``write()``, receipts)."""
        self._ensure_open()
        async with self._write_lock:
            self._ensure_open()
            conn = self._writer
            await begin_immediate_inline(conn, timeout=self._lock_timeout)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                rollback_inline(conn)
                raise
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self._start_checkpoint()

    def _start_checkpoint(self) -> None:
        if self._maintenance is None:  # a throw-away database: nothing to sync
            with suppress(sqlite3.Error):
                self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            return
        if self._checkpoint is None or self._checkpoint.done():
            self._checkpoint = asyncio.create_task(self._run_checkpoint("PASSIVE"))

    async def _run_checkpoint(self, mode: str) -> None:
        if self._maintenance is None:
            return
        with suppress(sqlite3.Error, ValueError):
            await self._maintenance.execute_fetchall(f"PRAGMA wal_checkpoint({mode})")

    async def version(self) -> int:
        """``PRAGMA data_version`` of a connection that never writes: it changes
        whenever any other connection, of this process or another, commits."""
        self._ensure_open()
        return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    async def ping(self) -> bool:
        """True when the file answers ``SELECT 1``; never raises."""
        if self._closed:
            return False
        try:
            if self._maintenance is None:
                rows = self._version_conn.execute("SELECT 1").fetchall()
            else:
                rows = list(await self._maintenance.execute_fetchall("SELECT 1"))
        except Exception:
            return False
        return bool(rows) and rows[0][0] == 1

    def exclusive(self, name: str) -> AlwaysHeld:
        """Always held: every process on the file may do the work (see :mod:`storage.ports.exclusive`)."""
        return AlwaysHeld(name)

    def describe(self) -> dict[str, object]:
        return {"engine": "sqlite", "readers": len(self._all_readers)}

    async def close(self) -> None:
        """Close every connection, after the write in progress (if any); idempotent.

        Don't call it from inside ``write()``: it waits for that block to end.
        """
        if self._closed:
            return
        self._closed = True
        async with self._write_lock:
            if self._checkpoint is not None:
                with suppress(Exception):
                    await self._checkpoint
            for conn in [*self._all_readers, self._version_conn, self._writer]:
                with suppress(Exception):
                    conn.close()
            with suppress(Exception):
                self._names.close()
            if self._maintenance is not None:
                # The maintenance connection closes last and checkpoints the WAL into the file.
                await self._run_checkpoint("TRUNCATE")
                with suppress(Exception):
                    await self._maintenance.close()
            if self._remove_files is not None:
                self._remove_files()


async def open_sqlite(
    path: str | os.PathLike[str], *, readers: int = DEFAULT_READERS, migrate: bool = True
) -> SqliteStore:
    """Open a :class:`SqliteStore` on ``path``, creating and migrating the schema."""
    return await SqliteStore.open(path, readers=readers, migrate=migrate)


if TYPE_CHECKING:  # mypy proves the store and its unit of work keep the contract

    def _conforms(store: SqliteStore, uow: SqliteUnitOfWork) -> tuple[Store, UnitOfWork]:
        return store, uow
