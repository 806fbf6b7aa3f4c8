"""Storage: the per-area ports, the unit of work, and the SQLite and PostgreSQL stores."""

from __future__ import annotations

from typing import Final

from storage.schema import DatabaseUnreachable, SchemaError
from storage.tenants import Tenants
from storage.unit_of_work import Store, UnitOfWork

DEFAULT_POOL_SIZE: Final = 10
URL_FORMS: Final = "sqlite:///path, postgresql://user:password@host:5432/database or memory://"


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgresql://", "postgres://"))


async def open_store(
    database_url: str, *, pool_size: int = DEFAULT_POOL_SIZE, migrate: bool = True
) -> Store:
    """Open the store that ``database_url`` names (``sqlite:///path``,
    ``postgresql://...`` or ``memory://``), bringing its schema up to date unless
    ``migrate`` is False (then a schema behind the code raises :class:`SchemaError`;
    one ahead of it always does).

    ``memory://`` is a throw-away SQLite database, deleted when the store closes.
    """
    if database_url == "memory://":
        from storage.sqlite import throwaway_store

        return throwaway_store()
    if database_url.startswith("sqlite:///"):
        from storage.sqlite import open_sqlite

        return await open_sqlite(database_url.removeprefix("sqlite:///"), migrate=migrate)
    if is_postgres(database_url):
        from storage.postgres import open_postgres

        return await open_postgres(database_url, pool_size=pool_size, migrate=migrate)
    raise ValueError(f"DATABASE_URL must be one of: {URL_FORMS}")


async def migrate_database(database_url: str) -> tuple[int, int]:
    """Apply the migrations the database has not seen; (schema version before, after)."""
    if database_url.startswith("sqlite:///"):
        from storage.sqlite.connections import connect_maintenance
        from storage.sqlite.migrations import migrate

        conn = await connect_maintenance(database_url.removeprefix("sqlite:///"))
        try:
            return await migrate(conn)
        finally:
            await conn.close()
    if is_postgres(database_url):
        from storage.postgres import migrate_postgres

        return await migrate_postgres(database_url)
    raise ValueError(f"DATABASE_URL must be one of: {URL_FORMS}")


async def open_tenants(base: Store, *, migrate: bool = True) -> Tenants:
    """The tenants beside ``base`` (see :mod:`storage.tenants`): files beside a SQLite
    file, schemas beside a PostgreSQL schema; each migrated on first use unless
    ``migrate`` is False (then a schema behind the code raises :class:`SchemaError`)."""
    from storage.sqlite import SqliteStore
    from storage.sqlite.tenant_files import SqliteTenants

    if isinstance(base, SqliteStore):
        return SqliteTenants(base, migrate=migrate)
    from storage.postgres import PostgresStore
    from storage.postgres.tenant_schemas import PostgresTenants

    if isinstance(base, PostgresStore):
        return await PostgresTenants.open(base, migrate=migrate)
    raise TypeError(f"no tenants for a {type(base).__name__}")


__all__ = [
    "DEFAULT_POOL_SIZE",
    "DatabaseUnreachable",
    "SchemaError",
    "Store",
    "Tenants",
    "UnitOfWork",
    "is_postgres",
    "migrate_database",
    "open_store",
    "open_tenants",
]
