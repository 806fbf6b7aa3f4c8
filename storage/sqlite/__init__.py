"""The SQLite store, split by concern.

* :mod:`~storage.sqlite.store` -- the store: writer lock, reader pool, transactions,
  checkpoints (statements run inline on the event loop; see its docstring);
* :mod:`~storage.sqlite.connections` -- opening connections, ``BEGIN IMMEDIATE``
  without blocking the loop, rollbacks;
* :mod:`~storage.sqlite.migrations` -- the schema and ``PRAGMA user_version``;
* one module per area (``benefits``, ``assignments``, ``requests``, ...) and
  :mod:`~storage.sqlite.unit_of_work`, which groups them; the statements both engines
  run are in :mod:`storage.sql`, and so are the row mappers (:mod:`storage.sql.rows`);
* :mod:`~storage.sqlite.throwaway` -- ``memory://`` and the unit tests' databases.
"""

from __future__ import annotations

from storage.sqlite.migrations import MIGRATIONS, SCHEMA_VERSION
from storage.sqlite.store import CHECKPOINT_EVERY, DEFAULT_READERS, SqliteStore, open_sqlite
from storage.sqlite.throwaway import throwaway_store
from storage.sqlite.unit_of_work import SqliteUnitOfWork

__all__ = [
    "CHECKPOINT_EVERY",
    "DEFAULT_READERS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SqliteStore",
    "SqliteUnitOfWork",
    "open_sqlite",
    "throwaway_store",
]
