"""The store every contract test runs against, once per kind of store.

``[file]`` is a SQLite file as production opens it; ``[throwaway]`` is the
throw-away SQLite database that ``DATABASE_URL=memory://`` and the unit tests
use. A PostgreSQL store joins these parameters when it comes.
``test_sqlite.py`` overrides ``store`` with a SQLite file only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.sqlite import open_sqlite, throwaway_store
from storage.unit_of_work import Store


@pytest.fixture(params=["file", "throwaway"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    chosen: Store
    if request.param == "throwaway":
        chosen = throwaway_store()
    else:
        chosen = await open_sqlite(tmp_path / "contract.db")
    try:
        yield chosen
    finally:
        await chosen.close()
