"""The PostgreSQL store, laid out like :mod:`storage.sqlite`.

* :mod:`~storage.postgres.store` -- the store: pool, transactions, version;
* :mod:`~storage.postgres.connections` -- the pool, ``?`` → ``$N``, time codecs;
* :mod:`~storage.postgres.migrations` -- the schema and ``schema_migrations``;
* one module per area (``benefits``, ``assignments``, ``requests``, ...) and
  :mod:`~storage.postgres.unit_of_work`, which groups them. The statements that are
  the same as SQLite's, and the row mappers, are shared (:mod:`storage.sql`).
"""

from __future__ import annotations

from storage.postgres.connections import DEFAULT_POOL_SIZE
from storage.postgres.migrations import MIGRATIONS, SCHEMA_VERSION
from storage.postgres.store import PostgresStore, migrate_postgres, open_postgres
from storage.postgres.unit_of_work import PostgresUnitOfWork

__all__ = [
    "DEFAULT_POOL_SIZE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "PostgresStore",
    "PostgresUnitOfWork",
    "migrate_postgres",
    "open_postgres",
]
