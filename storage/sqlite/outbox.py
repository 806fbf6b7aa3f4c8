"""The SQLite outbox repository: pings, sweep watermarks and the sweeps' range queries.

Claims are one ``UPDATE ... RETURNING`` inside the write transaction, so two
processes never lease the same ping. An update that refers to a post
(``after_id``) is claimable only once that post is sent; parking or cancelling
a post cancels the updates waiting for it, in the same write. Every range
query names or uses an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Final, cast

from bot.domain.model import Activation, ActivationStatus, Assignment, Benefit, Category, Request
from bot.domain.outbox import NewPing, Ping, PingState
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
from storage.sqlite.area import Area

# A batch is executemany over one row's VALUES; how much total_changes() grows counts
# the rows really queued.
ENQUEUE: Final = sql.ENQUEUE_INTO + "VALUES (?, ?, ?, ?, ?, ?, ?) " + sql.ENQUEUE_CONFLICT
TOTAL_CHANGES: Final = "SELECT total_changes()"
# No row locks: the one UPDATE runs inside the write transaction (BEGIN IMMEDIATE), so two
# processes never lease the same row.
CLAIM: Final = sql.claim("")
# Index hints (INDEXED BY is SQLite's): left alone, the planner would rather walk
# (status, requested_at), every active row; assignments made are read by their time.
ACTIVATIONS_EXPIRING: Final = sql.activations_expiring("INDEXED BY activations_active_by_expiry ")
ASSIGNMENTS_BY_TIME: Final = "INDEXED BY assignments_by_time "


class SqliteOutbox(Area):
    """The outbox table, the watermarks table and the sweeps' range queries."""

    __slots__ = ()

    async def enqueue(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        if not pings:
            return 0
        before = self._total_changes()
        self._conn.executemany(
            ENQUEUE,
            [new_ping_row(p, at) for p in pings],
        )
        return self._total_changes() - before

    def _total_changes(self) -> int:
        row = self._one(TOTAL_CHANGES)
        assert row is not None
        return int(row[0])

    async def claim(self, *, owner: str, now: datetime, until: datetime, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        rows = self._rows(
            CLAIM,
            (owner, stamp(until), stamp(now), limit),
        )
        return sorted((ping_of(r) for r in rows), key=lambda p: (p.due_at, p.id))

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        kept: list[int] = []
        for chunk in chunks(ping_ids):
            rows = self._rows(sql.extend_claims(len(chunk)), (stamp(until), *chunk, owner))
            kept.extend(r[0] for r in rows)
        return sorted(kept)

    async def release(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        for chunk in chunks(ping_ids):
            self._rows(
                sql.release(len(chunk)),
                (None if due_at is None else stamp(due_at), *chunk, owner),
            )

    async def mark_send_started(self, ping_id: int, *, owner: str, at: datetime) -> bool:
        rows = self._rows(
            sql.MARK_SEND_STARTED,
            (stamp(at), ping_id, owner),
        )
        return bool(rows)

    async def mark_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        rows = self._rows(
            sql.MARK_SENT,
            (stamp(at), channel, ts, ping_id),
        )
        return bool(rows)

    async def retry(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        rows = self._rows(
            sql.RETRY,
            (error, stamp(due_at), ping_id, owner),
        )
        return bool(rows)

    async def park(self, ping_id: int, *, owner: str, error: str) -> bool:
        rows = self._rows(
            sql.PARK,
            (error, ping_id, owner),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was parked")
        return bool(rows)

    async def park_all_queued(self, *, reason: str) -> int:
        return len(self._rows(sql.PARK_ALL_QUEUED, (reason,)))

    async def requeue_suspended(self) -> int:
        return len(self._rows(sql.REQUEUE_SUSPENDED))

    async def cancel(self, ping_id: int, *, reason: str) -> bool:
        rows = self._rows(
            sql.CANCEL,
            (reason, ping_id),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was never posted")
        return bool(rows)

    async def cancel_updates_of(self, ping_id: int, *, reason: str) -> int:
        rows = self._rows(
            sql.CANCEL_UPDATES_OF,
            (reason, ping_id),
        )
        return len(rows)

    async def queued_with_prefix(self, prefix: str) -> list[Ping]:
        rows = self._rows(sql.QUEUED_WITH_PREFIX, (prefix, sql.after_prefix(prefix)))
        return [ping_of(r) for r in rows]

    async def with_prefix(self, prefix: str, *, state: PingState | None = None) -> list[Ping]:
        bounds = (prefix, sql.after_prefix(prefix))
        if state is None:
            rows = self._rows(sql.WITH_PREFIX_ANY_STATE, bounds)
        else:
            rows = self._rows(sql.WITH_PREFIX, (*bounds, state.value))
        return [ping_of(r) for r in rows]

    async def get(self, ping_id: int) -> Ping | None:
        row = self._one(sql.GET, (ping_id,))
        return None if row is None else ping_of(row)

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        if state is None:
            rows = self._rows(sql.PINGS, (limit, max(offset, 0)))
        else:
            rows = self._rows(sql.PINGS_IN_STATE, (state.value, limit, max(offset, 0)))
        return [ping_of(r) for r in rows]

    async def count(self, *, state: PingState | None) -> int:
        if state is None:
            row = self._one(sql.COUNT)
        else:
            row = self._one(sql.COUNT_IN_STATE, (state.value,))
        assert row is not None
        return int(row[0])

    async def get_watermark(self, name: str) -> datetime | None:
        row = self._one(sql.GET_WATERMARK, (name,))
        return None if row is None else dt(row[0])

    async def set_watermark(self, name: str, at: datetime) -> None:
        self._rows(
            sql.SET_WATERMARK,
            (name, stamp(at)),
        )

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        rows = self._rows(
            sql.BENEFITS_EXPIRING,
            (first.isoformat(), last.isoformat()),
        )
        return [benefit_of(r) for r in rows]

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        rows = self._rows(
            ACTIVATIONS_EXPIRING,
            (first.isoformat(), last.isoformat()),
        )
        return [(benefit_of(r), activation_of(cast(Row, r[BENEFIT_WIDTH:]))) for r in rows]

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        rows = self._rows(
            sql.ACTIVATIONS_REQUESTED,
            (status.value, stamp(after), stamp(until)),
        )
        return [activation_of(r) for r in rows]

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        rows = self._rows(
            sql.PENDING_REQUESTS_BEFORE,
            (stamp(until),),
        )
        return [request_of(r) for r in rows]

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        if not categories:
            return []
        rows = self._rows(
            sql.assignments_made(len(categories), ASSIGNMENTS_BY_TIME),
            (stamp(after), stamp(until), *(c.value for c in categories)),
        )
        return [assignment_of(r) for r in rows]
