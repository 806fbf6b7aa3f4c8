"""Statements of the membership row and the benefit inventory, the same on both engines."""

from __future__ import annotations

from typing import Final

from storage.sql.rows import BENEFIT_COLUMNS, BENEFIT_ORDER

MEMBERSHIP: Final = (
    "SELECT level, purchase_date, end_date, account_email, managed_in_pmc, "
    "cloud_competency FROM membership WHERE id = 1"
)
PUT_MEMBERSHIP: Final = (
    "INSERT INTO membership "
    "(id, level, purchase_date, end_date, account_email, managed_in_pmc, "
    "cloud_competency) VALUES (1, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET level = excluded.level, "
    "purchase_date = excluded.purchase_date, end_date = excluded.end_date, "
    "account_email = excluded.account_email, managed_in_pmc = excluded.managed_in_pmc, "
    "cloud_competency = excluded.cloud_competency"
)

GENERATIONS: Final = "SELECT area, n FROM generations WHERE area IN ('benefits', 'seats')"

GET: Final = f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE id = ?"
NAMED: Final = f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE name_key = ? ORDER BY {BENEFIT_ORDER}"
ALL: Final = f"SELECT {BENEFIT_COLUMNS} FROM benefits ORDER BY {BENEFIT_ORDER}"


def _rows(where: str) -> str:
    return (
        f"SELECT {BENEFIT_COLUMNS}, "
        "(SELECT COUNT(*) FROM assignments AS a "
        " WHERE a.benefit_id = benefits.id AND a.released_at IS NULL) "
        f"FROM benefits{where} ORDER BY {BENEFIT_ORDER} LIMIT ? OFFSET ?"
    )


# Pages of benefits with their taken seats, and their counts: of every category, or of
# one (by its stored rank).
ROWS: Final = _rows("")
ROWS_OF_CATEGORY: Final = _rows(" WHERE category_rank = ?")
COUNT: Final = "SELECT COUNT(*) FROM benefits"
COUNT_OF_CATEGORY: Final = "SELECT COUNT(*) FROM benefits WHERE category_rank = ?"


def put(*keys: str) -> str:
    """The upsert of one benefit; ``keys`` are an engine's extra stored keys, set last."""
    columns = (
        "id, name, category, seats, description, instructions, extra, expires_on, name_key, "
        "category_rank"
    )
    marks = ", ".join("?" for _ in range(10 + len(keys)))
    updates = "".join(f", {key} = excluded.{key}" for key in keys)
    return (
        f"INSERT INTO benefits ({columns}{''.join(', ' + k for k in keys)}) VALUES ({marks}) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
        f"name_key = excluded.name_key{updates}, category_rank = excluded.category_rank, "
        "category = excluded.category, seats = excluded.seats, "
        "description = excluded.description, instructions = excluded.instructions, "
        "extra = excluded.extra, expires_on = excluded.expires_on"
    )
