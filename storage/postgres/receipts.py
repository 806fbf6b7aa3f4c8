"""The PostgreSQL receipts: each call one autocommitted statement on a pooled connection.

No writers' lock and no ``store_version`` bump: a receipt is nobody's data, so
saving one leaves every cached page valid. The take-over skips the rows
another process is taking over at the same moment (``SKIP LOCKED``).

Saving is a *group commit*: receipts that arrive while one insert is on its way
go together in the next one (one round trip, one WAL flush for the lot), so a
burst of clicks costs the database a few inserts instead of one each. A lone
receipt is inserted at once, by the caller itself. Inserts go one at a time, so
they keep one pooled connection for themselves (with a pool of at least
:data:`KEEP_FROM` connections): saving a receipt never waits for the pool, which
the work of earlier receipts may be using up, nor pays for taking a connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any, Final

import asyncpg

from bot.domain.receipts import Receipt
from storage.postgres.connections import pg
from storage.sql import receipts as sql
from storage.sql.rows import stamp

RECEIVE: Final = pg(sql.RECEIVE)
# Rows in the order given: identity values follow the SELECT's order, so the ids
# returned, sorted, are the rows' ids in that order.
RECEIVE_MANY: Final = (
    "INSERT INTO receipts (kind, body, received_at, claimed_by, claimed_until) "
    "SELECT kind, body, received_at, claimed_by, claimed_until FROM unnest("
    "$1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[]) "
    "WITH ORDINALITY AS r (kind, body, received_at, claimed_by, claimed_until, n) "
    "ORDER BY n RETURNING id"
)
FINISH: Final = pg(sql.FINISH)
WAITING: Final = pg(sql.WAITING)
TAKE_OVER: Final = pg(sql.take_over(" FOR UPDATE SKIP LOCKED"))
KEEP_FROM: Final = 4  # pool size from which saving keeps a connection of its own


class PostgresReceipts:
    """:class:`storage.ports.receipts.ReceiptRepository` on a pool."""

    __slots__ = ("_conn", "_keep", "_pool", "_saving", "_waiting")

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool
        self._waiting: list[tuple[tuple[str, str, str, str, str], asyncio.Future[int]]] = []
        self._saving = False
        self._keep = pool.get_max_size() >= KEEP_FROM
        self._conn: Any = None  # the connection kept for saving, once taken

    async def close(self) -> None:
        """Give the kept connection back (before the pool closes: it waits for it)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                await self._pool.release(conn)

    async def receive(
        self, kind: str, body: Mapping[str, Any], *, owner: str, at: datetime, until: datetime
    ) -> int:
        row = (kind, sql.body_text(body), stamp(at), owner, stamp(until))
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, done))
        if not self._saving:  # nobody is inserting: insert what waits, this one first
            self._saving = True
            try:
                await self._save_waiting()
            finally:
                self._saving = False
            if self._waiting:  # arrived meanwhile: their own insert, not this caller's wait
                self._saving = True
                asyncio.get_running_loop().create_task(self._save_rest())
        return await done

    async def _save_rest(self) -> None:
        try:
            while self._waiting:
                await self._save_waiting()
        finally:
            self._saving = False

    async def _save_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        rows = [row for row, _ in batch]
        try:
            ids = await self._insert(rows)
        except BaseException as error:
            for _, done in batch:
                if not done.done():
                    done.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_, done), receipt_id in zip(batch, ids, strict=True):
            if not done.done():
                done.set_result(receipt_id)

    async def _insert(self, rows: Sequence[tuple[str, str, str, str, str]]) -> list[int]:
        if not self._keep:
            async with self._pool.acquire() as conn:
                return await _insert_on(conn, rows)
        if self._conn is None or self._conn.is_closed():
            await self.close()
            self._conn = await self._pool.acquire()
        try:
            return await _insert_on(self._conn, rows)
        except BaseException:
            await self.close()  # broken, or cancelled mid-statement: the next takes another
            raise

    async def take_over(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Receipt]:
        if limit <= 0:
            return []
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(TAKE_OVER, owner, stamp(until), stamp(now), limit)
        return sorted((sql.receipt_of(r) for r in rows), key=lambda r: r.id)

    async def finish(self, receipt_id: int) -> bool:
        async with self._pool.acquire() as conn:
            return await conn.fetchval(FINISH, receipt_id) is not None

    async def waiting(self) -> int:
        async with self._pool.acquire() as conn:
            return int(await conn.fetchval(WAITING))


async def _insert_on(conn: Any, rows: Sequence[tuple[str, str, str, str, str]]) -> list[int]:
    if len(rows) == 1:
        return [int(await conn.fetchval(RECEIVE, *rows[0]))]
    columns = [list(column) for column in zip(*rows, strict=True)]
    return sorted(int(r[0]) for r in await conn.fetch(RECEIVE_MANY, *columns))
