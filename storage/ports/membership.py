"""The membership port: the partner's one membership record."""

from __future__ import annotations

from typing import Protocol

from bot.domain.model import (
    Membership,
)


class MembershipRepository(Protocol):
    """The one membership record."""

    async def get(self) -> Membership | None: ...

    async def put(self, membership: Membership) -> None: ...
