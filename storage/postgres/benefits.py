"""PostgreSQL repositories of the membership record and the benefit inventory.

As in SQLite, benefits are listed through the ``benefits_in_order`` index on the
stored ``(category_rank, name_key, id)`` sort key (text columns are ``COLLATE "C"``,
so the order is by code point, as in SQLite); the prefix search also uses the
stored case-folded ``id_key``.

Finding one by name goes through :class:`NameCache`: the name index of the
committed inventory, shared by the store's units of work and rebuilt only when
the ``benefits`` generation (bumped by triggers, migration 2) changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

from bot.domain.model import Benefit, BenefitRow, Category, Level, Membership
from bot.domain.names import BenefitNames
from storage.postgres.area import Area, Connection
from storage.sql import benefits as sql
from storage.sql.rows import (
    BENEFIT_COLUMNS,
    BENEFIT_ORDER,
    BENEFIT_WIDTH,
    CATEGORY_RANKS,
    MAX_CHAR,
    benefit_extra,
    benefit_of,
)

# No py_casefold() function here: the case-folded id is a stored key (id_key), kept by
# the upsert and ranged over like name_key.
PUT: Final = sql.put("id_key")
BY_NAME_PREFIX: Final = (
    f"SELECT {BENEFIT_COLUMNS} FROM benefits "
    "WHERE (id_key >= ?1 AND id_key < ?2) OR (name_key >= ?1 AND name_key < ?2) "
    f"ORDER BY {BENEFIT_ORDER} LIMIT ?3"
)
# All the ids in one array parameter (SQLite, without arrays, takes them in chunks).
GET_MANY: Final = f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE id = ANY(?::text[])"
GENERATION: Final = "SELECT n FROM generations WHERE area = 'benefits'"


class PostgresMembership(Area):
    """The one membership row (``id = 1``)."""

    __slots__ = ()

    async def get(self) -> Membership | None:
        row = await self._one(sql.MEMBERSHIP)
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
            sql.PUT_MEMBERSHIP,
            (
                membership.level.value,
                membership.purchase_date.isoformat(),
                membership.end_date.isoformat(),
                membership.account_email,
                int(membership.managed_in_pmc),
                int(membership.cloud_competency),
            ),
        )


# The generation and the names in one statement, so one snapshot even in READ COMMITTED.
NAMES: Final = (
    "SELECT g.n, b.id, b.name FROM generations AS g LEFT JOIN benefits AS b ON TRUE "
    f"WHERE g.area = 'benefits' ORDER BY {BENEFIT_ORDER}"
)

# The seats generation: the 'seats' row plus the per-connection counters of migration 6.
GENERATIONS: Final = (
    "SELECT area, n + CASE WHEN area = 'seats' THEN "
    "(SELECT COALESCE(SUM(n), 0) FROM seat_generations)::bigint ELSE 0 END "
    "FROM generations WHERE area IN ('benefits', 'seats')"
)


class NameCache:
    """The name index of the committed inventory, shared by a store's units of work.

    Only an index built from committed rows is kept (in a read, or in a write
    that has not changed a benefit itself): what a write transaction sees after
    its own changes may be rolled back, and the generation number it saw would
    then be reused by the next commit. Committed
    generations only grow, so an older snapshot never replaces a newer index.
    """

    __slots__ = ("_names",)

    def __init__(self) -> None:
        self._names: BenefitNames | None = None

    def kept(self, generation: int) -> BenefitNames | None:
        names = self._names
        return names if names is not None and names.generation == generation else None

    def keep(self, names: BenefitNames) -> None:
        if self._names is None or self._names.generation < names.generation:
            self._names = names


class PostgresBenefits(Area):
    """Benefits, ordered by category, then case-folded name, then id."""

    __slots__ = ("_keep", "_name_cache")  # _keep: it has seen only committed benefits

    def __init__(self, conn: Connection, names: NameCache | None = None) -> None:
        super().__init__(conn)
        self._name_cache = names
        # A read sees only committed rows; a write too, until it changes a benefit (put),
        # the one statement that bumps the inventory generation (READ COMMITTED: each
        # statement sees the latest commits and this transaction's own changes).
        self._keep = True

    async def names(self) -> BenefitNames:
        if self._name_cache is not None:
            row = await self._one(GENERATION)
            assert row is not None
            if (kept := self._name_cache.kept(int(row[0]))) is not None:
                return kept
        rows = await self._rows(NAMES)
        names = BenefitNames(
            ((r[1], r[2]) for r in rows if r[1] is not None), generation=int(rows[0][0])
        )
        if self._name_cache is not None and self._keep:
            self._name_cache.keep(names)
        return names

    async def generations(self) -> tuple[int, int]:
        found = {str(area): int(n) for area, n in await self._rows(GENERATIONS)}
        return found["benefits"], found["seats"]

    async def get_many(self, benefit_ids: Sequence[str]) -> list[Benefit]:
        if not benefit_ids:  # no round trip for nothing (a name that matched no benefit)
            return []
        rows = await self._rows(GET_MANY, (list(benefit_ids),))
        found = {str(r[0]): benefit_of(r) for r in rows}
        return [found[i] for i in benefit_ids if i in found]

    async def get(self, benefit_id: str) -> Benefit | None:
        row = await self._one(sql.GET, (benefit_id,))
        return None if row is None else benefit_of(row)

    async def put(self, benefit: Benefit) -> None:
        # An upsert, not INSERT OR REPLACE: the row stays, and so do its assignments.
        self._keep = False
        await self._rows(
            PUT,
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
            BY_NAME_PREFIX,
            (key, key + MAX_CHAR, limit),
        )
        return [benefit_of(r) for r in rows]

    async def named(self, name: str) -> list[Benefit]:
        rows = await self._rows(sql.NAMED, (name.casefold(),))
        return [benefit_of(r) for r in rows]

    async def all(self) -> list[Benefit]:
        rows = await self._rows(sql.ALL)
        return [benefit_of(r) for r in rows]

    async def rows(self, *, category: Category | None, offset: int, limit: int) -> list[BenefitRow]:
        if limit <= 0:
            return []
        if category is None:
            rows = await self._rows(sql.ROWS, (limit, max(offset, 0)))
        else:
            rows = await self._rows(
                sql.ROWS_OF_CATEGORY, (CATEGORY_RANKS[category], limit, max(offset, 0))
            )
        return [BenefitRow(benefit_of(r), r[BENEFIT_WIDTH]) for r in rows]

    async def count(self, *, category: Category | None) -> int:
        if category is None:
            row = await self._one(sql.COUNT)
        else:
            row = await self._one(sql.COUNT_OF_CATEGORY, (CATEGORY_RANKS[category],))
        assert row is not None
        return int(row[0])
