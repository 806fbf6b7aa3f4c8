"""Statements of requests, decisions and the messages showing them."""

from __future__ import annotations

from typing import Final

from storage.sql.rows import REQUEST_COLUMNS

ADD: Final = (
    "INSERT INTO requests (benefit_id, requester_id, reason, status, created_at) "
    "VALUES (?, ?, ?, ?, ?) RETURNING id"
)
GET: Final = f"SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?"
# The literal 'pending' (not a parameter) lets the planner use the partial unique index,
# which also guarantees at most one row.
PENDING: Final = (
    f"SELECT {REQUEST_COLUMNS} FROM requests "
    "WHERE requester_id = ? AND benefit_id = ? AND status = 'pending' LIMIT 1"
)
OF_USER: Final = (
    f"SELECT {REQUEST_COLUMNS} FROM requests WHERE requester_id = ? AND status = ? ORDER BY id"
)
DECIDE: Final = (
    "UPDATE requests SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? "
    "WHERE id = ? AND status = 'pending' RETURNING id"
)
ADD_MESSAGE: Final = (
    "INSERT INTO request_messages (request_id, channel, ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)
UNANNOUNCED: Final = (
    f"SELECT {REQUEST_COLUMNS} FROM requests AS r "
    "WHERE status = 'pending' AND created_at < ? AND NOT EXISTS "
    "(SELECT 1 FROM request_messages AS m WHERE m.request_id = r.id) AND NOT EXISTS "
    "(SELECT 1 FROM outbox AS o WHERE o.key = 'request:' || r.id || ':post') "
    "ORDER BY id LIMIT ?"
)
