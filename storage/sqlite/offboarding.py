"""The SQLite offboarding repositories: departures and seat checks."""

from __future__ import annotations

from datetime import datetime

from bot.domain.offboarding import Answer, Offboarding, OffboardingState, SeatCheck, Source
from storage.sql import offboarding as sql
from storage.sql.offboarding_rows import offboarding, seat_check
from storage.sql.rows import stamp
from storage.sqlite.area import Area


class SqliteOffboardings(Area):
    """Departures of people Slack deactivated."""

    __slots__ = ()

    async def start(self, user_id: str, *, at: datetime, source: Source) -> Offboarding | None:
        row = self._one(sql.START, (user_id, stamp(at), source.value))
        return None if row is None else offboarding(row)

    async def current(self, user_id: str) -> Offboarding | None:
        row = self._one(sql.CURRENT, (user_id,))
        return None if row is None else offboarding(row)

    async def get(self, offboarding_id: int) -> Offboarding | None:
        row = self._one(sql.GET, (offboarding_id,))
        return None if row is None else offboarding(row)

    async def decide(
        self, offboarding_id: int, *, state: OffboardingState, by: str, at: datetime
    ) -> bool:
        row = self._one(sql.DECIDE, (state.value, by, stamp(at), offboarding_id))
        return row is not None

    async def returned(self, user_id: str, *, at: datetime) -> bool:
        return self._one(sql.RETURNED, (stamp(at), user_id)) is not None

    async def departed(self) -> list[str]:
        return [r[0] for r in self._rows(sql.DEPARTED)]


class SqliteSeatChecks(Area):
    """The last "still using it?" question per seat."""

    __slots__ = ()

    async def ask(self, assignment_id: int, *, at: datetime) -> None:
        self._rows(sql.ASK, (assignment_id, stamp(at)))

    async def answer(self, assignment_id: int, answer: Answer, *, at: datetime) -> bool:
        row = self._one(sql.ANSWER, (answer.value, stamp(at), assignment_id))
        return row is not None

    async def get(self, assignment_id: int) -> SeatCheck | None:
        row = self._one(sql.GET_CHECK, (assignment_id,))
        return None if row is None else seat_check(row)

    async def all(self) -> dict[int, SeatCheck]:
        checks = [seat_check(r) for r in self._rows(sql.ALL_CHECKS)]
        return {c.assignment_id: c for c in checks}

    async def revealed(self, benefit_id: str, user_id: str, *, since: datetime) -> bool:
        row = self._one(sql.REVEALED, (benefit_id, user_id, stamp(since)))
        return row is not None
