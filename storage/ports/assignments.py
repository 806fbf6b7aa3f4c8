"""The assignments port: who holds a seat of which benefit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from bot.domain.model import (
    Assignment,
    Benefit,
    Category,
    Request,
)


class Standing(NamedTuple):
    """What a person holds and has asked for (``/benefits mine``)."""

    held: list[tuple[Assignment, Benefit]]
    pending: list[tuple[Request, Benefit]]


class AssignmentRepository(Protocol):
    """Assignments of benefits to people (seats)."""

    async def add(
        self,
        *,
        benefit_id: str,
        user_id: str | None,
        assigned_at: datetime,
        assigned_by: str,
        holder_email: str | None = None,
    ) -> Assignment: ...

    async def release(self, assignment_id: int, *, at: datetime) -> None: ...

    async def hold(self, *, user_id: str, benefit_id: str | None = None) -> None:
        """Until this write ends, keep every other write off ``user_id``'s holdings
        and requests and, with ``benefit_id``, off that benefit's seats.

        Only a ``store.write(concurrent=True)`` block needs it (an exclusive write
        already excludes every other write), before it checks what it then
        changes: the checks then see every write committed before, and none can
        slip in until this one ends. Take it once per write, person first.
        """
        ...

    async def find_active(self, benefit_id: str, user_id: str) -> Assignment | None: ...

    async def active(self, benefit_id: str) -> list[Assignment]: ...

    async def count_active(self, benefit_id: str) -> int: ...

    async def count_active_many(self, benefit_ids: Sequence[str]) -> dict[str, int]:
        """Active seats of each of ``benefit_ids`` (0 for one without any or unknown)."""
        ...

    async def of_user(self, user_id: str) -> list[Assignment]:
        """Active assignments of one person, oldest first."""
        ...

    async def standing_of(self, user_id: str) -> Standing:
        """One person's active seats (oldest first) and pending requests (in the order
        filed), each with its benefit, in one query."""
        ...

    async def unresolved_holders(self) -> list[Assignment]:
        """Active assignments known only by an email address (from an import)."""
        ...

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None: ...

    async def first(self, categories: Sequence[Category]) -> Assignment | None:
        """The earliest assignment ever made (released or not) of a benefit in ``categories``."""
        ...

    async def count_released(self, benefit_id: str) -> int: ...
