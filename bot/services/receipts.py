"""Receipts: Slack requests saved before they are acknowledged (see :mod:`bot.domain.receipts`).

:meth:`ReceiptService.receive` saves the payload, leased to this process for
``lease``, and returns at once; the listener then acknowledges and carries the
receipt out (:mod:`handlers.receipts`), and :meth:`~ReceiptService.done` deletes
it. :meth:`~ReceiptService.take_over` hands this process the receipts whose
lease ran out: a process that died (or stopped) before it was done. Slack's
legacy verification ``token`` is dropped from the payload before it is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Final

from bot.domain.clock import Clock
from bot.domain.receipts import Receipt
from storage.unit_of_work import Store

DEFAULT_LEASE: Final = timedelta(seconds=60)
DEFAULT_AT_ONCE: Final = 6  # receipts carried out at a time; the rest wait their turn
MAX_ATTEMPTS: Final = 5  # takes of one receipt before it is given up
_NOT_KEPT: Final = frozenset({"token"})  # Slack's legacy verification token


class ReceiptService:
    """Saves, hands out and deletes this process's receipts."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        owner: str,
        enabled: bool = False,
        lease: timedelta = DEFAULT_LEASE,
        at_once: int = DEFAULT_AT_ONCE,
    ) -> None:
        self._store = store
        self._clock = clock
        self.owner = owner
        self.enabled = enabled  # False: every request is carried out before its acknowledgement
        self.lease = lease
        self.max_attempts = MAX_ATTEMPTS
        self._turns = asyncio.Semaphore(at_once)

    async def receive(
        self, kind: str, body: Mapping[str, Any], *, unread: Collection[str] = ()
    ) -> Receipt:
        """Save ``body`` (Slack's payload) as a receipt of ``kind``, leased to this process,
        without the fields ``unread`` that carrying it out never reads."""
        now = self._clock.now()
        kept = {
            key: value for key, value in body.items() if key not in _NOT_KEPT and key not in unread
        }
        receipt_id = await self._store.receipts.receive(
            kind, kept, owner=self.owner, at=now, until=now + self.lease
        )
        return Receipt(receipt_id, kind, kept, received_at=now, attempts=1)

    async def take_over(self, limit: int = 50) -> list[Receipt]:
        """The receipts whose lease ran out, now leased to this process."""
        now = self._clock.now()
        return await self._store.receipts.take_over(
            owner=self.owner, now=now, until=now + self.lease, limit=limit
        )

    async def done(self, receipt_id: int) -> bool:
        """Delete a receipt carried out (or given up); False if another process did first."""
        return await self._store.receipts.finish(receipt_id)

    async def waiting(self) -> int:
        return await self._store.receipts.waiting()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a turn to carry out a receipt: a burst of them uses a few database
        connections at a time, leaving the rest to the acknowledgements and reads."""
        async with self._turns:
            yield
