"""``benefits-bot copy-db``: move a company's whole database from one store to another.

Every table is copied row for row with its ids (the outbox and the audit log
included), in one read snapshot of the source and one transaction on the
target, and the id sequences follow (SQLite's ``sqlite_sequence``, PostgreSQL's
identity sequences), so the next id handed out is the one the source would
have given. The target must be empty; both schemas must be the latest this
code knows (the target is migrated first, the source is only checked). At the
end the rows of every table are counted on both sides.

Columns only one engine has are derived, not copied: PostgreSQL's
``benefits.id_key`` (the case-folded id) and ``request_messages.seq`` (the
insertion order, SQLite's ``rowid``: rows are read and written in that order).
The ``generations`` counters, which the target's migrations seed, take the
source's values last.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final, Protocol

from storage.schema import SchemaError

BATCH: Final = 1000
# Parents before children (foreign keys); tables added later go after these.
TABLE_ORDER: Final = (
    "membership",
    "benefits",
    "assignments",
    "requests",
    "request_messages",
    "roles",
    "users",
    "audit",
    "product_keys",
    "key_reveals",
    "activations",
    "marketing_contact",
    "advisory_requests",
    "service_requests",
    "outbox",
    "sweep_watermarks",
    "generations",
    "offboardings",
    "seat_checks",
    "receipts",
    "installations",
    "oauth_states",
    "home_viewers",
    "tenants",
    "settings",
)
# Rows the migrations seed: the source's replace them, after every other table
# (whose inserts bump them on the target), so the counters go on from the source's.
SEEDED: Final = {"generations"}
ENGINE_ONLY: Final = {("benefits", "id_key"), ("request_messages", "seq")}
# Not copied: each engine's own bookkeeping (PostgreSQL's seat_generations are the
# per-connection counters that add up to its seats generation; they start afresh).
BOOKKEEPING: Final = {"schema_migrations", "store_version", "sqlite_sequence", "seat_generations"}

Progress = Callable[[str, int, int], None]  # table, rows copied, rows in all


class CopyError(Exception):
    """The copy cannot start or did not match; the message says why in one line."""


class Tables(Protocol):
    """One side of a copy: a database seen as tables of rows."""

    async def tables(self) -> list[str]: ...
    async def columns(self, table: str) -> list[str]: ...
    async def count(self, table: str) -> int: ...
    def rows(self, table: str, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]: ...
    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None: ...
    async def clear(self, table: str) -> None: ...
    async def sequences(self) -> dict[str, int]: ...
    async def set_sequences(self, values: dict[str, int]) -> None: ...
    def snapshot(self) -> AbstractAsyncContextManager[None]: ...
    def transaction(self) -> AbstractAsyncContextManager[None]: ...
    async def close(self) -> None: ...


def ordered(tables: Sequence[str]) -> list[str]:
    known = [t for t in TABLE_ORDER if t in tables]
    return known + sorted(t for t in tables if t not in TABLE_ORDER and t not in BOOKKEEPING)


async def copy_database(
    source: Tables, target: Tables, *, progress: Progress | None = None
) -> dict[str, tuple[int, int]]:
    """Copy every row of ``source`` into the empty ``target``.

    Returns the rows of each table counted in the source's snapshot and in the
    target after the copy; raises :class:`CopyError` (and the target keeps
    nothing) when they differ.
    """
    tables = ordered([t for t in await source.tables() if t not in BOOKKEEPING])
    target_tables = set(await target.tables())
    plan: list[tuple[str, list[str]]] = []
    for table in tables:
        if table not in target_tables:
            raise CopyError(f"the target has no table {table}: are both schemas the latest?")
        wanted = set(await target.columns(table))
        columns = [c for c in await source.columns(table) if (table, c) not in ENGINE_ONLY]
        missing = [c for c in columns if c not in wanted]
        if missing:
            raise CopyError(f"the target's {table} has no column {missing[0]}")
        plan.append((table, columns))
    for table, _ in plan:
        if table not in SEEDED and (held := await target.count(table)):
            raise CopyError(
                f"the target already holds data ({held} rows in {table}); "
                "copy-db only fills an empty database"
            )
    counts: dict[str, tuple[int, int]] = {}
    async with source.snapshot(), target.transaction():
        for table, columns in plan:
            total = await source.count(table)
            done = 0
            if progress is not None:
                progress(table, 0, total)
            if table in SEEDED:
                await target.clear(table)
            async for batch in source.rows(table, columns):
                await target.insert(table, columns, batch)
                done += len(batch)
                if progress is not None:
                    progress(table, done, total)
            there = await target.count(table)
            if not total == done == there:
                raise CopyError(
                    f"{table}: {total} rows in the source, {done} read, {there} in the target"
                )
            counts[table] = (total, there)
        await target.set_sequences(await source.sequences())
    return counts


class SqliteTables:
    """A SQLite file as :class:`Tables` (plain sqlite3: a copy may block its own loop)."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA foreign_keys = ON")

    async def tables(self) -> list[str]:
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return [r[0] for r in rows]

    async def columns(self, table: str) -> list[str]:
        return [r[1] for r in self._conn.execute(f'PRAGMA table_info("{table}")').fetchall()]

    async def count(self, table: str) -> int:
        return int(self._conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])

    async def rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(f'"{c}"' for c in columns)
        rowid = not self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'", (table,)
        ).fetchone()
        order = " ORDER BY rowid" if rowid else ""
        cursor = self._conn.execute(f'SELECT {names} FROM "{table}"{order}')
        while batch := cursor.fetchmany(BATCH):
            yield [tuple(r) for r in batch]

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self._conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    async def clear(self, table: str) -> None:
        self._conn.execute(f'DELETE FROM "{table}"')

    async def sequences(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    async def set_sequences(self, values: dict[str, int]) -> None:
        for name, seq in values.items():
            self._conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            self._conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[None]:
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("ROLLBACK")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    async def close(self) -> None:
        self._conn.close()


class PostgresTables:
    """A PostgreSQL database (its ``search_path`` schema) as :class:`Tables`."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    @classmethod
    async def open(cls, dsn: str) -> PostgresTables:
        from storage.postgres.connections import connect

        return cls(await connect(dsn))

    async def tables(self) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        return [r[0] for r in rows]

    async def columns(self, table: str) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        return [r[0] for r in rows]

    async def count(self, table: str) -> int:
        return int(await self._conn.fetchval(f'SELECT COUNT(*) FROM "{table}"'))

    async def rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(f'"{c}"' for c in columns)
        have = await self.columns(table)
        order = next((f' ORDER BY "{c}"' for c in ("seq", "id") if c in have), "")
        cursor = await self._conn.cursor(f'SELECT {names} FROM "{table}"{order}')
        while batch := await cursor.fetch(BATCH):
            yield [tuple(r) for r in batch]

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        names = list(columns)
        values = [list(r) for r in rows]
        if table == "benefits" and "id_key" not in names:
            position = names.index("id")
            names.append("id_key")
            for value in values:
                value.append(str(value[position]).casefold())
        quoted = ", ".join(f'"{c}"' for c in names)
        marks = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        await self._conn.executemany(
            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', [tuple(v) for v in values]
        )

    async def clear(self, table: str) -> None:
        await self._conn.execute(f'DELETE FROM "{table}"')

    async def _identities(self) -> list[tuple[str, str]]:
        rows = await self._conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES' "
            "AND identity_generation = 'BY DEFAULT'"
        )
        return [(r[0], r[1]) for r in rows]

    async def sequences(self) -> dict[str, int]:
        values: dict[str, int] = {}
        for table, column in await self._identities():
            sequence = await self._conn.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", f'"{table}"', column
            )
            last, called = await self._conn.fetchrow(
                f"SELECT last_value, is_called FROM {sequence}"
            )
            if called:
                values[table] = int(last)
        return values

    async def set_sequences(self, values: dict[str, int]) -> None:
        for table, column in await self._identities():
            if table in values:
                await self._conn.execute(
                    "SELECT setval(pg_get_serial_sequence($1, $2), $3, true)",
                    f'"{table}"',
                    column,
                    values[table],
                )

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[None]:
        async with self._conn.transaction(isolation="repeatable_read", readonly=True):
            yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._conn.transaction():
            yield

    async def close(self) -> None:
        await self._conn.close()


async def open_tables(database_url: str, *, migrate: bool) -> Tables:
    """One side of a copy; the schema migrated (``migrate``) or checked to be the latest."""
    from storage import is_postgres, open_store

    if database_url == "memory://":
        raise CopyError("memory:// is a throw-away database: copy from or to a file or a server")
    try:
        store = await open_store(database_url, migrate=migrate)
    except SchemaError as error:
        raise CopyError(str(error)) from None
    await store.close()
    if is_postgres(database_url):
        return await PostgresTables.open(database_url)
    return SqliteTables(database_url.removeprefix("sqlite:///"))
