"""The PostgreSQL tenants: a schema per tenant in the base's database, on the base's pool.

The base store works in some schema (``public``, or the one its URL's
``search_path`` names); each tenant's schema is named after it:
``<base>__<tenant key in lower case>`` (``public__t0123abcd``). A tenant's
store shares the base's pool, receipts and roles, and puts each of its
transactions in its schema (see :class:`~storage.postgres.store.PostgresStore`),
so a thousand tenants need no more connections than one. Its schema is made
and migrated on first use, on a connection of its own; dropping a tenant
drops its schema with everything in it.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from storage.postgres.connections import connect
from storage.postgres.migrations import migrate
from storage.postgres.store import PostgresStore, quoted
from storage.tenants import TENANT_KEY, TenantRegistry
from storage.unit_of_work import Store

SEPARATOR: Final = "__"
MAX_IDENTIFIER: Final = 63  # bytes of a PostgreSQL name


class PostgresTenants(TenantRegistry):
    """:class:`storage.tenants.Tenants` of a PostgreSQL base store, in schema ``base_schema``."""

    def __init__(self, base: PostgresStore, base_schema: str, *, migrate: bool = True) -> None:
        super().__init__(base)
        self._pg = base
        self._prefix = f"{base_schema}{SEPARATOR}"
        self._migrate = migrate

    @classmethod
    async def open(cls, base: PostgresStore, *, migrate: bool = True) -> PostgresTenants:
        async with base.pool.acquire() as conn:
            schema = await conn.fetchval("SELECT current_schema()")
        if schema is None:
            raise ValueError("the database URL's search_path names no existing schema")
        return cls(base, str(schema), migrate=migrate)

    def schema_of(self, key: str) -> str:
        schema = f"{self._prefix}{key.lower()}"
        if len(schema.encode()) > MAX_IDENTIFIER:
            raise ValueError(f"the schema name {schema} would be too long for PostgreSQL")
        return schema

    async def _make(self, key: str) -> Store:
        schema = self.schema_of(key)
        conn = await connect(self._pg.dsn)
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema)}")
            await conn.execute(f"SET search_path TO {quoted(schema)}")
            await migrate(conn, allowed=self._migrate)
        finally:
            await conn.close()
        return PostgresStore(self._pg.dsn, self._pg.pool, base=self._pg, schema=schema)

    async def _existing(self) -> list[str]:
        async with self._pg.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", self._prefix
            )
        keys = (str(row[0]).removeprefix(self._prefix).upper() for row in rows)
        return [key for key in keys if TENANT_KEY.fullmatch(key)]

    async def _remove(self, key: str) -> bool:
        async with self._pg.pool.acquire() as conn:
            there = await conn.fetchval(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1", self.schema_of(key)
            )
            await conn.execute(f"DROP SCHEMA IF EXISTS {quoted(self.schema_of(key))} CASCADE")
        return bool(there)

    def _url(self, key: str) -> str:
        parts = urlsplit(self._pg.dsn)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
        query.append(("search_path", self.schema_of(key)))
        return urlunsplit(parts._replace(query=urlencode(query)))
