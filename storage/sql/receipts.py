"""Statements of the receipts table, the same on both engines but for the take-over's lock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from bot.domain.receipts import Receipt
from storage.sql.rows import Row, dt

RECEIPT_COLUMNS: Final = "id, kind, body, received_at, attempts"

RECEIVE: Final = (
    "INSERT INTO receipts (kind, body, received_at, claimed_by, claimed_until) "
    "VALUES (?, ?, ?, ?, ?) RETURNING id"
)
FINISH: Final = "DELETE FROM receipts WHERE id = ? RETURNING id"
WAITING: Final = "SELECT count(*) FROM receipts"


def take_over(locking: str) -> str:
    """Lease the receipts whose lease ran out; ``locking`` follows the pick."""
    return (
        "UPDATE receipts SET claimed_by = ?1, claimed_until = ?2, attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM receipts WHERE claimed_until <= ?3 "
        f"ORDER BY id LIMIT ?4{locking}) RETURNING {RECEIPT_COLUMNS}"
    )


def body_text(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def receipt_of(row: Row) -> Receipt:
    return Receipt(
        id=row[0], kind=row[1], body=json.loads(row[2]), received_at=dt(row[3]), attempts=row[4]
    )
