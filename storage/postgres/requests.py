"""The PostgreSQL requests repository: requests, decisions and the messages showing them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from bot.domain.model import MessageRef, Request, RequestStatus
from storage.postgres.area import Area
from storage.sql import requests as sql
from storage.sql.rows import request_of, stamp

# PostgreSQL has no rowid: a serial column (seq) keeps the order the rows were added in.
GET_LOCKED: Final = sql.GET + " FOR NO KEY UPDATE"
MESSAGES: Final = "SELECT channel, ts FROM request_messages WHERE request_id = ? ORDER BY seq"


class PostgresRequests(Area):
    """Benefit requests and the Slack messages that show them."""

    __slots__ = ()

    async def add(
        self, *, benefit_id: str, requester_id: str, reason: str, created_at: datetime
    ) -> Request:
        row = await self._one(
            sql.ADD,
            (benefit_id, requester_id, reason, RequestStatus.PENDING.value, stamp(created_at)),
        )
        assert row is not None
        return Request(
            id=row[0],
            benefit_id=benefit_id,
            requester_id=requester_id,
            reason=reason,
            status=RequestStatus.PENDING,
            created_at=created_at,
        )

    async def get(self, request_id: int, *, lock: bool = False) -> Request | None:
        # FOR NO KEY UPDATE: the key stays, so request_messages' foreign keys don't wait.
        row = await self._one(GET_LOCKED if lock else sql.GET, (request_id,))
        return None if row is None else request_of(row)

    async def pending(self, requester_id: str, benefit_id: str) -> Request | None:
        row = await self._one(
            sql.PENDING,
            (requester_id, benefit_id),
        )
        return None if row is None else request_of(row)

    async def of_user(self, requester_id: str, *, status: RequestStatus) -> list[Request]:
        rows = await self._rows(
            sql.OF_USER,
            (requester_id, status.value),
        )
        return [request_of(r) for r in rows]

    async def decide(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        decided_by: str,
        decided_at: datetime,
        note: str = "",
    ) -> bool:
        rows = await self._rows(
            sql.DECIDE,
            (status.value, decided_by, stamp(decided_at), note, request_id),
        )
        return bool(rows)

    async def add_messages(self, request_id: int, refs: Sequence[MessageRef]) -> None:
        if not refs:
            return
        await self._many(
            sql.ADD_MESSAGE,
            [(request_id, ref.channel, ref.ts) for ref in refs],
        )

    async def messages(self, request_id: int) -> list[MessageRef]:
        rows = await self._rows(MESSAGES, (request_id,))
        return [MessageRef(channel=r[0], ts=r[1]) for r in rows]

    async def unannounced(self, *, created_before: datetime, limit: int) -> list[Request]:
        if limit <= 0:
            return []
        rows = await self._rows(
            sql.UNANNOUNCED,
            (stamp(created_before), limit),
        )
        return [request_of(r) for r in rows]
