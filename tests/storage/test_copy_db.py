"""``benefits-bot copy-db``: SQLite → PostgreSQL → SQLite gives back the same database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from storage import open_store
from storage.copying import CopyError, copy_database, open_tables
from tests.postgres import fresh_schema
from tests.storage.company import populate
from tests.storage.test_migrations import dump


async def test_a_company_goes_to_postgres_and_back_with_identical_rows_ids_and_sequences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    store = await open_store(f"sqlite:///{first}")
    await populate(store)
    await store.close()
    async with fresh_schema() as pg_url:
        assert await asyncio.to_thread(main, ["copy-db", f"sqlite:///{first}", pg_url]) == 0
        err = capsys.readouterr().err
        assert "copied audit: 3 rows" in err
        assert "the counts match" in err
        assert await asyncio.to_thread(main, ["copy-db", pg_url, f"sqlite:///{back}"]) == 0
        # The PostgreSQL copy works as a store: the next id follows the copied ones.
        pg = await open_store(pg_url)
        try:
            async with pg.write() as uow:
                made = await uow.service_requests.add(
                    kind="x", created_by="U1", created_at=(await uow.audit.recent(1))[0].at
                )
        finally:
            await pg.close()
    assert made.id == 2
    original = await dump(first)
    assert await dump(back) == original
    # The round trip carried the later tables and columns too, with their values.
    assert sorted(original["generations"]) == [("benefits", 11), ("seats", 5)]
    # after_id, the column before send_started_at and suspended
    assert [p[-3] for p in original["outbox"] if p[1] == "k1:update"] == [1]
    with sqlite3.connect(first) as a, sqlite3.connect(back) as b:
        query = "SELECT name, seq FROM sqlite_sequence ORDER BY name"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


async def test_copying_into_a_database_that_holds_data_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "source.db", tmp_path / "target.db"
    for path in (source, target):
        store = await open_store(f"sqlite:///{path}")
        await populate(store)
        await store.close()
    before = await dump(target)
    source_tables = await open_tables(f"sqlite:///{source}", migrate=False)
    target_tables = await open_tables(f"sqlite:///{target}", migrate=True)
    try:
        with pytest.raises(CopyError, match=r"already holds data \(1 rows in membership\)"):
            await copy_database(source_tables, target_tables)
    finally:
        await source_tables.close()
        await target_tables.close()
    assert await dump(target) == before


def test_copy_db_from_a_throwaway_database_is_refused_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["copy-db", "memory://", f"sqlite:///{tmp_path / 'x.db'}"]) == 1
    assert capsys.readouterr().err.strip() == (
        "error: memory:// is a throw-away database: copy from or to a file or a server"
    )
