"""The audit port: an append-only log, read newest first or in id order for exports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.model import (
    AuditEntry,
)


class AuditRepository(Protocol):
    """The audit log."""

    async def add(self, entry: AuditEntry) -> None: ...

    async def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append ``entries`` in their order (one round trip on PostgreSQL)."""
        ...

    async def recent(self, limit: int) -> list[AuditEntry]:
        """The latest entries, newest first."""
        ...

    async def entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        """Entries with an id above ``after_id``, oldest first (for exports)."""
        ...
