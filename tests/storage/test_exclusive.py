"""The role one process at a time holds: an advisory lock on PostgreSQL, always held on SQLite."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from storage.postgres import open_postgres
from storage.sqlite import open_sqlite
from tests.postgres import empty_schema


async def test_two_postgres_stores_never_hold_the_same_role_and_the_second_takes_it_when_released() -> (
    None
):
    url = await empty_schema()
    first, second = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    try:
        assert await first.exclusive("sweep").hold()
        assert not await second.exclusive("sweep").hold()
        assert await first.exclusive("sweep").hold()  # kept while held
        assert await second.exclusive("other").hold()  # roles are independent
        await first.exclusive("sweep").release()
        assert not first.exclusive("sweep").holding
        assert await second.exclusive("sweep").hold()
        assert not await first.exclusive("sweep").hold()
    finally:
        await first.close()
        await second.close()


async def test_a_holder_whose_session_dies_loses_the_role_and_another_store_takes_it() -> None:
    url = await empty_schema()
    first, second = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    admin = await asyncpg.connect(url)
    try:
        assert await first.exclusive("sweep").hold()
        terminated = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND ((classid::bigint << 32) | objid::bigint) "
            "= hashtextextended(current_schema() || ':sweep', 0)"
        )
        assert terminated == 1
        assert await second.exclusive("sweep").hold()  # the lock ended with the session
        assert not await first.exclusive("sweep").hold()  # and the old holder knows it
        assert not first.exclusive("sweep").holding
    finally:
        await admin.close()
        await first.close()
        await second.close()


async def test_closing_a_postgres_store_gives_its_roles_up() -> None:
    url = await empty_schema()
    first, second = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    try:
        assert await first.exclusive("sweep").hold()
        await first.close()
        assert await second.exclusive("sweep").hold()
    finally:
        await second.close()


async def test_every_sqlite_store_holds_every_role(tmp_path: Path) -> None:
    first = await open_sqlite(tmp_path / "a.db")
    second = await open_sqlite(tmp_path / "a.db")
    try:
        assert await first.exclusive("sweep").hold()
        assert await second.exclusive("sweep").hold()
        assert first.describe() == {"engine": "sqlite", "readers": first.describe()["readers"]}
    finally:
        await first.close()
        await second.close()


async def test_a_postgres_store_describes_its_pool() -> None:
    store = await open_postgres(await empty_schema(), pool_size=3)
    try:
        async with store.read():
            described = store.describe()
    finally:
        await store.close()
    assert described["engine"] == "postgresql"
    pool = described["pool"]
    assert isinstance(pool, dict)
    assert pool["max"] == 3
    assert pool["in_use"] == 1
    assert pool["in_use"] + pool["free"] == pool["size"]
