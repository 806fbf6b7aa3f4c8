"""The playground's clock: the real time, moved forward on request.

The bot's services read the time from an injected :class:`bot.domain.clock.Clock`;
the playground hands them this one, so moving it makes reminders fall due
(the reminder sweep and the delivery loop read the same clock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MovableClock:
    """The system time plus an offset that only grows."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta() if start is None else start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the time forward by ``delta`` (a negative one is refused)."""
        if delta < timedelta():
            raise ValueError("the playground's clock only moves forward")
        self._offset += delta
