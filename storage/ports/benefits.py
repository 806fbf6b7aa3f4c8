"""The benefits port: the inventory by id, by name, and in listing order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.model import (
    Benefit,
    BenefitRow,
    Category,
)
from bot.domain.names import BenefitNames


class BenefitRepository(Protocol):
    """Benefits by id, by name and in listing order."""

    async def get(self, benefit_id: str) -> Benefit | None: ...

    async def get_many(self, benefit_ids: Sequence[str]) -> list[Benefit]:
        """The benefits of ``benefit_ids`` that exist, in the order asked."""
        ...

    async def names(self) -> BenefitNames:
        """Every benefit's id and name as an index, as this unit of work sees them.

        Kept between calls while no benefit changes, so a lookup costs no scan.
        """
        ...

    async def generations(self) -> tuple[int, int]:
        """Tokens of the inventory and of everyone's seats, as this unit of work sees
        them: each changes whenever a benefit (first) or an assignment (second) does."""
        ...

    async def put(self, benefit: Benefit) -> None:
        """Insert the benefit or update it in place, keeping its assignments."""
        ...

    async def by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        """Benefits whose id or name starts with ``prefix`` (case-insensitive)."""
        ...

    async def named(self, name: str) -> list[Benefit]:
        """Benefits whose name is ``name``, compared case-insensitively."""
        ...

    async def all(self) -> list[Benefit]: ...

    async def rows(self, *, category: Category | None, offset: int, limit: int) -> list[BenefitRow]:
        """Benefits ordered by category then name, with active seat counts."""
        ...

    async def count(self, *, category: Category | None) -> int: ...
