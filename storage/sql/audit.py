"""Statements of the append-only audit log."""

from __future__ import annotations

from typing import Final

ADD: Final = "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)"
RECENT: Final = "SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?"
ENTRIES: Final = (
    "SELECT id, at, actor, action, subject, detail FROM audit WHERE id > ? ORDER BY id LIMIT ?"
)
