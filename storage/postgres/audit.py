"""The PostgreSQL audit repository: an append-only table read by id."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import AuditEntry
from storage.postgres.area import Area
from storage.sql import audit as sql
from storage.sql.rows import audit_entry_of, stamp


class PostgresAudit(Area):
    """The audit log."""

    __slots__ = ()

    async def add(self, entry: AuditEntry) -> None:
        await self._rows(
            sql.ADD,
            (stamp(entry.at), entry.actor, entry.action, entry.subject, entry.detail),
        )

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        await self._many(
            sql.ADD,
            [(stamp(e.at), e.actor, e.action, e.subject, e.detail) for e in entries],
        )

    async def recent(self, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(sql.RECENT, (limit,))
        return [audit_entry_of(r) for r in rows]

    async def entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(sql.ENTRIES, (after_id, limit))
        return [audit_entry_of(r) for r in rows]
