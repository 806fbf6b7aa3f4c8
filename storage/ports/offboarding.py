"""The offboarding ports: departures of people Slack deactivated, and the
"still using it?" checks of idle seats (docs/rules.md#offboarding)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.offboarding import Answer, Offboarding, OffboardingState, SeatCheck, Source


class OffboardingRepository(Protocol):
    """One row per departure; at most one not yet ended by a return, per person."""

    async def start(self, user_id: str, *, at: datetime, source: Source) -> Offboarding | None:
        """Record that ``user_id`` left; None when their departure is already recorded
        (a replayed event, or the reconciliation after the event)."""
        ...

    async def current(self, user_id: str) -> Offboarding | None:
        """``user_id``'s departure that no return ended, if any."""
        ...

    async def get(self, offboarding_id: int) -> Offboarding | None: ...

    async def decide(
        self, offboarding_id: int, *, state: OffboardingState, by: str, at: datetime
    ) -> bool:
        """Close an open offboarding as ``state``; False when it was no longer open."""
        ...

    async def returned(self, user_id: str, *, at: datetime) -> bool:
        """End ``user_id``'s departure (reactivated); False when there was none."""
        ...

    async def departed(self) -> list[str]:
        """Everyone whose departure no return ended, in user id order."""
        ...


class SeatCheckRepository(Protocol):
    """The last "still using it?" question per seat, and whether keys were revealed."""

    async def ask(self, assignment_id: int, *, at: datetime) -> None:
        """Record a new question (forgetting the previous answer)."""
        ...

    async def answer(self, assignment_id: int, answer: Answer, *, at: datetime) -> bool:
        """Record the holder's answer; False when no question was asked."""
        ...

    async def get(self, assignment_id: int) -> SeatCheck | None: ...

    async def all(self) -> dict[int, SeatCheck]:
        """Every seat's last check, by assignment id."""
        ...

    async def revealed(self, benefit_id: str, user_id: str, *, since: datetime) -> bool:
        """Whether ``user_id`` revealed ``benefit_id``'s keys at or after ``since``."""
        ...
