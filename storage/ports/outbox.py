"""The outbox port: pings owed to people (see ``bot.domain.outbox``), the
sweeps' watermarks, and the range queries the reminder sweeps run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from bot.domain.model import (
    Activation,
    ActivationStatus,
    Assignment,
    Benefit,
    Category,
    Request,
)
from bot.domain.outbox import NewPing, Ping, PingState


class OutboxRepository(Protocol):
    """Pings owed to people, the sweeps' watermarks and the sweeps' range queries.

    Every range query is served by an index, so its cost follows the rows in
    range, not the size of the table.
    """

    async def enqueue(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        """Queue each ping whose ``(key, recipient)`` was never queued; how many were."""
        ...

    async def claim(self, *, owner: str, now: datetime, until: datetime, limit: int) -> list[Ping]:
        """Lease up to ``limit`` queued pings due by ``now`` to ``owner`` until ``until``.

        Only pings with no lease, or an expired one, are taken; oldest due first.
        A ping with an ``after_id`` is taken only once that post is sent.
        """
        ...

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        """Extend ``owner``'s leases; the ids it still holds (queued and leased to it)."""
        ...

    async def release(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        """Give up ``owner``'s leases (not an attempt); ``due_at`` postpones them."""
        ...

    async def mark_send_started(self, ping_id: int, *, owner: str, at: datetime) -> bool:
        """Record that a send of the ping to Slack begins ``at`` (the last such moment).

        False (and nothing changed) unless it is queued and leased to ``owner``.
        """
        ...

    async def mark_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        """Queued → sent, with where Slack put it; False when it was not queued (a ping
        a suspension parked while it was being sent is recorded as sent all the same)."""
        ...

    async def retry(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        """Count a failed attempt and queue it again for ``due_at`` with no lease.

        False (and nothing changed) unless it is queued and leased to ``owner``.
        """
        ...

    async def park(self, ping_id: int, *, owner: str, error: str) -> bool:
        """Count a failed attempt and park it; False unless queued and leased to ``owner``.

        The queued updates of it (``after_id``) are cancelled with it.
        """
        ...

    async def park_all_queued(self, *, reason: str) -> int:
        """Park every queued ping (leased or not) as parked by a suspension, with
        ``reason`` as its error; how many. Their updates are parked with them."""
        ...

    async def requeue_suspended(self) -> int:
        """Queue again every ping a suspension parked (as due as it was); how many."""
        ...

    async def cancel(self, ping_id: int, *, reason: str) -> bool:
        """Queued → cancelled (no longer relevant); False when it was not queued.

        The queued updates of it (``after_id``) are cancelled with it.
        """
        ...

    async def cancel_updates_of(self, ping_id: int, *, reason: str) -> int:
        """Cancel the queued updates of the post ``ping_id``; how many."""
        ...

    async def queued_with_prefix(self, prefix: str) -> list[Ping]:
        """Queued pings whose key starts with ``prefix`` (not empty), by id."""
        ...

    async def with_prefix(self, prefix: str, *, state: PingState | None = None) -> list[Ping]:
        """Pings in ``state`` (None: in any) whose key starts with ``prefix`` (not empty), by id."""
        ...

    async def get(self, ping_id: int) -> Ping | None: ...

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        """Pings in ``state`` (any when None), oldest first."""
        ...

    async def count(self, *, state: PingState | None) -> int: ...

    async def get_watermark(self, name: str) -> datetime | None:
        """Up to when the sweep ``name`` has looked; None before its first run."""
        ...

    async def set_watermark(self, name: str, at: datetime) -> None: ...

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        """Benefits whose end date is in ``[first, last]``, by end date then id."""
        ...

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        """Active activations ending in ``[first, last]`` with their benefits, by end date."""
        ...

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        """Activations in ``status`` requested in ``(after, until]``, oldest first."""
        ...

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        """Pending requests created at or before ``until``, oldest first."""
        ...

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        """Active assignments made in ``(after, until]`` of benefits in ``categories``."""
        ...
