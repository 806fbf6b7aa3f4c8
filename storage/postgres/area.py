"""The base of every PostgreSQL area repository: a thin view over one pooled connection.

Statements keep SQLite's ``?`` placeholders and go through
:func:`~storage.postgres.connections.pg`; rows come back as asyncpg records,
which index like the tuples the shared mappers in :mod:`storage.sql.rows` take.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from storage.postgres.connections import pg
from storage.sql.rows import Row

Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


class Area:
    """Queries on one connection; the caller's ``read()``/``write()`` block owns the transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return cast(list[Row], await self._conn.fetch(pg(sql), *params))

    async def _one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        return cast("Row | None", await self._conn.fetchrow(pg(sql), *params))

    async def _many(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        await self._conn.executemany(pg(sql), rows)
