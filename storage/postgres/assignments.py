"""The PostgreSQL assignments repository: seats, active and released.

The partial indexes on ``released_at IS NULL`` serve every active-seat query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.model import Assignment, Category
from storage.postgres.area import Area
from storage.sqlite.rows import ACTIVE_ORDER, ASSIGNMENT_COLUMNS, assignment_of, stamp


class PostgresAssignments(Area):
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
        row = await self._one(
            "INSERT INTO assignments (benefit_id, user_id, holder_email, assigned_at, assigned_by) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
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

    async def release(self, assignment_id: int, *, at: datetime) -> None:
        row = await self._one(
            "UPDATE assignments SET released_at = ? WHERE id = ? RETURNING id",
            (stamp(at), assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def find_active(self, benefit_id: str, user_id: str) -> Assignment | None:
        # At most one row: the partial unique index on (benefit_id, user_id) says so.
        row = await self._one(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
            "WHERE benefit_id = ? AND user_id = ? AND released_at IS NULL LIMIT 1",
            (benefit_id, user_id),
        )
        return None if row is None else assignment_of(row)

    async def active(self, benefit_id: str) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE benefit_id = ? AND released_at IS NULL ORDER BY {ACTIVE_ORDER}",
            (benefit_id,),
        )
        return [assignment_of(r) for r in rows]

    async def count_active(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NULL",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])

    async def count_active_many(self, benefit_ids: Sequence[str]) -> dict[str, int]:
        counts = dict.fromkeys(benefit_ids, 0)
        rows = await self._rows(
            "SELECT benefit_id, COUNT(*) FROM assignments "
            "WHERE benefit_id = ANY(?::text[]) AND released_at IS NULL GROUP BY benefit_id",
            (list(set(benefit_ids)),),
        )
        counts.update((str(benefit_id), int(n)) for benefit_id, n in rows)
        return counts

    async def of_user(self, user_id: str) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE user_id = ? AND released_at IS NULL ORDER BY {ACTIVE_ORDER}",
            (user_id,),
        )
        return [assignment_of(r) for r in rows]

    async def unresolved_holders(self) -> list[Assignment]:
        rows = await self._rows(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
            f"WHERE user_id IS NULL AND released_at IS NULL ORDER BY {ACTIVE_ORDER}"
        )
        return [assignment_of(r) for r in rows]

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None:
        row = await self._one(
            "UPDATE assignments SET user_id = ? WHERE id = ? RETURNING id",
            (user_id, assignment_id),
        )
        if row is None:
            raise KeyError(assignment_id)

    async def first(self, categories: Sequence[Category]) -> Assignment | None:
        if not categories:
            return None
        marks = ", ".join("?" for _ in categories)
        row = await self._one(
            f"SELECT {', '.join('a.' + c.strip() for c in ASSIGNMENT_COLUMNS.split(','))} "
            "FROM assignments AS a JOIN benefits AS b ON b.id = a.benefit_id "
            f"WHERE b.category IN ({marks}) ORDER BY a.assigned_at, a.id LIMIT 1",
            [c.value for c in categories],
        )
        return None if row is None else assignment_of(row)

    async def count_released(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NOT NULL",
            (benefit_id,),
        )
        assert row is not None
        return int(row[0])
