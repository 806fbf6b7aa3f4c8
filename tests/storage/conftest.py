"""The store every contract test runs against, once per kind of store.

``[file]`` is a SQLite file as production opens it; ``[throwaway]`` is the
throw-away SQLite database that ``DATABASE_URL=memory://`` and the unit tests
use; ``[postgres]`` is a PostgreSQL store in the run's own schema, emptied for each test (see
:mod:`tests.postgres`; skipped without a server, failed under CI).
``test_sqlite.py`` overrides ``store`` with a SQLite file only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.postgres import open_postgres
from storage.sqlite import open_sqlite, throwaway_store
from storage.unit_of_work import Store
from tests.postgres import empty_schema


@pytest.fixture(params=["file", "throwaway", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "postgres":
        chosen: Store = await open_postgres(await empty_schema(), pool_size=4)
        try:
            yield chosen
        finally:
            await chosen.close()
        return
    if request.param == "throwaway":
        chosen = throwaway_store()
    else:
        chosen = await open_sqlite(tmp_path / "contract.db")
    try:
        yield chosen
    finally:
        await chosen.close()
