"""The SQLite assignments repository: seats, active and released.

The partial indexes on ``released_at IS NULL`` serve every active-seat query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from bot.domain.model import Assignment, Category
from storage.ports.assignments import Standing
from storage.sql import assignments as sql
from storage.sql.rows import assignment_of, chunks, stamp, standing_of
from storage.sqlite.area import Area


# SQLite has no array parameters: the ids go in chunks, one IN list each.
@lru_cache(maxsize=16)
def _count_active_many(ids: int) -> str:
    return (
        "SELECT benefit_id, COUNT(*) FROM assignments "
        f"WHERE benefit_id IN ({', '.join('?' * ids)}) AND released_at IS NULL GROUP BY benefit_id"
    )


class SqliteAssignments(Area):
    """Assignment rows; a released seat keeps its row with ``released_at`` set."""

    __slots__ = ()

    async def add(
        self,
        *,
        benefit_id: str,
        user_id: str | None,
        assigned_at: datetime,
        assigned_by: str,
        holder_email: str | None = None,
    ) -> Assignment:
        row = self._one(
            sql.ADD,
            (benefit_id, user_id, holder_email, stamp(assigned_at), assigned_by),
        )
        assert row is not None
        return Assignment(
            id=row[0],
            benefit_id=benefit_id,
            user_id=user_id,
            assigned_at=assigned_at,
            assigned_by=assigned_by,
            holder_email=holder_email,
        )

    async def hold(self, *, user_id: str, benefit_id: str | None = None) -> None:
        """Nothing to do: SQLite has one writer at a time (``BEGIN IMMEDIATE``)."""

    async def release(self, assignment_id: int, *, at: datetime) -> None:
        row = self._one(
            sql.RELEASE,
            (stamp(at), assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def find_active(self, benefit_id: str, user_id: str) -> Assignment | None:
        row = self._one(
            sql.FIND_ACTIVE,
            (benefit_id, user_id),
        )
        return None if row is None else assignment_of(row)

    async def active(self, benefit_id: str) -> list[Assignment]:
        rows = self._rows(
            sql.ACTIVE,
            (benefit_id,),
        )
        return [assignment_of(r) for r in rows]

    async def count_active(self, benefit_id: str) -> int:
        row = self._one(
            sql.COUNT_ACTIVE,
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])

    async def count_active_many(self, benefit_ids: Sequence[str]) -> dict[str, int]:
        counts = dict.fromkeys(benefit_ids, 0)
        for part in chunks(benefit_ids):
            rows = self._rows(_count_active_many(len(part)), tuple(part))
            counts.update((str(benefit_id), int(n)) for benefit_id, n in rows)
        return counts

    async def standing_of(self, user_id: str) -> Standing:
        return standing_of(self._rows(sql.STANDING_OF, (user_id,)))

    async def of_user(self, user_id: str) -> list[Assignment]:
        rows = self._rows(
            sql.OF_USER,
            (user_id,),
        )
        return [assignment_of(r) for r in rows]

    async def unresolved_holders(self) -> list[Assignment]:
        rows = self._rows(sql.UNRESOLVED_HOLDERS)
        return [assignment_of(r) for r in rows]

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None:
        row = self._one(
            sql.RESOLVE_HOLDER,
            (user_id, assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def first(self, categories: Sequence[Category]) -> Assignment | None:
        if not categories:
            return None
        row = self._one(sql.first(len(categories)), [c.value for c in categories])
        return None if row is None else assignment_of(row)

    async def count_released(self, benefit_id: str) -> int:
        row = self._one(
            sql.COUNT_RELEASED,
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])
