"""The base of every SQLite area repository: a thin view over one connection.

Statements run inline on the event loop (see :mod:`storage.sqlite.store`), so a
repository method calls sqlite3 directly: no thread hop, no extra coroutine per
statement. A store builds one set of area views per connection, once, and hands
the same :class:`~storage.sqlite.unit_of_work.SqliteUnitOfWork` to every block
on that connection, so opening a unit of work allocates nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from storage.sql.rows import Row


class Area:
    """Queries on one connection; the caller's ``read()``/``write()`` block owns the transaction."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        return self._conn.execute(sql, params).fetchone()  # type: ignore[no-any-return]
