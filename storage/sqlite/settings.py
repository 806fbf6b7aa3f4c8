"""SQLite repository of the settings chosen in Slack (one row, ``id = 1``)."""

from __future__ import annotations

from datetime import datetime

from storage.sql import settings as sql
from storage.sql.rows import stamp
from storage.sqlite.area import Area


class SqliteSettings(Area):
    """The one settings row."""

    __slots__ = ()

    async def admin_channel(self) -> str | None:
        row = self._one(sql.ADMIN_CHANNEL)
        return None if row is None or not row[0] else str(row[0])

    async def set_admin_channel(self, channel: str | None, *, by: str, at: datetime) -> None:
        self._rows(sql.SET_ADMIN_CHANNEL, (channel, by, stamp(at)))
