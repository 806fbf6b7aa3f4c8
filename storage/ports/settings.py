"""The settings port: what a Global admin sets up from Slack (the admin channel)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class SettingsRepository(Protocol):
    """The one row of settings chosen in Slack."""

    async def admin_channel(self) -> str | None:
        """The admin channel chosen in Slack; None when none is (or it was cleared)."""
        ...

    async def set_admin_channel(self, channel: str | None, *, by: str, at: datetime) -> None:
        """Choose ``channel`` as the admin channel (None: each Global admin by DM)."""
        ...
