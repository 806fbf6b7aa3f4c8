"""The PostgreSQL receipts: each call one autocommitted statement on a pooled connection.

No writers' lock and no ``store_version`` bump: a receipt is nobody's data, so
saving one leaves every cached page valid. The take-over skips the rows
another process is taking over at the same moment (``SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import asyncpg

from bot.domain.receipts import Receipt
from storage.postgres.connections import pg
from storage.sql import receipts as sql
from storage.sql.rows import stamp

RECEIVE: Final = pg(sql.RECEIVE)
FINISH: Final = pg(sql.FINISH)
WAITING: Final = pg(sql.WAITING)
TAKE_OVER: Final = pg(sql.take_over(" FOR UPDATE SKIP LOCKED"))


class PostgresReceipts:
    """:class:`storage.ports.receipts.ReceiptRepository` on a pool."""

    __slots__ = ("_pool",)

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def receive(
        self, kind: str, body: Mapping[str, Any], *, owner: str, at: datetime, until: datetime
    ) -> int:
        async with self._pool.acquire() as conn:
            receipt_id = await conn.fetchval(
                RECEIVE, kind, sql.body_text(body), stamp(at), owner, stamp(until)
            )
        return int(receipt_id)

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
