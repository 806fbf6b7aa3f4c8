"""The PostgreSQL tenant repository: the store's workspace or org, its suspension, erasing."""

from __future__ import annotations

from datetime import datetime

from bot.domain.tenancy import Tenant
from storage.postgres.area import Area
from storage.sql import tenant_state as sql
from storage.sql.rows import stamp

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"


class PostgresTenantState(Area):
    """The one tenant of the store."""

    __slots__ = ()

    async def get(self) -> Tenant | None:
        row = await self._one(sql.GET_TENANT)
        return None if row is None else sql.tenant(row)

    async def put(self, tenant: Tenant) -> None:
        await self._rows(sql.FORGET_TENANTS)
        await self._rows(sql.PUT_TENANT, sql.tenant_params(tenant))

    async def suspend(self, *, at: datetime, reason: str) -> bool:
        return bool(await self._rows(sql.SUSPEND, (stamp(at), reason)))

    async def resume(self) -> bool:
        return bool(await self._rows(sql.RESUME))

    async def erase(self) -> dict[str, int]:
        deleted: dict[str, int] = {}
        for table in sql.erasable([row[0] for row in await self._rows(TABLES)]):
            status = await self._conn.execute(sql.delete_all(table))  # "DELETE <count>"
            deleted[table] = int(status.rsplit(" ", 1)[-1])
        return deleted
