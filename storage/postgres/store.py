"""The PostgreSQL store: an asyncpg pool, one writer at a time, snapshot reads.

* ``write()`` is one READ COMMITTED transaction whose first statement bumps the
  ``store_version`` row. That row lock makes writers take turns, across
  processes as well as within one, exactly like SQLite's ``BEGIN IMMEDIATE``:
  every check-then-write a service does (seats left, last Global admin, hours
  used) sees the writes committed before it, and nothing can slip in between,
  with no retry loop (a context manager cannot re-run its block, so
  SERIALIZABLE's serialization failures would reach the services). Each
  statement reads the latest committed rows (READ COMMITTED), so the wait for
  the lock never leaves a stale snapshot. An :class:`asyncio.Lock` queues this
  process's writers before they take a pooled connection.
* ``read()`` is one REPEATABLE READ READ ONLY transaction on a pooled
  connection: one snapshot, never waiting for writers.
* ``version()`` reads the ``store_version`` counter, which every committed write
  has bumped, whichever process made it.
* ``exclusive(name)`` is a role one replica at a time holds, through a session
  advisory lock (:mod:`storage.postgres.exclusive`); ``describe()`` shows the
  pool's size and use (``/healthz``).
* ``statements`` counts the statements sent to the server when the store was
  opened with ``count_statements=True`` (benchmarks: round trips per command).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg

from storage.postgres.benefits import NameCache
from storage.postgres.connections import DEFAULT_POOL_SIZE, connect, create_pool
from storage.postgres.exclusive import AdvisoryLock
from storage.postgres.migrations import migrate
from storage.postgres.unit_of_work import PostgresUnitOfWork

if TYPE_CHECKING:
    from storage.unit_of_work import Store, UnitOfWork

BUMP_VERSION = "UPDATE store_version SET n = n + 1 WHERE id = 1"


class PostgresStore:
    """A :class:`storage.unit_of_work.Store` on a PostgreSQL database; see :func:`open_postgres`."""

    def __init__(
        self, dsn: str, pool: asyncpg.Pool[Any], *, counter: list[int] | None = None
    ) -> None:
        self.dsn = dsn
        self.pool = pool
        self._counter = counter
        self._roles: dict[str, AdvisoryLock] = {}
        self._write_lock = asyncio.Lock()
        self._names = NameCache()  # kept from reads only: committed inventories
        self._closed = False

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresUnitOfWork]:
        """A unit of work over one committed snapshot; it never waits for writers."""
        self._ensure_open()
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresUnitOfWork(conn, self._names, committed=True)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresUnitOfWork]:
        """One transaction, writers in turn: committed at the end, rolled back on error."""
        self._ensure_open()
        async with self._write_lock:
            self._ensure_open()
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(BUMP_VERSION)  # takes the writers' lock, until commit
                yield PostgresUnitOfWork(conn, self._names)

    async def version(self) -> int:
        """The ``store_version`` counter: every committed write, from any process, bumps it."""
        self._ensure_open()
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT n FROM store_version WHERE id = 1"))

    async def ping(self) -> bool:
        """True when the server answers ``SELECT 1``; never raises."""
        if self._closed:
            return False
        try:
            async with self.pool.acquire(timeout=5) as conn:
                return bool(await conn.fetchval("SELECT 1") == 1)
        except Exception:
            return False

    @property
    def statements(self) -> int | None:
        """Statements sent so far, when opened with ``count_statements=True``; else None."""
        return None if self._counter is None else self._counter[0]

    def exclusive(self, name: str) -> AdvisoryLock:
        """The role ``name``, held through a session advisory lock (one object per name)."""
        if name not in self._roles:
            self._roles[name] = AdvisoryLock(self.dsn, name)
        return self._roles[name]

    def describe(self) -> dict[str, object]:
        """The engine and the pool: connections open (size), in use, free (idle), the most allowed."""
        size = self.pool.get_size()
        free = self.pool.get_idle_size()
        return {
            "engine": "postgresql",
            "pool": {
                "size": size,
                "in_use": size - free,
                "free": free,
                "max": self.pool.get_max_size(),
            },
        }

    async def close(self) -> None:
        """Give up the roles held, then close the pool after the write in progress
        (if any); idempotent."""
        if self._closed:
            return
        self._closed = True
        for role in self._roles.values():
            await role.release()
        async with self._write_lock:
            await self.pool.close()


async def migrate_postgres(dsn: str, *, allowed: bool = True) -> tuple[int, int]:
    """Bring the schema up to date (or, with ``allowed`` False, check it); (before, after)."""
    conn = await connect(dsn)
    try:
        return await migrate(conn, allowed=allowed)
    finally:
        await conn.close()


async def open_postgres(
    dsn: str,
    *,
    pool_size: int = DEFAULT_POOL_SIZE,
    migrate: bool = True,
    count_statements: bool = False,
) -> PostgresStore:
    """Open a :class:`PostgresStore`, migrating the schema first when ``migrate`` allows.

    ``count_statements`` makes :attr:`PostgresStore.statements` count every
    statement the pool's connections send (a query logger per connection).
    """
    await migrate_postgres(dsn, allowed=migrate)
    if not count_statements:
        return PostgresStore(dsn, await create_pool(dsn, size=pool_size))
    counter = [0]

    def count(_: object) -> None:
        counter[0] += 1

    pool = await create_pool(dsn, size=pool_size, on_statement=count)
    return PostgresStore(dsn, pool, counter=counter)


if TYPE_CHECKING:  # mypy proves the store and its unit of work keep the contract

    def _conforms(store: PostgresStore, uow: PostgresUnitOfWork) -> tuple[Store, UnitOfWork]:
        return store, uow
