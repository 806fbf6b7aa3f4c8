"""The audit log: its latest entries in Slack, and all of it as CSV.

The CSV export (``benefits-bot audit --csv``) reads the log in batches so a
big log never sits in memory. Cells that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) get a
leading apostrophe, since details quote what people typed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from bot.domain.clock import Clock
from bot.domain.limits import AUDIT_DEFAULT, AUDIT_MAX
from bot.domain.model import AuditEntry, InvalidInput
from bot.domain.permissions import Action
from bot.services.core import require
from storage.unit_of_work import Store

COLUMNS = ("id", "at", "actor", "action", "subject", "detail")
BATCH = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]
"""Called after each batch with (entries written, entries expected)."""


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def audit_row(entry: AuditEntry) -> list[str]:
    return [
        str(entry.id),
        entry.at.isoformat(),
        _cell(entry.actor),
        _cell(entry.action),
        _cell(entry.subject),
        _cell(entry.detail),
    ]


class AuditService:
    """Reads the audit log: a page for Slack, everything for the CSV export."""

    def __init__(self, store: Store, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def audit_log(self, actor: str, limit: int = AUDIT_DEFAULT) -> list[AuditEntry]:
        """The latest ``limit`` entries of the audit log, newest first."""
        async with self._store.read() as uow:
            await require(uow, actor, Action.READ_AUDIT)
            if not 1 <= limit <= AUDIT_MAX:
                raise InvalidInput(
                    "Ask for 1 to {limit} audit entries (you asked for {asked}); "
                    "`benefits-bot audit --csv` exports them all.",
                    limit=AUDIT_MAX,
                    asked=limit,
                )
            return await uow.audit.recent(limit)

    async def count_entries(self) -> int:
        """How many entries the log has (ids count up from 1 and are never removed)."""
        async with self._store.read() as uow:
            latest = await uow.audit.recent(1)
        return latest[0].id if latest else 0

    async def export_csv(
        self, out: TextIO, *, batch: int = BATCH, progress: Progress | None = None
    ) -> int:
        """Write a header row and every audit entry, oldest first, to ``out``.

        Returns:
            The number of entries written.
        """
        expected = await self.count_entries()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        written = 0
        after = 0
        while True:
            async with self._store.read() as uow:
                entries = await uow.audit.entries(after_id=after, limit=batch)
            if not entries:
                break
            writer.writerows(audit_row(e) for e in entries)
            written += len(entries)
            after = entries[-1].id
            if progress is not None:
                progress(written, max(expected, written))
        return written
