"""The requests port: benefit requests, their decisions, and the Slack messages
that show a request (so a decision can update them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.model import (
    MessageRef,
    Request,
    RequestStatus,
)


class RequestRepository(Protocol):
    """Requests for a benefit, their decisions and the messages that show them."""

    async def add(
        self, *, benefit_id: str, requester_id: str, reason: str, created_at: datetime
    ) -> Request: ...

    async def get(self, request_id: int, *, lock: bool = False) -> Request | None:
        """The request; with ``lock`` (in a write only), its row stays locked until the
        write ends, so a concurrent write deciding it waits and then sees this one's
        outcome."""
        ...

    async def pending(self, requester_id: str, benefit_id: str) -> Request | None: ...

    async def of_user(self, requester_id: str, *, status: RequestStatus) -> list[Request]: ...

    async def decide(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        decided_by: str,
        decided_at: datetime,
        note: str = "",
    ) -> bool:
        """Move a pending request to ``status``; False when it was not pending."""
        ...

    async def add_messages(self, request_id: int, refs: Sequence[MessageRef]) -> None: ...

    async def messages(self, request_id: int) -> list[MessageRef]: ...

    async def unannounced(self, *, created_before: datetime, limit: int) -> list[Request]:
        """Pending requests created before ``created_before`` that were never posted
        anywhere (no message recorded) and have no post queued in the outbox (key
        ``request:<id>:post``): requests of a version that posted them after the
        acknowledgement. Oldest first."""
        ...
