"""Statements of activations, the marketing contact, advisory hours and service requests."""

from __future__ import annotations

from typing import Final

from storage.sql.rows import ACTIVATION_COLUMNS

GET: Final = f"SELECT {ACTIVATION_COLUMNS} FROM activations WHERE benefit_id = ?"
PUT: Final = (
    f"INSERT INTO activations ({ACTIVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (benefit_id) DO UPDATE SET status = excluded.status, "
    "requested_by = excluded.requested_by, requested_at = excluded.requested_at, "
    "completed_by = excluded.completed_by, completed_at = excluded.completed_at, "
    "access_id = excluded.access_id, contract_id = excluded.contract_id, "
    "expires_on = excluded.expires_on"
)
ALL: Final = f"SELECT {ACTIVATION_COLUMNS} FROM activations ORDER BY requested_at, benefit_id"
WITH_STATUS: Final = (
    f"SELECT {ACTIVATION_COLUMNS} FROM activations WHERE status = ? "
    "ORDER BY requested_at, benefit_id"
)

CONTACT: Final = (
    "SELECT user_id, email, phone, language, set_by, set_at FROM marketing_contact WHERE id = 1"
)
PUT_CONTACT: Final = (
    "INSERT INTO marketing_contact (id, user_id, email, phone, language, set_by, set_at) "
    "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "user_id = excluded.user_id, email = excluded.email, phone = excluded.phone, "
    "language = excluded.language, set_by = excluded.set_by, set_at = excluded.set_at"
)

ADD_ADVISORY: Final = (
    "INSERT INTO advisory_requests (benefit_id, user_id, hours, topic, created_at) "
    "VALUES (?, ?, ?, ?, ?) RETURNING id"
)
HOURS_USED: Final = "SELECT COALESCE(SUM(hours), 0) FROM advisory_requests WHERE benefit_id = ?"

ADD_SERVICE_REQUEST: Final = (
    "INSERT INTO service_requests (kind, status, created_by, created_at, detail) "
    "VALUES (?, 'open', ?, ?, ?) RETURNING id"
)
SERVICE_REQUESTS: Final = (
    "SELECT id, kind, status, created_by, created_at, detail FROM service_requests ORDER BY id"
)
