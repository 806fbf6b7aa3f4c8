"""The tenants port: the workspace or org whose data the store holds, its suspension,
and the deletion of all of the store's data (see ``bot.domain.tenancy``).

One store holds one tenant's data; with tenancy (one store per workspace or org)
these stay operations on "this tenant's store".
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.tenancy import Tenant


class TenantStateRepository(Protocol):
    """The store's tenant (at most one) and its suspension."""

    async def get(self) -> Tenant | None:
        """The tenant whose data the store holds; None when none was recorded."""
        ...

    async def put(self, tenant: Tenant) -> None:
        """Record ``tenant`` as the store's one tenant (replacing any other record)."""
        ...

    async def suspend(self, *, at: datetime, reason: str) -> bool:
        """Mark the tenant suspended since ``at``; False (nothing changed) when it already was."""
        ...

    async def resume(self) -> bool:
        """End the suspension; whether there was one."""
        ...

    async def erase(self) -> dict[str, int]:
        """Delete every row of the store's data (every table but the schema's bookkeeping
        and the counters the migrations seed), the tenant's record included; the rows
        deleted per table."""
        ...
