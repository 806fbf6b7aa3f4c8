"""The PostgreSQL offboarding repositories: departures and seat checks."""

from __future__ import annotations

from datetime import datetime

from bot.domain.offboarding import Answer, Offboarding, OffboardingState, SeatCheck, Source
from storage.postgres.area import Area
from storage.sql import offboarding as sql
from storage.sql.offboarding_rows import offboarding, seat_check
from storage.sql.rows import stamp


class PostgresOffboardings(Area):
    """Departures of people Slack deactivated."""

    __slots__ = ()

    async def start(self, user_id: str, *, at: datetime, source: Source) -> Offboarding | None:
        row = await self._one(sql.START, (user_id, stamp(at), source.value))
        return None if row is None else offboarding(row)

    async def current(self, user_id: str) -> Offboarding | None:
        row = await self._one(sql.CURRENT, (user_id,))
        return None if row is None else offboarding(row)

    async def get(self, offboarding_id: int) -> Offboarding | None:
        row = await self._one(sql.GET, (offboarding_id,))
        return None if row is None else offboarding(row)

    async def decide(
        self, offboarding_id: int, *, state: OffboardingState, by: str, at: datetime
    ) -> bool:
        row = await self._one(sql.DECIDE, (state.value, by, stamp(at), offboarding_id))
        return row is not None

    async def returned(self, user_id: str, *, at: datetime) -> bool:
        return await self._one(sql.RETURNED, (stamp(at), user_id)) is not None

    async def departed(self) -> list[str]:
        return [r[0] for r in await self._rows(sql.DEPARTED)]


class PostgresSeatChecks(Area):
    """The last "still using it?" question per seat."""

    __slots__ = ()

    async def ask(self, assignment_id: int, *, at: datetime) -> None:
        await self._rows(sql.ASK, (assignment_id, stamp(at)))

    async def answer(self, assignment_id: int, answer: Answer, *, at: datetime) -> bool:
        row = await self._one(sql.ANSWER, (answer.value, stamp(at), assignment_id))
        return row is not None

    async def get(self, assignment_id: int) -> SeatCheck | None:
        row = await self._one(sql.GET_CHECK, (assignment_id,))
        return None if row is None else seat_check(row)

    async def all(self) -> dict[int, SeatCheck]:
        checks = [seat_check(r) for r in await self._rows(sql.ALL_CHECKS)]
        return {c.assignment_id: c for c in checks}

    async def revealed(self, benefit_id: str, user_id: str, *, since: datetime) -> bool:
        row = await self._one(sql.REVEALED, (benefit_id, user_id, stamp(since)))
        return row is not None
