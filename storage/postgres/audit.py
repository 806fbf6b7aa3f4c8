"""The PostgreSQL audit repository: an append-only table read by id."""

from __future__ import annotations

from bot.domain.model import AuditEntry
from storage.postgres.area import Area
from storage.sqlite.rows import audit_entry_of, stamp


class PostgresAudit(Area):
    """The audit log."""

    __slots__ = ()

    async def add(self, entry: AuditEntry) -> None:
        await self._rows(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (stamp(entry.at), entry.actor, entry.action, entry.subject, entry.detail),
        )

    async def recent(self, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(
            "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [audit_entry_of(r) for r in rows]

    async def entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        if limit <= 0:
            return []
        rows = await self._rows(
            "SELECT id, at, actor, action, subject, detail FROM audit WHERE id > ? "
            "ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [audit_entry_of(r) for r in rows]
