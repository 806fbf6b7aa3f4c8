"""Throw-away SQLite databases: ``DATABASE_URL=memory://`` and the unit tests.

There is one store implementation, so quick trials and unit tests run the very
code production runs. A throw-away database is a new file in its own temporary
directory, copied from a schema template built once per process (running the
migrations for every test would dominate the test time). Its connections never
sync to disk (``synchronous = OFF``): nothing in it is meant to survive. The
directory (in RAM where ``/dev/shm`` exists) is removed when the store closes,
or when it is garbage-collected.

:func:`throwaway_store` is synchronous, so a test can make one anywhere.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from typing import Final

from storage.sqlite.connections import READER_PRAGMAS, WRITER_PRAGMAS, casefold, connect_inline
from storage.sqlite.migrations import create_schema
from storage.sqlite.store import SqliteStore

_NO_SYNC: Final = ("PRAGMA synchronous = OFF",)
_template: bytes | None = None


def _schema_template() -> bytes:
    """The bytes of an empty, fully migrated database file in WAL mode."""
    global _template
    if _template is None:
        directory = _temporary_directory("benefits-bot-template-")
        try:
            path = os.path.join(directory, "template.db")
            with closing(sqlite3.connect(path, isolation_level=None)) as conn:
                conn.execute("PRAGMA journal_mode = WAL").fetchall()
                conn.create_function("py_casefold", 1, casefold, deterministic=True)  # type: ignore[arg-type]
                create_schema(conn)
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            with open(path, "rb") as file:
                _template = file.read()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    return _template


def _temporary_directory(prefix: str) -> str:
    """A new directory in RAM (``/dev/shm``) where there is one, else in the temp dir."""
    ram = "/dev/shm"
    place = ram if os.path.isdir(ram) and os.access(ram, os.W_OK) else None
    return tempfile.mkdtemp(prefix=prefix, dir=place)


def throwaway_store(*, readers: int = 1) -> SqliteStore:
    """A :class:`SqliteStore` on a new, empty database that is deleted when closed.

    It starts with one reader connection; the pool grows when reads overlap.
    """
    if readers < 1:
        raise ValueError("readers must be at least 1")
    directory = _temporary_directory("benefits-bot-")
    path = os.path.join(directory, "throwaway.db")
    opened: list[sqlite3.Connection] = []
    try:
        with open(path, "wb") as file:
            file.write(_schema_template())
        opened.append(connect_inline(path, (*WRITER_PRAGMAS, *_NO_SYNC)))
        for _ in range(readers):
            opened.append(connect_inline(path, READER_PRAGMAS))
        return SqliteStore(path, None, opened[0], opened[1:], throwaway_dir=directory)
    except BaseException:
        for conn in opened:
            conn.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise
