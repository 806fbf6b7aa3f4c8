"""The SQLite receipts: each call one short write on the store's writer connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Final

from bot.domain.receipts import Receipt
from storage.sql import receipts as sql
from storage.sql.rows import stamp

TAKE_OVER: Final = sql.take_over("")  # one writer: nothing to skip


class SqliteReceipts:
    """:class:`storage.ports.receipts.ReceiptRepository` through the store's ``write()``."""

    __slots__ = ("_write",)

    def __init__(
        self, write: Callable[[], AbstractAsyncContextManager[sqlite3.Connection]]
    ) -> None:
        self._write = write

    async def receive(
        self, kind: str, body: Mapping[str, Any], *, owner: str, at: datetime, until: datetime
    ) -> int:
        async with self._write() as conn:
            row = conn.execute(
                sql.RECEIVE, (kind, sql.body_text(body), stamp(at), owner, stamp(until))
            ).fetchone()
        return int(row[0])

    async def take_over(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Receipt]:
        if limit <= 0:
            return []
        async with self._write() as conn:
            rows = conn.execute(TAKE_OVER, (owner, stamp(until), stamp(now), limit)).fetchall()
        return sorted((sql.receipt_of(r) for r in rows), key=lambda r: r.id)

    async def finish(self, receipt_id: int) -> bool:
        async with self._write() as conn:
            return conn.execute(sql.FINISH, (receipt_id,)).fetchone() is not None

    async def waiting(self) -> int:
        async with self._write() as conn:
            return int(conn.execute(sql.WAITING).fetchone()[0])
