"""The PostgreSQL :class:`storage.ports.exclusive.Exclusive`: a session advisory lock.

The lock is taken with ``pg_try_advisory_lock`` on a connection opened for it
alone (outside the pool, so that no other work ever runs in the session that
holds it, and a pooled connection handed back can't carry it away). The key
is derived from the schema and the role's name, so deployments sharing one
database in different schemas never block each other. The lock lasts as long
as the session: when the holder exits, is killed or loses its connection, the
server ends the session and the lock with it, and the next replica whose
:meth:`AdvisoryLock.hold` asks takes it over. Each ``hold`` of the holder
checks its session still answers, so a holder whose connection broke stops
believing it holds the role.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Final

import asyncpg

from storage.postgres.connections import connect

log = logging.getLogger(__name__)

TRY_LOCK: Final = "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0))"
UNLOCK: Final = "SELECT pg_advisory_unlock(hashtextextended(current_schema() || ':' || $1, 0))"
CHECK_TIMEOUT_S: Final = 5.0


class AdvisoryLock:
    """One role held through a session advisory lock (see the module)."""

    def __init__(self, dsn: str, name: str) -> None:
        self._dsn = dsn
        self._name = name
        self._conn: asyncpg.Connection | None = None
        self._holding = False
        self._turn = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def holding(self) -> bool:
        return self._holding

    async def hold(self) -> bool:
        async with self._turn:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._holding = False
                    await self._drop()
                    self._conn = await connect(self._dsn)
                if self._holding:
                    # The session still answers, so it still holds the lock.
                    await self._conn.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_S)
                    return True
                self._holding = bool(
                    await self._conn.fetchval(TRY_LOCK, self._name, timeout=CHECK_TIMEOUT_S)
                )
                if self._holding:
                    log.info("took the %s role", self._name)
            except Exception as error:  # unreachable, or the session broke: not held
                if self._holding:
                    log.warning("lost the %s role: %s", self._name, type(error).__name__)
                self._holding = False
                await self._drop()
            return self._holding

    async def release(self) -> None:
        async with self._turn:
            if self._holding and self._conn is not None and not self._conn.is_closed():
                with suppress(Exception):
                    await self._conn.fetchval(UNLOCK, self._name, timeout=CHECK_TIMEOUT_S)
            self._holding = False
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(Exception):
                await asyncio.wait_for(conn.close(), CHECK_TIMEOUT_S)
            if not conn.is_closed():
                conn.terminate()
