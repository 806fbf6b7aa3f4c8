"""PostgreSQL repository of the settings chosen in Slack (one row, ``id = 1``)."""

from __future__ import annotations

from datetime import datetime

from storage.postgres.area import Area
from storage.sql import settings as sql
from storage.sql.rows import stamp


class PostgresSettings(Area):
    """The one settings row."""

    __slots__ = ()

    async def admin_channel(self) -> str | None:
        row = await self._one(sql.ADMIN_CHANNEL)
        return None if row is None or not row[0] else str(row[0])

    async def set_admin_channel(self, channel: str | None, *, by: str, at: datetime) -> None:
        await self._rows(sql.SET_ADMIN_CHANNEL, (channel, by, stamp(at)))
