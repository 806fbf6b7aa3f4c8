"""PostgreSQL repositories of the membership record and the benefit inventory.

As in SQLite, benefits are listed through the ``benefits_in_order`` index on the
stored ``(category_rank, name_key, id)`` sort key (text columns are ``COLLATE "C"``,
so the order is by code point, as in SQLite); the prefix search also uses the
stored case-folded ``id_key``.
"""

from __future__ import annotations

from datetime import date

from bot.domain.model import Benefit, BenefitRow, Category, Level, Membership
from storage.postgres.area import Area
from storage.sqlite.rows import (
    BENEFIT_COLUMNS,
    BENEFIT_ORDER,
    BENEFIT_WIDTH,
    CATEGORY_RANKS,
    MAX_CHAR,
    benefit_extra,
    benefit_of,
    category_filter,
)


class PostgresMembership(Area):
    """The one membership row (``id = 1``)."""

    __slots__ = ()

    async def get(self) -> Membership | None:
        row = await self._one(
            "SELECT level, purchase_date, end_date, account_email, managed_in_pmc, "
            "cloud_competency FROM membership WHERE id = 1"
        )
        if row is None:
            return None
        return Membership(
            level=Level(row[0]),
            purchase_date=date.fromisoformat(row[1]),
            end_date=date.fromisoformat(row[2]),
            account_email=row[3],
            managed_in_pmc=bool(row[4]),
            cloud_competency=bool(row[5]),
        )

    async def put(self, membership: Membership) -> None:
        await self._rows(
            "INSERT INTO membership "
            "(id, level, purchase_date, end_date, account_email, managed_in_pmc, "
            "cloud_competency) VALUES (1, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET level = excluded.level, "
            "purchase_date = excluded.purchase_date, end_date = excluded.end_date, "
            "account_email = excluded.account_email, managed_in_pmc = excluded.managed_in_pmc, "
            "cloud_competency = excluded.cloud_competency",
            (
                membership.level.value,
                membership.purchase_date.isoformat(),
                membership.end_date.isoformat(),
                membership.account_email,
                int(membership.managed_in_pmc),
                int(membership.cloud_competency),
            ),
        )


class PostgresBenefits(Area):
    """Benefits, ordered by category, then case-folded name, then id."""

    __slots__ = ()

    async def get(self, benefit_id: str) -> Benefit | None:
        row = await self._one(f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE id = ?", (benefit_id,))
        return None if row is None else benefit_of(row)

    async def put(self, benefit: Benefit) -> None:
        # An upsert, not INSERT OR REPLACE: the row stays, and so do its assignments.
        await self._rows(
            "INSERT INTO benefits (id, name, category, seats, description, instructions, "
            "extra, expires_on, name_key, category_rank, id_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
            "name_key = excluded.name_key, id_key = excluded.id_key, category_rank = excluded.category_rank, "
            "category = excluded.category, seats = excluded.seats, "
            "description = excluded.description, instructions = excluded.instructions, "
            "extra = excluded.extra, expires_on = excluded.expires_on",
            (
                benefit.id,
                benefit.name,
                benefit.category.value,
                benefit.seats,
                benefit.description,
                benefit.instructions,
                benefit_extra(benefit),
                None if benefit.expires_on is None else benefit.expires_on.isoformat(),
                benefit.name.casefold(),
                CATEGORY_RANKS[benefit.category],
                benefit.id.casefold(),
            ),
        )

    async def by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        if limit <= 0:
            return []
        key = prefix.casefold()
        rows = await self._rows(
            f"SELECT {BENEFIT_COLUMNS} FROM benefits "
            # The stored case-folded id plays SQLite's py_casefold(id) LIKE 'key%'.
            "WHERE (id_key >= ?1 AND id_key < ?2) OR (name_key >= ?1 AND name_key < ?2) "
            f"ORDER BY {BENEFIT_ORDER} LIMIT ?3",
            (key, key + MAX_CHAR, limit),
        )
        return [benefit_of(r) for r in rows]

    async def named(self, name: str) -> list[Benefit]:
        rows = await self._rows(
            f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE name_key = ? ORDER BY {BENEFIT_ORDER}",
            (name.casefold(),),
        )
        return [benefit_of(r) for r in rows]

    async def all(self) -> list[Benefit]:
        rows = await self._rows(f"SELECT {BENEFIT_COLUMNS} FROM benefits ORDER BY {BENEFIT_ORDER}")
        return [benefit_of(r) for r in rows]

    async def rows(self, *, category: Category | None, offset: int, limit: int) -> list[BenefitRow]:
        if limit <= 0:
            return []
        where, params = category_filter(category)
        rows = await self._rows(
            f"SELECT {BENEFIT_COLUMNS}, "
            "(SELECT COUNT(*) FROM assignments AS a "
            " WHERE a.benefit_id = benefits.id AND a.released_at IS NULL) "
            f"FROM benefits {where} ORDER BY {BENEFIT_ORDER} LIMIT ? OFFSET ?",
            (*params, limit, max(offset, 0)),
        )
        return [BenefitRow(benefit_of(r), r[BENEFIT_WIDTH]) for r in rows]

    async def count(self, *, category: Category | None) -> int:
        where, params = category_filter(category)
        row = await self._one(f"SELECT COUNT(*) FROM benefits {where}", params)
        assert row is not None
        return int(row[0])
