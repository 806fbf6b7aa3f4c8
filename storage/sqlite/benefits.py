"""SQLite repositories of the membership record and the benefit inventory.

Benefits are listed through the ``benefits_in_order`` index on the stored
``(category_rank, name_key, id)`` sort key, so no Python function runs per row.
Finding one by name goes through :class:`NameCache`: the in-memory name index
of the committed inventory, rebuilt only when the ``benefits`` generation
(bumped by triggers, migration 5) changes, and shared by every connection of
the store.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Final

from bot.domain.model import Benefit, BenefitRow, Category, Level, Membership
from bot.domain.names import BenefitNames
from storage.sql import benefits as sql
from storage.sql.rows import (
    BENEFIT_COLUMNS,
    BENEFIT_ORDER,
    BENEFIT_WIDTH,
    CATEGORY_RANKS,
    MAX_CHAR,
    benefit_extra,
    benefit_of,
    chunks,
    like_prefix,
)
from storage.sqlite.area import Area

# The stored key is the case-folded name; a case-folded id is matched through the
# py_casefold() function the connection registers (PostgreSQL stores it as id_key).
PUT: Final = sql.put()
BY_NAME_PREFIX: Final = (
    f"SELECT {BENEFIT_COLUMNS} FROM benefits "
    "WHERE (id >= ?1 AND id < ?2) OR (name_key >= ?1 AND name_key < ?2) "
    "OR (id <> py_casefold(id) AND py_casefold(id) LIKE ?3 ESCAPE '\\') "
    f"ORDER BY {BENEFIT_ORDER} LIMIT ?4"
)
# The names in order; read in a transaction with the generation (PostgreSQL, in READ
# COMMITTED, reads both in one statement).
NAMES: Final = f"SELECT id, name FROM benefits ORDER BY {BENEFIT_ORDER}"


# SQLite has no array parameters: the ids go in chunks, one IN list each.
@lru_cache(maxsize=16)
def _get_many(ids: int) -> str:
    return f"SELECT {BENEFIT_COLUMNS} FROM benefits WHERE id IN ({', '.join('?' * ids)})"


class SqliteMembership(Area):
    """The one membership row (``id = 1``)."""

    __slots__ = ()

    async def get(self) -> Membership | None:
        row = self._one(sql.MEMBERSHIP)
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
        self._rows(
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


def _generations(conn: sqlite3.Connection) -> dict[str, int]:
    return {str(area): int(n) for area, n in conn.execute(sql.GENERATIONS).fetchall()}


def _build_names(conn: sqlite3.Connection) -> BenefitNames:
    """The name index of what ``conn`` sees (call it inside a transaction)."""
    generation = _generations(conn)["benefits"]
    rows = conn.execute(NAMES).fetchall()
    return BenefitNames(rows, generation=generation)


class NameCache:
    """The name index of the committed inventory, shared by a store's connections.

    It reads through a connection of its own that never writes, so what it
    keeps was committed: a generation number seen inside a write transaction
    that is later rolled back is never kept, and so can't be mistaken for the
    committed state that gets the same number afterwards.

    Building the index reads and sorts every benefit (about a quarter of a
    second at 50,000), so it runs on a worker thread, one build at a time,
    and the event loop goes on serving others meanwhile. It happens once per
    change of the inventory.
    """

    __slots__ = ("_building", "_conn", "_names")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._names: BenefitNames | None = None
        self._building: asyncio.Future[BenefitNames] | None = None

    async def names(self, caller: sqlite3.Connection) -> BenefitNames:
        """The index as ``caller``'s transaction sees the inventory."""
        generation = _generations(caller)["benefits"]
        for _ in range(2):  # a build that started before the latest commit is one behind
            names = self._names
            if names is not None and names.generation >= generation:
                break
            names = self._names = await self._build_committed()
        if names is not None and names.generation == generation:
            return names
        # The caller changed benefits in its own transaction, or reads an older
        # snapshot: its own view, not kept.
        return _build_names(caller)

    async def _build_committed(self) -> BenefitNames:
        building = self._building
        if building is None or building.done():
            building = self._building = asyncio.ensure_future(asyncio.to_thread(self._build))
        return await asyncio.shield(building)

    def _build(self) -> BenefitNames:
        self._conn.execute("BEGIN")
        try:
            return _build_names(self._conn)
        finally:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        self._conn.close()


class SqliteBenefits(Area):
    """Benefits, ordered by category, then case-folded name, then id."""

    __slots__ = ("_name_cache",)

    def __init__(self, conn: sqlite3.Connection, names: NameCache | None = None) -> None:
        super().__init__(conn)
        self._name_cache = names

    async def names(self) -> BenefitNames:
        if self._name_cache is None:
            return _build_names(self._conn)
        return await self._name_cache.names(self._conn)

    async def generations(self) -> tuple[int, int]:
        found = _generations(self._conn)
        return found["benefits"], found["seats"]

    async def get_many(self, benefit_ids: Sequence[str]) -> list[Benefit]:
        found: dict[str, Benefit] = {}
        for part in chunks(benefit_ids):
            rows = self._rows(_get_many(len(part)), tuple(part))
            found.update((str(r[0]), benefit_of(r)) for r in rows)
        return [found[i] for i in benefit_ids if i in found]

    async def get(self, benefit_id: str) -> Benefit | None:
        row = self._one(sql.GET, (benefit_id,))
        return None if row is None else benefit_of(row)

    async def put(self, benefit: Benefit) -> None:
        # An upsert, not INSERT OR REPLACE: the row stays, and so do its assignments.
        self._rows(
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
            ),
        )

    async def by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        if limit <= 0:
            return []
        key = prefix.casefold()
        rows = self._rows(
            BY_NAME_PREFIX,
            (key, key + MAX_CHAR, like_prefix(key), limit),
        )
        return [benefit_of(r) for r in rows]

    async def named(self, name: str) -> list[Benefit]:
        rows = self._rows(sql.NAMED, (name.casefold(),))
        return [benefit_of(r) for r in rows]

    async def all(self) -> list[Benefit]:
        rows = self._rows(sql.ALL)
        return [benefit_of(r) for r in rows]

    async def rows(self, *, category: Category | None, offset: int, limit: int) -> list[BenefitRow]:
        if limit <= 0:
            return []
        if category is None:
            rows = self._rows(sql.ROWS, (limit, max(offset, 0)))
        else:
            rows = self._rows(
                sql.ROWS_OF_CATEGORY, (CATEGORY_RANKS[category], limit, max(offset, 0))
            )
        return [BenefitRow(benefit_of(r), r[BENEFIT_WIDTH]) for r in rows]

    async def count(self, *, category: Category | None) -> int:
        if category is None:
            row = self._one(sql.COUNT)
        else:
            row = self._one(sql.COUNT_OF_CATEGORY, (CATEGORY_RANKS[category],))
        assert row is not None
        return int(row[0])
