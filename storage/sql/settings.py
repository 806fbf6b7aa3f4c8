"""Statements of the settings row chosen in Slack, the same on both engines."""

from __future__ import annotations

from typing import Final

ADMIN_CHANNEL: Final = "SELECT admin_channel FROM settings WHERE id = 1"
SET_ADMIN_CHANNEL: Final = (
    "INSERT INTO settings (id, admin_channel, set_by, set_at) VALUES (1, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET admin_channel = excluded.admin_channel, "
    "set_by = excluded.set_by, set_at = excluded.set_at"
)
