"""Opening SQLite connections and starting transactions without blocking the loop.

Three kinds of connection, each with its pragmas:

* the *maintenance* connection (aiosqlite, its own thread) for slow work that
  may wait inside SQLite: migrations, WAL checkpoints, ``ping``;
* the *writer* (plain sqlite3, used inline on the event loop) with
  ``busy_timeout = 0``: :func:`begin_immediate_inline` polls for another
  process's write lock with ``asyncio.sleep`` instead of blocking the loop, and
  automatic checkpoints are off (they fsync; the store runs them on the
  maintenance thread instead);
* *readers* (inline, ``query_only``), one per ``read()`` block.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable
from contextlib import suppress
from typing import Final

import aiosqlite

BUSY_TIMEOUT_MS: Final = 10_000
BEGIN_ATTEMPTS: Final = 5
BEGIN_RETRY_DELAY: Final = 0.05  # seconds, times the attempt number

LOCK_POLL_FIRST: Final = 0.001  # seconds; doubles up to LOCK_POLL_MAX
LOCK_POLL_MAX: Final = 0.05

MAINTENANCE_PRAGMAS: Final = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
)
# The writer never waits inside SQLite (busy_timeout 0): begin_immediate_inline
# polls for another process's lock with asyncio.sleep, and checkpoints run on the
# maintenance thread, not inside a commit.
WRITER_PRAGMAS: Final = (
    "PRAGMA busy_timeout = 0",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA wal_autocheckpoint = 0",
)
READER_PRAGMAS: Final = (
    "PRAGMA busy_timeout = 100",
    "PRAGMA foreign_keys = ON",
    "PRAGMA query_only = ON",
)


def casefold(value: object) -> object:
    """``py_casefold``: Python's ``str.casefold`` for queries (and migration 4)."""
    return value.casefold() if isinstance(value, str) else value


def is_locked(error: sqlite3.OperationalError) -> bool:
    return "database is locked" in str(error)


async def connect_maintenance(path: str) -> aiosqlite.Connection:
    """The aiosqlite connection for slow work in a thread: migrations, checkpoints."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in MAINTENANCE_PRAGMAS:
            await conn.execute_fetchall(pragma)
        await conn.create_function("py_casefold", 1, casefold, deterministic=True)
    except BaseException:
        await conn.close()
        raise
    return conn


def connect_inline(path: str, pragmas: Iterable[str]) -> sqlite3.Connection:
    """A connection used from the event loop thread only (statements run inline)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in pragmas:
            conn.execute(pragma).fetchall()
        conn.create_function("py_casefold", 1, casefold, deterministic=True)  # type: ignore[arg-type]
    except BaseException:
        conn.close()
        raise
    return conn


async def begin_immediate(conn: aiosqlite.Connection) -> None:
    """BEGIN IMMEDIATE on the maintenance connection (it may wait in its thread)."""
    await rollback_quietly(conn)  # a backstop: nothing should be left open here
    for attempt in range(1, BEGIN_ATTEMPTS + 1):
        try:
            await conn.execute_fetchall("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if attempt == BEGIN_ATTEMPTS or not is_locked(error):
                raise
        await asyncio.sleep(BEGIN_RETRY_DELAY * attempt)


async def begin_immediate_inline(conn: sqlite3.Connection, *, timeout: float) -> None:
    """BEGIN IMMEDIATE without blocking the loop: the connection's busy timeout is
    zero, so while another process holds the write lock this polls with sleeps."""
    rollback_inline(conn)  # a backstop: nothing should be left open here
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = LOCK_POLL_FIRST
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not is_locked(error) or loop.time() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, LOCK_POLL_MAX)


def rollback_inline(conn: sqlite3.Connection) -> None:
    with suppress(sqlite3.OperationalError, sqlite3.ProgrammingError):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


async def rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Roll back the open transaction, if any; never raises but for cancellation.

    It tolerates "no transaction is active" (a COMMIT queued before it may have
    ended the transaction meanwhile) and a connection closed under it.
    """
    with suppress(sqlite3.OperationalError, ValueError):
        if conn.in_transaction:
            await conn.execute_fetchall("ROLLBACK")
