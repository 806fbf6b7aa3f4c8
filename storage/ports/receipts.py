"""The receipts of Slack requests acknowledged before they were carried out.

Each method is one statement of its own, outside any unit of work: saving a
receipt must cost the acknowledgement as little as possible (PostgreSQL: one
round trip on a pooled connection, no writers' lock, no version bump, so no
cached page goes stale). See :mod:`bot.domain.receipts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from bot.domain.receipts import Receipt


class ReceiptRepository(Protocol):
    async def receive(
        self, kind: str, body: Mapping[str, Any], *, owner: str, at: datetime, until: datetime
    ) -> int:
        """Save a receipt leased to ``owner`` until ``until``; its id. Committed on return."""
        ...

    async def take_over(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Receipt]:
        """Lease to ``owner`` up to ``limit`` receipts whose lease ran out, oldest first.

        Two processes never take the same receipt at once; each take counts an attempt.
        """
        ...

    async def finish(self, receipt_id: int) -> bool:
        """Delete a receipt that was carried out; False if it was already gone."""
        ...

    async def waiting(self) -> int:
        """How many receipts are not yet carried out (leased or not)."""
        ...
