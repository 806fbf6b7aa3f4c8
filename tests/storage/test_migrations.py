"""Versioned migrations on both engines: empty to latest, old files upgraded, newer refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from storage import SchemaError, migrate_database, open_store
from storage.copying import SqliteTables
from storage.postgres import SCHEMA_VERSION as PG_VERSION
from storage.sqlite import SCHEMA_VERSION as SQLITE_VERSION
from tests.postgres import fresh_schema

DATA = Path(__file__).parent.parent / "data"
SCHEMA_4 = DATA / "sqlite-schema-4.db"


async def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows: sorted, but for ``request_messages``, whose order is data."""
    tables = SqliteTables(str(path))
    try:
        content: dict[str, list[tuple[object, ...]]] = {}
        for table in await tables.tables():
            columns = await tables.columns(table)
            rows = [row async for batch in tables.rows(table, columns) for row in batch]
            content[table] = rows if table == "request_messages" else sorted(rows, key=repr)
        return content
    finally:
        await tables.close()


async def test_an_empty_sqlite_file_is_migrated_to_the_latest_schema_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert await migrate_database(url) == (0, SQLITE_VERSION)
    assert await migrate_database(url) == (SQLITE_VERSION, SQLITE_VERSION)


async def test_an_empty_postgres_database_is_migrated_to_the_latest_schema_once() -> None:
    async with fresh_schema() as url:
        assert await migrate_database(url) == (0, PG_VERSION)
        assert await migrate_database(url) == (PG_VERSION, PG_VERSION)
        conn = await asyncpg.connect(url)
        try:
            recorded = [r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        finally:
            await conn.close()
        assert recorded == list(range(1, PG_VERSION + 1))


async def test_a_file_written_by_schema_4_opens_upgraded_with_every_row_intact(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "old.db"
    shutil.copyfile(SCHEMA_4, copy)
    before = await dump(copy)
    assert sum(len(rows) for rows in before.values()) > 30
    store = await open_store(f"sqlite:///{copy}")
    await store.close()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SQLITE_VERSION
    after = await dump(copy)
    for table, rows in before.items():
        width = len(rows[0]) if rows else 0
        # Later migrations may add columns (at the end); the old ones keep their values.
        assert [row[:width] for row in after[table]] == rows, table


async def test_a_sqlite_file_behind_the_code_is_refused_when_migrating_on_start_is_off(
    tmp_path: Path,
) -> None:
    path = tmp_path / "behind.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE membership (id INTEGER PRIMARY KEY)")
        conn.execute("PRAGMA user_version = 1")
    with pytest.raises(SchemaError, match=r"^the database has schema version 1 and this code"):
        await open_store(f"sqlite:///{path}", migrate=False)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


async def test_a_sqlite_file_newer_than_the_code_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SQLITE_VERSION + 1}")
    with pytest.raises(SchemaError) as refused:
        await open_store(f"sqlite:///{path}")
    assert str(refused.value) == (
        f"the database has schema version {SQLITE_VERSION + 1}, newer than this code knows "
        f"({SQLITE_VERSION}): upgrade the bot"
    )


async def test_a_postgres_database_newer_than_the_code_is_refused_in_one_line() -> None:
    async with fresh_schema() as url:
        await migrate_database(url)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)", PG_VERSION + 1
            )
        finally:
            await conn.close()
        with pytest.raises(SchemaError) as refused:
            await open_store(url)
        assert "\n" not in str(refused.value)
        assert str(refused.value).startswith(
            f"the database has schema version {PG_VERSION + 1}, newer than this code knows"
        )


async def test_an_empty_postgres_database_is_refused_when_migrating_on_start_is_off() -> None:
    async with fresh_schema() as url:
        with pytest.raises(SchemaError, match="run `benefits-bot migrate`"):
            await open_store(url, migrate=False)


async def test_a_postgres_database_of_schema_1_upgrades_keeping_its_queued_pings() -> None:
    from storage.postgres.migrations import MIGRATIONS as PG_MIGRATIONS

    async with fresh_schema() as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(PG_MIGRATIONS[0])
            await conn.execute(
                "CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now());"
                "INSERT INTO schema_migrations (version) VALUES (1);"
                "INSERT INTO benefits (id, name, category, seats) "
                "VALUES ('vs', 'VS', 'visual_studio', 2);"
                "INSERT INTO outbox (key, recipient, kind, params, created_at, due_at) VALUES "
                "('decision:7', 'U1', 'request_decided', '{}', now(), now())"
            )
        finally:
            await conn.close()
        assert await migrate_database(url) == (1, PG_VERSION)
        store = await open_store(url)
        try:
            async with store.read() as uow:
                [kept] = await uow.outbox.pings(state=None, offset=0, limit=10)
                names = await uow.benefits.names()
                generations = await uow.benefits.generations()
        finally:
            await store.close()
    assert (kept.key, kept.after_id) == ("decision:7", None)
    assert names.match("vs", limit=5).found == "vs"
    assert generations == (1, 1)
