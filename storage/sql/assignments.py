"""Statements of seats, active and released."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from storage.sql.rows import ACTIVE_ORDER, ASSIGNMENT_COLUMNS, BENEFIT_COLUMNS

ADD: Final = (
    "INSERT INTO assignments (benefit_id, user_id, holder_email, assigned_at, assigned_by) "
    "VALUES (?, ?, ?, ?, ?) RETURNING id"
)
RELEASE: Final = "UPDATE assignments SET released_at = ? WHERE id = ? RETURNING id"
# At most one row: the partial unique index on (benefit_id, user_id) says so.
FIND_ACTIVE: Final = (
    f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
    "WHERE benefit_id = ? AND user_id = ? AND released_at IS NULL LIMIT 1"
)
ACTIVE: Final = (
    f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
    f"WHERE benefit_id = ? AND released_at IS NULL ORDER BY {ACTIVE_ORDER}"
)
COUNT_ACTIVE: Final = (
    "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NULL"
)
OF_USER: Final = (
    f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
    f"WHERE user_id = ? AND released_at IS NULL ORDER BY {ACTIVE_ORDER}"
)
UNRESOLVED_HOLDERS: Final = (
    f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments "
    f"WHERE user_id IS NULL AND released_at IS NULL ORDER BY {ACTIVE_ORDER}"
)
RESOLVE_HOLDER: Final = "UPDATE assignments SET user_id = ? WHERE id = ? RETURNING id"
COUNT_RELEASED: Final = (
    "SELECT COUNT(*) FROM assignments WHERE benefit_id = ? AND released_at IS NOT NULL"
)

# The assignment columns qualified by the alias ``a``, for joins with benefits.
A_COLUMNS: Final = ", ".join("a." + c.strip() for c in ASSIGNMENT_COLUMNS.split(","))
B_COLUMNS: Final = ", ".join("b." + c.strip() for c in BENEFIT_COLUMNS.split(","))
# A person's active assignments and pending requests, each with its benefit, in one
# statement (`/benefits mine`): the first column tells them apart (0 a seat, 1 a
# request); the columns between are an assignment's or a request's, see standing_of.
STANDING_OF: Final = (
    "SELECT 0, a.id, a.benefit_id, a.user_id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), "
    f"a.assigned_at, a.assigned_by, a.released_at, a.holder_email, {B_COLUMNS} "
    "FROM assignments AS a JOIN benefits AS b ON b.id = a.benefit_id "
    "WHERE a.user_id = ?1 AND a.released_at IS NULL "
    "UNION ALL "
    "SELECT 1, r.id, r.benefit_id, r.requester_id, r.reason, r.status, "
    f"r.created_at, r.decided_by, r.decided_at, r.decision_note, {B_COLUMNS} "
    "FROM requests AS r JOIN benefits AS b ON b.id = r.benefit_id "
    "WHERE r.requester_id = ?1 AND r.status = 'pending' "
    "ORDER BY 1, 7, 2"
)


@lru_cache(maxsize=16)
def first(categories: int) -> str:
    """The earliest assignment of a benefit in any of ``categories`` categories."""
    marks = ", ".join("?" for _ in range(categories))
    return (
        f"SELECT {A_COLUMNS} FROM assignments AS a JOIN benefits AS b ON b.id = a.benefit_id "
        f"WHERE b.category IN ({marks}) ORDER BY a.assigned_at, a.id LIMIT 1"
    )
