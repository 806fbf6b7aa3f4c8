"""The PostgreSQL store: an asyncpg pool, writers that lock only what they touch, snapshot reads.

* ``write()`` is one READ COMMITTED transaction that takes the writers' lock, a
  transaction-level advisory lock named after the schema, in one round trip
  with its ``BEGIN``. By default it takes it *exclusively*: writers take turns,
  across processes as well as within one, exactly like SQLite's ``BEGIN
  IMMEDIATE``, so every check-then-write a service does (seats left, last
  Global admin, hours used) sees the writes committed before it, with no retry
  loop. ``write(concurrent=True)`` takes it *shared*: such writes run side by
  side (and wait only while an exclusive one runs), and each guards its own
  checks with the narrow locks of the ports (``requests.get(…, lock=True)`` locks
  the request's row, ``assignments.hold(…)`` a benefit's seats and a person's
  holdings). Each statement reads the latest committed rows (READ COMMITTED),
  so a statement after a lock sees everything committed before it.
* Every write bumps the ``store_version`` row in the round trip that commits
  it (``UPDATE …; COMMIT``), so its row lock is held for the commit alone and
  the new version becomes visible with the data, never before.
* ``read()`` is one REPEATABLE READ READ ONLY transaction on a pooled
  connection: one snapshot, never waiting for writers. Its end costs the
  reader no round trip: a task ends it afterwards and, in the same round
  trip, begins the next one, and keeps the connection (up to a few) for the
  next read, which then starts with its first query. That is safe because a
  REPEATABLE READ transaction takes its snapshot at its first query, not at
  ``BEGIN``, and holds nothing before it.
* ``version()`` reads the ``store_version`` counter, which every committed write
  has bumped, whichever process made it.
* Connections go back to the pool without asyncpg's reset query (a round trip
  per use): the store keeps no session state on pooled connections (advisory
  session locks live on connections of their own, nothing listens or sets
  settings), and a transaction left open is rolled back.
* ``exclusive(name)`` is a role one replica at a time holds, through a session
  advisory lock (:mod:`storage.postgres.exclusive`); ``describe()`` shows the
  pool's size and use (``/healthz``).
* ``statements`` counts the statements sent to the server when the store was
  opened with ``count_statements=True`` (benchmarks: round trips per command).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from storage.postgres.benefits import NameCache
from storage.postgres.connections import DEFAULT_POOL_SIZE, connect, create_pool
from storage.postgres.exclusive import AdvisoryLock
from storage.postgres.migrations import migrate
from storage.postgres.receipts import PostgresReceipts
from storage.postgres.unit_of_work import PostgresUnitOfWork

if TYPE_CHECKING:
    from storage.unit_of_work import Store, UnitOfWork

BUMP_VERSION = "UPDATE store_version SET n = n + 1 WHERE id = 1"
# The writers' lock: one advisory key per schema (replicas of one deployment share it,
# deployments in other schemas of the database don't). Sent with BEGIN as one simple
# query, so taking it costs no round trip of its own.
WRITERS_KEY: Final = "hashtextextended(current_schema() || ':writers', 0)"
COMMIT: Final = f"{BUMP_VERSION}; COMMIT"
READY_READERS: Final = 2  # begun read transactions kept, at most (and two pooled connections free)


def quoted(schema: str) -> str:
    """``schema`` as a PostgreSQL identifier (tenant schemas are checked names; see
    :mod:`storage.postgres.tenant_schemas`)."""
    return '"' + schema.replace('"', '""') + '"'


class _Begins:
    """The statements that begin a store's transactions. A tenant's store (``schema``
    set) shares the pool with the others and puts each transaction in its schema
    with ``SET LOCAL search_path``, in the round trip of its ``BEGIN``: the
    schema's writers' lock, tables and triggers are then the tenant's own, and the
    connection goes back to the pool as it was. ``SET`` takes no snapshot, so a
    begun read transaction still takes its snapshot at its first query."""

    __slots__ = ("concurrent", "exclusive", "read", "read_again", "version")

    def __init__(self, schema: str | None) -> None:
        into = "" if schema is None else f"; SET LOCAL search_path TO {quoted(schema)}"
        self.exclusive = f"BEGIN{into}; SELECT pg_advisory_xact_lock({WRITERS_KEY})"
        self.concurrent = f"BEGIN{into}; SELECT pg_advisory_xact_lock_shared({WRITERS_KEY})"
        self.read = f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY{into}"
        self.read_again = f"COMMIT; {self.read}"
        table = "store_version" if schema is None else f"{quoted(schema)}.store_version"
        self.version = f"SELECT n FROM {table} WHERE id = 1"


class ReadyReaders:
    """Pooled connections in a begun read transaction with no query run yet, each for
    the next read of its schema; at most ``most`` of them over every store sharing
    the pool (the base's and its tenants'). When they are all kept, a read of
    another schema takes the place of the one kept longest."""

    __slots__ = ("_kept", "most")

    def __init__(self, most: int) -> None:
        self.most = most
        self._kept: list[tuple[str | None, Any]] = []  # oldest first

    def take(self, schema: str | None) -> Any | None:
        for i in range(len(self._kept) - 1, -1, -1):
            if self._kept[i][0] == schema:
                return self._kept.pop(i)[1]
        return None

    def has_room(self, schema: str | None) -> bool:
        return len(self._kept) < self.most or any(s != schema for s, _ in self._kept[:1])

    def keep(self, schema: str | None, conn: Any) -> Any | None:
        """Keep ``conn``; the connection it displaced (to be ended), if any."""
        self._kept.append((schema, conn))
        if len(self._kept) <= self.most:
            return None
        return self._kept.pop(0)[1]

    def take_all(self, schema: str | None, *, every: bool = False) -> list[Any]:
        """The connections kept for ``schema`` (``every``: for any schema), no longer kept."""
        taken = [conn for s, conn in self._kept if every or s == schema]
        self._kept = [(s, conn) for s, conn in self._kept if not (every or s == schema)]
        return taken


class PostgresStore:
    """A :class:`storage.unit_of_work.Store` on a PostgreSQL database; see :func:`open_postgres`."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool[Any],
        *,
        counter: list[int] | None = None,
        base: PostgresStore | None = None,
        schema: str | None = None,
    ) -> None:
        """``base`` and ``schema``: a tenant's store, in ``schema``, on the pool of ``base``
        (see :mod:`storage.postgres.tenant_schemas`), whose receipts and roles it shares."""
        self.dsn = dsn
        self.pool = pool
        self._counter = counter
        self._base = base
        self.schema = schema
        self.receipts: PostgresReceipts = PostgresReceipts(pool) if base is None else base.receipts
        self._roles: dict[str, AdvisoryLock] = {}
        self._write_lock = asyncio.Lock()
        self._names = NameCache()  # the name index of the committed inventory
        self._closed = False
        self._begins = _Begins(schema)
        # Connections out of the pool in a begun read transaction with no query run yet.
        self._ready: ReadyReaders = (
            ReadyReaders(max(0, min(READY_READERS, pool.get_max_size() - 2)))
            if base is None
            else base._ready
        )
        self._ending: set[asyncio.Task[None]] = set()

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresUnitOfWork]:
        """A unit of work over one committed snapshot; it never waits for writers."""
        self._ensure_open()
        conn = self._ready.take(self.schema)
        while conn is not None and conn.is_closed():  # the server ended the session meanwhile
            await self._give_back(conn)
            conn = self._ready.take(self.schema)
        if conn is None:
            conn = await self.pool.acquire()
            try:
                await conn.execute(self._begins.read)
            except BaseException:
                await self._give_back(conn)
                raise
        done = False
        try:
            yield PostgresUnitOfWork(conn, self._names)
            done = True
        finally:
            ending = asyncio.get_running_loop().create_task(self._end_read(conn, again=done))
            self._ending.add(ending)
            ending.add_done_callback(self._ending.discard)

    async def _end_read(self, conn: Any, *, again: bool) -> None:
        """End a read transaction; when it went well and few are kept, begin the next."""
        try:
            if again and not self._closed and self._ready.has_room(self.schema):
                await conn.execute(self._begins.read_again)
                if not self._closed and self._ready.has_room(self.schema):
                    displaced = self._ready.keep(self.schema, conn)
                    if displaced is not None:
                        await self._end_read(displaced, again=False)
                    return
            await conn.execute("ROLLBACK")  # read only: nothing to keep either way
        except Exception:
            pass  # a broken connection: the pool replaces it
        await self._give_back(conn)

    async def _give_back(self, conn: Any) -> None:
        with suppress(Exception):  # a connection that can't be reset is terminated
            await self.pool.release(conn)

    @asynccontextmanager
    async def write(self, *, concurrent: bool = False) -> AsyncIterator[PostgresUnitOfWork]:
        """One transaction: committed at the end, rolled back on error.

        Exclusive writers take turns with every other writer; ``concurrent`` ones
        run beside each other (see the module). This process's exclusive writers
        queue before they take a pooled connection.
        """
        self._ensure_open()
        if concurrent:
            async with (
                self.pool.acquire() as conn,
                self._transaction(conn, self._begins.concurrent) as uow,
            ):
                yield uow
            return
        async with self._write_lock:
            self._ensure_open()
            async with (
                self.pool.acquire() as conn,
                self._transaction(conn, self._begins.exclusive, exclusive=True) as uow,
            ):
                yield uow

    @asynccontextmanager
    async def _transaction(
        self, conn: Any, begin: str, *, exclusive: bool = False
    ) -> AsyncIterator[PostgresUnitOfWork]:
        try:
            await conn.execute(begin)
            yield PostgresUnitOfWork(conn, self._names, exclusive=exclusive)
            await conn.execute(COMMIT)
        except BaseException:
            # A failed BEGIN (lock timeout), block or COMMIT: roll back what is open. The
            # original error matters; a broken connection is rolled back by the server.
            if not conn.is_closed() and conn.is_in_transaction():
                with suppress(Exception):
                    await conn.execute("ROLLBACK")
            raise

    async def version(self) -> int:
        """The ``store_version`` counter: every committed write, from any process, bumps it."""
        self._ensure_open()
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval(self._begins.version))

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
        """The role ``name``, held through a session advisory lock (one object per name);
        a tenant's store shares the roles of its base (one holder per deployment)."""
        if self._base is not None:
            return self._base.exclusive(name)
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
        if self._ending:
            await asyncio.gather(*self._ending, return_exceptions=True)
        for conn in self._ready.take_all(self.schema, every=self._base is None):
            await self._end_read(conn, again=False)
        if self._base is not None:  # a tenant's store: the pool and receipts are the base's
            async with self._write_lock:
                return
        await self.receipts.close()
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
