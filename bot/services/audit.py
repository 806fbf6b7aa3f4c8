"""The whole audit log as CSV, read in batches so a big log never sits in memory.

Used by ``benefits-bot audit --csv``. Cells that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
get a leading apostrophe, since details quote what people typed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from bot.domain.model import AuditEntry
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


async def count_audit_entries(store: Store) -> int:
    """How many entries the log has (ids count up from 1 and are never removed)."""
    async with store.read() as uow:
        latest = await uow.audit.recent(1)
    return latest[0].id if latest else 0


async def export_audit_csv(
    store: Store, out: TextIO, *, batch: int = BATCH, progress: Progress | None = None
) -> int:
    """Write a header row and every audit entry, oldest first, to ``out``.

    Returns:
        The number of entries written.
    """
    expected = await count_audit_entries(store)
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    written = 0
    after = 0
    while True:
        async with store.read() as uow:
            entries = await uow.audit.entries(after_id=after, limit=batch)
        if not entries:
            break
        writer.writerows(audit_row(e) for e in entries)
        written += len(entries)
        after = entries[-1].id
        if progress is not None:
            progress(written, max(expected, written))
    return written
