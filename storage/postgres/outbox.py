"""The PostgreSQL outbox repository: pings, sweep watermarks and the sweeps' range queries.

Claims are one ``UPDATE ... RETURNING`` over ``SELECT ... FOR UPDATE SKIP LOCKED``
with a lease (``claimed_until``), so two processes never lease the same ping.
An update that refers to a post (``after_id``) is claimable only once that post
is sent; parking or cancelling a post cancels the updates waiting for it, in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final, cast

from bot.domain.model import Activation, ActivationStatus, Assignment, Benefit, Category, Request
from bot.domain.outbox import NewPing, Ping, PingState
from storage.postgres.area import Area
from storage.sql import outbox as sql
from storage.sql.rows import (
    BENEFIT_WIDTH,
    Row,
    activation_of,
    assignment_of,
    benefit_of,
    chunks,
    dt,
    new_ping_row,
    ping_of,
    request_of,
    stamp,
)

# The batch as one statement over column arrays (one round trip); RETURNING counts the
# rows really queued.
ENQUEUE: Final = (
    sql.ENQUEUE_INTO + "SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], "
    "?::timestamptz[], ?::timestamptz[], ?::bigint[]) " + sql.ENQUEUE_CONFLICT + " RETURNING 1"
)
# Rows another transaction holds are skipped, not waited for: two processes never lease
# the same row, and neither waits for the other.
CLAIM: Final = sql.claim(" FOR UPDATE OF o SKIP LOCKED")
# PostgreSQL has no index hints (SQLite's INDEXED BY).
ACTIVATIONS_EXPIRING: Final = sql.activations_expiring("")


class PostgresOutbox(Area):
    """The outbox table, the watermarks table and the sweeps' range queries."""

    __slots__ = ()

    async def enqueue(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        if not pings:
            return 0
        rows = [new_ping_row(p, at) for p in pings]
        inserted = await self._rows(
            ENQUEUE,
            [list(column) for column in zip(*rows, strict=True)],
        )
        return len(inserted)

    async def claim(self, *, owner: str, now: datetime, until: datetime, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        rows = await self._rows(
            CLAIM,
            (owner, stamp(until), stamp(now), limit),
        )
        return sorted((ping_of(r) for r in rows), key=lambda p: (p.due_at, p.id))

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        kept: list[int] = []
        for chunk in chunks(ping_ids):
            rows = await self._rows(sql.extend_claims(len(chunk)), (stamp(until), *chunk, owner))
            kept.extend(r[0] for r in rows)
        return sorted(kept)

    async def release(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        for chunk in chunks(ping_ids):
            await self._rows(
                sql.release(len(chunk)),
                (None if due_at is None else stamp(due_at), *chunk, owner),
            )

    async def mark_send_started(self, ping_id: int, *, owner: str, at: datetime) -> bool:
        rows = await self._rows(
            sql.MARK_SEND_STARTED,
            (stamp(at), ping_id, owner),
        )
        return bool(rows)

    async def mark_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        rows = await self._rows(
            sql.MARK_SENT,
            (stamp(at), channel, ts, ping_id),
        )
        return bool(rows)

    async def retry(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        rows = await self._rows(
            sql.RETRY,
            (error, stamp(due_at), ping_id, owner),
        )
        return bool(rows)

    async def park(self, ping_id: int, *, owner: str, error: str) -> bool:
        rows = await self._rows(
            sql.PARK,
            (error, ping_id, owner),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was parked")
        return bool(rows)

    async def park_all_queued(self, *, reason: str) -> int:
        return len(await self._rows(sql.PARK_ALL_QUEUED, (reason,)))

    async def requeue_suspended(self) -> int:
        return len(await self._rows(sql.REQUEUE_SUSPENDED))

    async def cancel(self, ping_id: int, *, reason: str) -> bool:
        rows = await self._rows(
            sql.CANCEL,
            (reason, ping_id),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was never posted")
        return bool(rows)

    async def cancel_updates_of(self, ping_id: int, *, reason: str) -> int:
        rows = await self._rows(
            sql.CANCEL_UPDATES_OF,
            (reason, ping_id),
        )
        return len(rows)

    async def queued_with_prefix(self, prefix: str) -> list[Ping]:
        rows = await self._rows(sql.QUEUED_WITH_PREFIX, (prefix, sql.after_prefix(prefix)))
        return [ping_of(r) for r in rows]

    async def with_prefix(self, prefix: str, *, state: PingState | None = None) -> list[Ping]:
        # Text is COLLATE "C", so the range is in code point order, as in SQLite.
        bounds = (prefix, sql.after_prefix(prefix))
        if state is None:
            rows = await self._rows(sql.WITH_PREFIX_ANY_STATE, bounds)
        else:
            rows = await self._rows(sql.WITH_PREFIX, (*bounds, state.value))
        return [ping_of(r) for r in rows]

    async def get(self, ping_id: int) -> Ping | None:
        row = await self._one(sql.GET, (ping_id,))
        return None if row is None else ping_of(row)

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        if state is None:
            rows = await self._rows(sql.PINGS, (limit, max(offset, 0)))
        else:
            rows = await self._rows(sql.PINGS_IN_STATE, (state.value, limit, max(offset, 0)))
        return [ping_of(r) for r in rows]

    async def count(self, *, state: PingState | None) -> int:
        if state is None:
            row = await self._one(sql.COUNT)
        else:
            row = await self._one(sql.COUNT_IN_STATE, (state.value,))
        assert row is not None
        return int(row[0])

    async def get_watermark(self, name: str) -> datetime | None:
        row = await self._one(sql.GET_WATERMARK, (name,))
        return None if row is None else dt(row[0])

    async def set_watermark(self, name: str, at: datetime) -> None:
        await self._rows(
            sql.SET_WATERMARK,
            (name, stamp(at)),
        )

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        rows = await self._rows(
            sql.BENEFITS_EXPIRING,
            (first.isoformat(), last.isoformat()),
        )
        return [benefit_of(r) for r in rows]

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        rows = await self._rows(
            ACTIVATIONS_EXPIRING,
            (first.isoformat(), last.isoformat()),
        )
        return [(benefit_of(r), activation_of(cast(Row, r[BENEFIT_WIDTH:]))) for r in rows]

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        rows = await self._rows(
            sql.ACTIVATIONS_REQUESTED,
            (status.value, stamp(after), stamp(until)),
        )
        return [activation_of(r) for r in rows]

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        rows = await self._rows(
            sql.PENDING_REQUESTS_BEFORE,
            (stamp(until),),
        )
        return [request_of(r) for r in rows]

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        if not categories:
            return []
        rows = await self._rows(
            sql.assignments_made(len(categories), ""),
            (stamp(after), stamp(until), *(c.value for c in categories)),
        )
        return [assignment_of(r) for r in rows]
