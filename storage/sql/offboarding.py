"""Statements of offboardings (departures) and seat checks."""

from __future__ import annotations

from typing import Final

_COLUMNS: Final = "id, user_id, left_at, source, state, decided_by, decided_at, returned_at"

START: Final = (
    "INSERT INTO offboardings (user_id, left_at, source) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id) WHERE returned_at IS NULL DO NOTHING "
    f"RETURNING {_COLUMNS}"
)
CURRENT: Final = f"SELECT {_COLUMNS} FROM offboardings WHERE user_id = ? AND returned_at IS NULL"
GET: Final = f"SELECT {_COLUMNS} FROM offboardings WHERE id = ?"
DECIDE: Final = (
    "UPDATE offboardings SET state = ?, decided_by = ?, decided_at = ? "
    "WHERE id = ? AND state = 'open' RETURNING 1"
)
RETURNED: Final = (
    "UPDATE offboardings SET returned_at = ? WHERE user_id = ? AND returned_at IS NULL RETURNING 1"
)
DEPARTED: Final = "SELECT user_id FROM offboardings WHERE returned_at IS NULL ORDER BY user_id"

ASK: Final = (
    "INSERT INTO seat_checks (assignment_id, asked_at) VALUES (?, ?) "
    "ON CONFLICT (assignment_id) DO UPDATE SET asked_at = excluded.asked_at, "
    "answer = NULL, answered_at = NULL"
)
ANSWER: Final = (
    "UPDATE seat_checks SET answer = ?, answered_at = ? WHERE assignment_id = ? RETURNING 1"
)
CHECK_COLUMNS: Final = "assignment_id, asked_at, answer, answered_at"
GET_CHECK: Final = f"SELECT {CHECK_COLUMNS} FROM seat_checks WHERE assignment_id = ?"
ALL_CHECKS: Final = f"SELECT {CHECK_COLUMNS} FROM seat_checks ORDER BY assignment_id"
REVEALED: Final = (
    "SELECT 1 FROM key_reveals WHERE benefit_id = ? AND user_id = ? AND at >= ? LIMIT 1"
)
