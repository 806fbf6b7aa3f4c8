"""The PostgreSQL outbox repository: pings, sweep watermarks and the sweeps' range queries.

Claims are one ``UPDATE ... RETURNING`` over ``SELECT ... FOR UPDATE SKIP LOCKED``
with a lease (``claimed_until``), so two processes never lease the same ping.
An update that refers to a post (``after_id``) is claimable only once that post
is sent; parking or cancelling a post cancels the updates waiting for it, in
the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

from bot.domain.model import Activation, ActivationStatus, Assignment, Benefit, Category, Request
from bot.domain.outbox import NewPing, Ping, PingState
from storage.postgres.area import Area
from storage.sqlite.rows import (
    ACTIVATION_COLUMNS,
    ASSIGNMENT_COLUMNS,
    BENEFIT_COLUMNS,
    BENEFIT_WIDTH,
    PING_COLUMNS,
    REQUEST_COLUMNS,
    Row,
    activation_of,
    assignment_of,
    benefit_of,
    chunks,
    dt,
    ping_of,
    request_of,
    stamp,
)


class PostgresOutbox(Area):
    """The outbox table, the watermarks table and the sweeps' range queries."""

    __slots__ = ()

    async def enqueue(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        if not pings:
            return 0
        rows = [
            (
                p.key,
                p.recipient,
                p.kind,
                json.dumps(dict(p.params), separators=(",", ":"), sort_keys=True),
                stamp(at),
                stamp(p.due_at or at),
                p.after_id,
            )
            for p in pings
        ]
        # One statement for the batch; RETURNING counts the rows really queued.
        inserted = await self._rows(
            "INSERT INTO outbox (key, recipient, kind, params, created_at, due_at, after_id) "
            "SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], "
            "?::timestamptz[], ?::timestamptz[], ?::bigint[]) "
            "ON CONFLICT (key, recipient) DO NOTHING RETURNING 1",
            [list(column) for column in zip(*rows, strict=True)],
        )
        return len(inserted)

    async def claim(self, *, owner: str, now: datetime, until: datetime, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        # Rows another transaction holds are skipped, not waited for: two processes
        # never lease the same row, and neither waits for the other.
        rows = await self._rows(
            "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN ("
            " SELECT id FROM outbox AS o WHERE state = 'queued' AND due_at <= ?3"
            " AND (claimed_until IS NULL OR claimed_until <= ?3)"
            " AND (after_id IS NULL OR EXISTS (SELECT 1 FROM outbox AS p"
            "  WHERE p.id = o.after_id AND p.state = 'sent'))"
            " ORDER BY due_at, id LIMIT ?4 FOR UPDATE OF o SKIP LOCKED"
            f") RETURNING {PING_COLUMNS}",
            (owner, stamp(until), stamp(now), limit),
        )
        return sorted((ping_of(r) for r in rows), key=lambda p: (p.due_at, p.id))

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        kept: list[int] = []
        for chunk in chunks(ping_ids):
            marks = ", ".join("?" for _ in chunk)
            rows = await self._rows(
                f"UPDATE outbox SET claimed_until = ? WHERE id IN ({marks}) "
                "AND state = 'queued' AND claimed_by = ? RETURNING id",
                (stamp(until), *chunk, owner),
            )
            kept.extend(r[0] for r in rows)
        return sorted(kept)

    async def release(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        for chunk in chunks(ping_ids):
            marks = ", ".join("?" for _ in chunk)
            await self._rows(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, "
                f"due_at = COALESCE(?, due_at) WHERE id IN ({marks}) "
                "AND state = 'queued' AND claimed_by = ?",
                (None if due_at is None else stamp(due_at), *chunk, owner),
            )

    async def mark_send_started(self, ping_id: int, *, owner: str, at: datetime) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET send_started_at = ? "
            "WHERE id = ? AND state = 'queued' AND claimed_by = ? RETURNING id",
            (stamp(at), ping_id, owner),
        )
        return bool(rows)

    async def mark_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, "
            "channel = ?, ts = ?, claimed_until = NULL WHERE id = ? AND state = 'queued' "
            "RETURNING id",
            (stamp(at), channel, ts, ping_id),
        )
        return bool(rows)

    async def retry(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ?, "
            "claimed_by = NULL, claimed_until = NULL "
            "WHERE id = ? AND state = 'queued' AND claimed_by = ? RETURNING id",
            (error, stamp(due_at), ping_id, owner),
        )
        return bool(rows)

    async def park(self, ping_id: int, *, owner: str, error: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'parked', attempts = attempts + 1, last_error = ?, "
            "claimed_until = NULL WHERE id = ? AND state = 'queued' AND claimed_by = ? "
            "RETURNING id",
            (error, ping_id, owner),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was parked")
        return bool(rows)

    async def cancel(self, ping_id: int, *, reason: str) -> bool:
        rows = await self._rows(
            "UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_until = NULL "
            "WHERE id = ? AND state = 'queued' RETURNING id",
            (reason, ping_id),
        )
        if rows:
            await self.cancel_updates_of(ping_id, reason="the message it updates was never posted")
        return bool(rows)

    async def cancel_updates_of(self, ping_id: int, *, reason: str) -> int:
        rows = await self._rows(
            "UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_until = NULL "
            "WHERE after_id = ? AND state = 'queued' RETURNING id",
            (reason, ping_id),
        )
        return len(rows)

    async def queued_with_prefix(self, prefix: str) -> list[Ping]:
        return await self.with_prefix(prefix, state=PingState.QUEUED)

    async def with_prefix(self, prefix: str, *, state: PingState) -> list[Ping]:
        # A range on the (key, recipient) index (text is COLLATE "C": code point order).
        rows = await self._rows(
            f"SELECT {PING_COLUMNS} FROM outbox WHERE key >= ? AND key < ? "
            "AND state = ? ORDER BY id",
            (prefix, after_prefix(prefix), state.value),
        )
        return [ping_of(r) for r in rows]

    async def get(self, ping_id: int) -> Ping | None:
        row = await self._one(f"SELECT {PING_COLUMNS} FROM outbox WHERE id = ?", (ping_id,))
        return None if row is None else ping_of(row)

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        if limit <= 0:
            return []
        where, params = ("", ()) if state is None else ("WHERE state = ?", (state.value,))
        rows = await self._rows(
            f"SELECT {PING_COLUMNS} FROM outbox {where} ORDER BY id LIMIT ? OFFSET ?",
            (*params, limit, max(offset, 0)),
        )
        return [ping_of(r) for r in rows]

    async def count(self, *, state: PingState | None) -> int:
        where, params = ("", ()) if state is None else ("WHERE state = ?", (state.value,))
        row = await self._one(f"SELECT COUNT(*) FROM outbox {where}", params)
        assert row is not None
        return int(row[0])

    async def get_watermark(self, name: str) -> datetime | None:
        row = await self._one("SELECT watermark FROM sweep_watermarks WHERE name = ?", (name,))
        return None if row is None else dt(row[0])

    async def set_watermark(self, name: str, at: datetime) -> None:
        await self._rows(
            "INSERT INTO sweep_watermarks (name, watermark) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark",
            (name, stamp(at)),
        )

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        rows = await self._rows(
            f"SELECT {BENEFIT_COLUMNS} FROM benefits "
            "WHERE expires_on IS NOT NULL AND expires_on BETWEEN ? AND ? ORDER BY expires_on, id",
            (first.isoformat(), last.isoformat()),
        )
        return [benefit_of(r) for r in rows]

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        benefit_columns = ", ".join("b." + c.strip() for c in BENEFIT_COLUMNS.split(","))
        activation_columns = ", ".join("a." + c.strip() for c in ACTIVATION_COLUMNS.split(","))
        rows = await self._rows(
            f"SELECT {benefit_columns}, {activation_columns} FROM activations AS a "
            "JOIN benefits AS b ON b.id = a.benefit_id "
            "WHERE a.status = 'active' AND a.expires_on IS NOT NULL "
            "AND a.expires_on BETWEEN ? AND ? ORDER BY a.expires_on, a.benefit_id",
            (first.isoformat(), last.isoformat()),
        )
        return [(benefit_of(r), activation_of(cast(Row, r[BENEFIT_WIDTH:]))) for r in rows]

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        rows = await self._rows(
            f"SELECT {ACTIVATION_COLUMNS} FROM activations "
            "WHERE status = ? AND requested_at > ? AND requested_at <= ? "
            "ORDER BY requested_at, benefit_id",
            (status.value, stamp(after), stamp(until)),
        )
        return [activation_of(r) for r in rows]

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        rows = await self._rows(
            f"SELECT {REQUEST_COLUMNS} FROM requests "
            "WHERE status = 'pending' AND created_at <= ? ORDER BY created_at, id",
            (stamp(until),),
        )
        return [request_of(r) for r in rows]

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        if not categories:
            return []
        marks = ", ".join("?" for _ in categories)
        columns = ", ".join("a." + c.strip() for c in ASSIGNMENT_COLUMNS.split(","))
        rows = await self._rows(
            f"SELECT {columns} FROM assignments AS a "
            "JOIN benefits AS b ON b.id = a.benefit_id "
            "WHERE a.assigned_at > ? AND a.assigned_at <= ? AND a.released_at IS NULL "
            f"AND b.category IN ({marks}) ORDER BY a.assigned_at, a.id",
            (stamp(after), stamp(until), *(c.value for c in categories)),
        )
        return [assignment_of(r) for r in rows]


def after_prefix(prefix: str) -> str:
    """The least text greater than every text starting with ``prefix`` (non-empty)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
