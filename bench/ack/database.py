"""The run's database: a SQLite file of its own, or a schema of its own on a PostgreSQL server.

:func:`run_database` makes it and removes it afterwards (the SQLite file goes
with the run's temporary directory; the PostgreSQL schema, ``bench_<pid>``, is
dropped at the end, also when the run fails). The bot reaches the schema
through ``?search_path=`` in its ``DATABASE_URL``, as any deployment may
(README, ``DATABASE_URL``). Both engines are filled by the same code,
:func:`bench.ack.plan.prepare_database` through ``storage.open_store``; this
module only reads what the bot's work left behind (:meth:`Database.counts`)
and commits the writes that make the ``*-cold`` kinds cold
(:meth:`Database.touch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from bench.ack.plan import ADMIN, NEW_PEOPLE
from storage import is_postgres
from storage.postgres.connections import where

SCHEMA_PREFIX: Final = "bench_"

SEATS_BY_ADMIN: Final = (
    "SELECT COUNT(*) FROM assignments WHERE assigned_by = ? AND released_at IS NULL"
)
APPROVED: Final = "SELECT COUNT(*) FROM requests WHERE status = 'approved' AND decided_by = ?"
NEW_PENDING: Final = (
    "SELECT COUNT(*) FROM requests WHERE status = 'pending' AND requester_id LIKE ?"
)


@dataclass(frozen=True)
class Counts:
    """What the bot's work left in the database (read directly)."""

    seats_by_admin: int
    approved: int
    new_pending: int


class Database(Protocol):
    """The database of one run, as the load generator sees it."""

    url: str
    """The bot's ``DATABASE_URL``."""
    engine: str
    """``sqlite`` or ``postgresql``."""
    where: str
    """For the report: the file, or the server and schema (never a password)."""

    async def counts(self) -> Counts: ...

    async def touch(self) -> None:
        """Another connection's commit, so that the bot's next read finds the data changed."""

    async def close(self) -> None: ...


class SqliteDatabase:
    """A SQLite file; ``touch`` moves SQLite's ``data_version`` on.

    A row put into ``sweep_watermarks`` and taken out again in one
    transaction: nothing anyone reads changes, but the file has a new commit,
    as after any user's write.
    """

    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.where = "a file of its own"
        self._conn: sqlite3.Connection | None = None
        self.commits = 0

    async def counts(self) -> Counts:
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn:
            seats = conn.execute(SEATS_BY_ADMIN, (ADMIN,)).fetchone()[0]
            approved = conn.execute(APPROVED, (ADMIN,)).fetchone()[0]
            pending = conn.execute(NEW_PENDING, (NEW_PEOPLE + "%",)).fetchone()[0]
        return Counts(int(seats), int(approved), int(pending))

    async def touch(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute(
            "INSERT INTO sweep_watermarks (name, watermark) VALUES ('bench-touch', 'x')"
        )
        self._conn.execute("DELETE FROM sweep_watermarks WHERE name = 'bench-touch'")
        self._conn.execute("COMMIT")
        self.commits += 1

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresDatabase:
    """A schema of its own on a PostgreSQL server; ``touch`` commits a write as the store does.

    Every write of the store bumps the ``store_version`` row as it commits, and
    that counter is what tells every replica's page cache that the data changed;
    ``touch`` commits exactly that bump and nothing else.
    """

    engine = "postgresql"

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self.where = f"{where(url)}, schema {schema}"
        self._conn: asyncpg.Connection[Any] | None = None
        self._turn = asyncio.Lock()  # one connection: the senders' touches take turns
        self.commits = 0

    async def _connection(self) -> asyncpg.Connection[Any]:
        if self._conn is None:
            self._conn = await asyncpg.connect(self.url)
        return self._conn

    async def counts(self) -> Counts:
        async with self._turn:
            conn = await self._connection()
            seats = await conn.fetchval(SEATS_BY_ADMIN.replace("?", "$1"), ADMIN)
            approved = await conn.fetchval(APPROVED.replace("?", "$1"), ADMIN)
            pending = await conn.fetchval(NEW_PENDING.replace("?", "$1"), NEW_PEOPLE + "%")
        return Counts(int(seats), int(approved), int(pending))

    async def touch(self) -> None:
        from storage.postgres.store import BUMP_VERSION

        async with self._turn:
            conn = await self._connection()
            async with conn.transaction():
                await conn.execute(BUMP_VERSION)
            self.commits += 1

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


def with_search_path(url: str, schema: str) -> str:
    """``url`` working in ``schema`` (a ``search_path`` already in it is replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


@asynccontextmanager
async def run_database(server: str | None, workdir: Path) -> AsyncIterator[Database]:
    """The run's database: a SQLite file in ``workdir`` when ``server`` is None, else a
    fresh schema ``bench_<pid>`` on the PostgreSQL server it names, dropped afterwards."""
    if server is None:
        sqlite_db = SqliteDatabase(workdir / "benefits.db")
        try:
            yield sqlite_db
        finally:
            await sqlite_db.close()
        return
    if not is_postgres(server):
        raise ValueError("--database takes a postgresql://user@host:port/database URL")
    schema = f"{SCHEMA_PREFIX}{os.getpid()}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # a dead run's
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        postgres_db = PostgresDatabase(with_search_path(server, schema), schema)
        try:
            yield postgres_db
        finally:
            await postgres_db.close()
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.close()
