"""The SQLite tenant repository: the store's workspace or org, its suspension, erasing."""

from __future__ import annotations

from datetime import datetime

from bot.domain.tenancy import Tenant
from storage.sql import tenant_state as sql
from storage.sql.rows import stamp
from storage.sqlite.area import Area

TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


class SqliteTenantState(Area):
    """The one tenant of the store."""

    __slots__ = ()

    async def get(self) -> Tenant | None:
        row = self._one(sql.GET_TENANT)
        return None if row is None else sql.tenant(row)

    async def put(self, tenant: Tenant) -> None:
        self._rows(sql.FORGET_TENANTS)
        self._rows(sql.PUT_TENANT, sql.tenant_params(tenant))

    async def suspend(self, *, at: datetime, reason: str) -> bool:
        return bool(self._rows(sql.SUSPEND, (stamp(at), reason)))

    async def resume(self) -> bool:
        return bool(self._rows(sql.RESUME))

    async def erase(self) -> dict[str, int]:
        deleted: dict[str, int] = {}
        for table in sql.erasable([row[0] for row in self._rows(TABLES)]):
            deleted[table] = self._conn.execute(sql.delete_all(table)).rowcount
        return deleted
