"""Statements of the outbox, the sweep watermarks and the sweeps' range queries.

A claim differs only in how it locks the rows it picks, an index hint only on SQLite:
those come in as parts of the functions below, which each engine calls once, at import.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from storage.sql.rows import (
    ACTIVATION_COLUMNS,
    ASSIGNMENT_COLUMNS,
    BENEFIT_COLUMNS,
    PING_COLUMNS,
    REQUEST_COLUMNS,
)

ENQUEUE_INTO: Final = (
    "INSERT INTO outbox (key, recipient, kind, params, created_at, due_at, after_id) "
)
ENQUEUE_CONFLICT: Final = "ON CONFLICT (key, recipient) DO NOTHING"


def claim(locking: str) -> str:
    """Lease the due pings whose post (if any) is sent; ``locking`` follows the pick."""
    return (
        "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN ("
        " SELECT id FROM outbox AS o WHERE state = 'queued' AND due_at <= ?3"
        " AND (claimed_until IS NULL OR claimed_until <= ?3)"
        " AND (after_id IS NULL OR EXISTS (SELECT 1 FROM outbox AS p"
        "  WHERE p.id = o.after_id AND p.state = 'sent'))"
        # Sending is suspended (uninstalled, token revoked): nothing is claimed.
        " AND NOT EXISTS (SELECT 1 FROM tenants WHERE suspended_at IS NOT NULL)"
        f" ORDER BY due_at, id LIMIT ?4{locking}"
        f") RETURNING {PING_COLUMNS}"
    )


@lru_cache(maxsize=16)
def extend_claims(ids: int) -> str:
    marks = ", ".join("?" for _ in range(ids))
    return (
        f"UPDATE outbox SET claimed_until = ? WHERE id IN ({marks}) "
        "AND state = 'queued' AND claimed_by = ? RETURNING id"
    )


@lru_cache(maxsize=16)
def release(ids: int) -> str:
    marks = ", ".join("?" for _ in range(ids))
    return (
        "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, "
        f"due_at = COALESCE(?, due_at) WHERE id IN ({marks}) "
        "AND state = 'queued' AND claimed_by = ?"
    )


MARK_SEND_STARTED: Final = (
    "UPDATE outbox SET send_started_at = ? "
    "WHERE id = ? AND state = 'queued' AND claimed_by = ? RETURNING id"
)
# A ping a suspension parked while Slack was taking it is sent all the same.
MARK_SENT: Final = (
    "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, "
    "channel = ?, ts = ?, claimed_until = NULL, suspended = 0, "
    "last_error = CASE WHEN state = 'parked' THEN '' ELSE last_error END WHERE id = ? "
    "AND (state = 'queued' OR (state = 'parked' AND suspended = 1)) RETURNING id"
)
RETRY: Final = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, due_at = ?, "
    "claimed_by = NULL, claimed_until = NULL "
    "WHERE id = ? AND state = 'queued' AND claimed_by = ? RETURNING id"
)
PARK: Final = (
    "UPDATE outbox SET state = 'parked', attempts = attempts + 1, last_error = ?, "
    "claimed_until = NULL WHERE id = ? AND state = 'queued' AND claimed_by = ? "
    "RETURNING id"
)
# A suspension parks every queued ping at once (marked as its own), and its end
# queues them again, as they were; pings parked for other reasons stay parked.
PARK_ALL_QUEUED: Final = (
    "UPDATE outbox SET state = 'parked', suspended = 1, last_error = ?, "
    "claimed_by = NULL, claimed_until = NULL WHERE state = 'queued' RETURNING id"
)
REQUEUE_SUSPENDED: Final = (
    "UPDATE outbox SET state = 'queued', suspended = 0, last_error = '' "
    "WHERE state = 'parked' AND suspended = 1 RETURNING id"
)
CANCEL: Final = (
    "UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_until = NULL "
    "WHERE id = ? AND state = 'queued' RETURNING id"
)
CANCEL_UPDATES_OF: Final = (
    "UPDATE outbox SET state = 'cancelled', last_error = ?, claimed_until = NULL "
    "WHERE after_id = ? AND state = 'queued' RETURNING id"
)
# A range on the (key, recipient) index: every key starting with a prefix (see after_prefix).
WITH_PREFIX: Final = (
    f"SELECT {PING_COLUMNS} FROM outbox WHERE key >= ? AND key < ? AND state = ? ORDER BY id"
)
WITH_PREFIX_ANY_STATE: Final = (
    f"SELECT {PING_COLUMNS} FROM outbox WHERE key >= ? AND key < ? ORDER BY id"
)
# Queued rows only, found by state and key (``outbox_by_state_key``): the rows already
# sent under a prefix (a person's every past Home) are not read.
QUEUED_WITH_PREFIX: Final = (
    f"SELECT {PING_COLUMNS} FROM outbox WHERE key >= ? AND key < ? AND state = 'queued' ORDER BY id"
)
GET: Final = f"SELECT {PING_COLUMNS} FROM outbox WHERE id = ?"
PINGS: Final = f"SELECT {PING_COLUMNS} FROM outbox ORDER BY id LIMIT ? OFFSET ?"
PINGS_IN_STATE: Final = (
    f"SELECT {PING_COLUMNS} FROM outbox WHERE state = ? ORDER BY id LIMIT ? OFFSET ?"
)
COUNT: Final = "SELECT COUNT(*) FROM outbox"
COUNT_IN_STATE: Final = "SELECT COUNT(*) FROM outbox WHERE state = ?"

GET_WATERMARK: Final = "SELECT watermark FROM sweep_watermarks WHERE name = ?"
SET_WATERMARK: Final = (
    "INSERT INTO sweep_watermarks (name, watermark) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET watermark = excluded.watermark"
)

BENEFITS_EXPIRING: Final = (
    f"SELECT {BENEFIT_COLUMNS} FROM benefits "
    "WHERE expires_on IS NOT NULL AND expires_on BETWEEN ? AND ? ORDER BY expires_on, id"
)


def _qualified(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def activations_expiring(hint: str) -> str:
    """Active activations expiring in a date range, with their benefits; ``hint`` names
    an index for the activations (SQLite's ``INDEXED BY``, with a trailing space)."""
    return (
        f"SELECT {_qualified('b', BENEFIT_COLUMNS)}, {_qualified('a', ACTIVATION_COLUMNS)} "
        f"FROM activations AS a {hint}JOIN benefits AS b ON b.id = a.benefit_id "
        "WHERE a.status = 'active' AND a.expires_on IS NOT NULL "
        "AND a.expires_on BETWEEN ? AND ? ORDER BY a.expires_on, a.benefit_id"
    )


ACTIVATIONS_REQUESTED: Final = (
    f"SELECT {ACTIVATION_COLUMNS} FROM activations "
    "WHERE status = ? AND requested_at > ? AND requested_at <= ? "
    "ORDER BY requested_at, benefit_id"
)
PENDING_REQUESTS_BEFORE: Final = (
    f"SELECT {REQUEST_COLUMNS} FROM requests "
    "WHERE status = 'pending' AND created_at <= ? ORDER BY created_at, id"
)


@lru_cache(maxsize=16)
def assignments_made(categories: int, hint: str) -> str:
    """Seats taken in a time range of benefits in ``categories`` categories; ``hint``
    as for :func:`activations_expiring`."""
    marks = ", ".join("?" for _ in range(categories))
    return (
        f"SELECT {_qualified('a', ASSIGNMENT_COLUMNS)} FROM assignments AS a {hint}"
        "JOIN benefits AS b ON b.id = a.benefit_id "
        "WHERE a.assigned_at > ? AND a.assigned_at <= ? AND a.released_at IS NULL "
        f"AND b.category IN ({marks}) ORDER BY a.assigned_at, a.id"
    )


def after_prefix(prefix: str) -> str:
    """The least text greater than every text starting with ``prefix`` (non-empty)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
