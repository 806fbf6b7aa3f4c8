"""Tenants: each workspace or Grid org keeps its data in a store of its own, beside the base.

Run on every kind of base store (a SQLite file, the throw-away database and a
PostgreSQL schema): a tenant's store is made on first use and kept; what one
tenant writes is seen by no other and not by the base, through any port or in
any table; the same ids in two tenants are two rows; each tenant has its own
writers' lock and version; dropping a tenant deletes all it had; keys that are
not Slack IDs are refused before anything is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.model import Benefit, Category
from storage import open_tenants
from storage.copying import (
    BOOKKEEPING,
    SEEDED,
    PostgresTables,
    SqliteTables,
    Tables,
    copy_database,
    open_tables,
)
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore
from storage.tenants import NotATenant, Tenants
from storage.unit_of_work import Store
from tests.storage.company import at, populate

A, B = "T0AAAAAAA", "E0BBBBBBB"  # a workspace and an org-wide install


@pytest.fixture
async def tenants(store: Store) -> AsyncIterator[Tenants]:
    opened = await open_tenants(store)
    try:
        yield opened
    finally:
        for key in await opened.keys():
            await opened.drop(key)
        await opened.close()


async def tables_of(tenants: Tenants, key: str | None) -> Tables:
    """The tables of tenant ``key`` (None: of the base), read as copy-db reads them."""
    store = tenants.base if key is None else await tenants.store(key)
    if isinstance(store, SqliteStore):
        return SqliteTables(store.path)
    assert isinstance(store, PostgresStore)
    return await PostgresTables.open(store.dsn if key is None else tenants.url(key))


async def dump(tenants: Tenants, key: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of tenant ``key`` (None: the base)."""
    tables = await tables_of(tenants, key)
    try:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        async with tables.snapshot():
            for table in sorted(await tables.tables()):
                columns = await tables.columns(table)
                rows[table] = [row async for batch in tables.rows(table, columns) for row in batch]
        return rows
    finally:
        await tables.close()


async def test_a_tenants_store_is_made_on_first_use_then_kept_and_listed(
    tenants: Tenants,
) -> None:
    assert await tenants.keys() == []
    first = await tenants.store(A)
    assert await tenants.store(A) is first
    assert await tenants.keys() == [A]
    async with first.read() as uow:  # made and migrated: every port answers, empty
        assert await uow.membership.get() is None
        assert await uow.benefits.all() == []


async def test_tenants_opened_at_the_same_moment_get_one_store_each(tenants: Tenants) -> None:
    opened = await asyncio.gather(*(tenants.store(k) for k in (A, B, A, B, A)))
    assert len({id(s) for s in opened}) == 2
    assert await tenants.keys() == sorted([A, B])


async def test_nothing_one_tenant_writes_is_seen_by_another_or_by_the_base(
    tenants: Tenants,
) -> None:
    await populate(await tenants.store(A))
    written = await dump(tenants, A)
    # Every table the company fills (bookkeeping and the counters the migrations seed aside).
    filled = {t for t, rows in written.items() if rows and t not in BOOKKEEPING | SEEDED}
    assert {"membership", "benefits", "requests", "roles", "outbox", "seat_checks"} <= filled
    for other in (await tenants.store(B), tenants.base):
        async with other.read() as uow:
            assert await uow.membership.get() is None
            assert await uow.benefits.all() == []
            assert await uow.benefits.get("b0") is None
            assert await uow.assignments.of_user("U2") == []
            assert await uow.assignments.count_active("b0") == 0
            assert await uow.requests.get(1) is None
            assert await uow.requests.messages(1) == []
            assert await uow.people.all_roles() == []
            assert await uow.people.get_user("U2") is None
            assert await uow.audit.recent(100) == []
            assert await uow.keys.all_ciphertexts() == []
            assert await uow.keys.first_reveal() is None
            assert await uow.activations.all() == []
            assert await uow.marketing_contact.get() is None
            assert await uow.advisory.hours_used("b4") == 0
            assert await uow.service_requests.all() == []
            assert await uow.outbox.count(state=None) == 0
            assert await uow.outbox.get_watermark("expiry") is None
            assert await uow.offboardings.departed() == []
            assert await uow.seat_checks.all() == {}
    for key in (B, None):
        rows = await dump(tenants, key)
        assert [t for t in sorted(filled) if rows[t]] == []  # no row in any of them


async def test_the_same_ids_in_two_tenants_are_two_rows_and_changing_one_leaves_the_other(
    tenants: Tenants,
) -> None:
    await populate(await tenants.store(A))
    before = await dump(tenants, A)
    other = await tenants.store(B)
    await populate(other)  # benefit b0, request 1, assignment 1 … all over again
    async with other.write() as uow:
        await uow.benefits.put(Benefit("b0", "Renamed in B", Category.SOFTWARE, seats=1))
        await uow.assignments.release(2, at=at(30))
        await uow.people.revoke_role("UADMIN", next(iter(await uow.people.roles_of("UADMIN"))))
    assert await dump(tenants, A) == before
    async with (await tenants.store(A)).read() as uow:
        kept = await uow.benefits.get("b0")
        assert kept is not None
        assert kept.name == "Zeta"


async def test_a_tenant_writes_while_another_holds_its_writers_lock(tenants: Tenants) -> None:
    first, second = await tenants.store(A), await tenants.store(B)
    async with first.write() as uow:
        await uow.benefits.put(Benefit("x", "Held", Category.SOFTWARE, seats=1))

        async def write_beside() -> None:
            async with second.write() as other:
                await other.benefits.put(Benefit("y", "Beside", Category.SOFTWARE, seats=1))

        await asyncio.wait_for(write_beside(), timeout=5)  # waits for nothing of A's
    async with second.read() as uow:
        assert [b.id for b in await uow.benefits.all()] == ["y"]


async def test_each_tenant_has_a_version_of_its_own(tenants: Tenants) -> None:
    first, second = await tenants.store(A), await tenants.store(B)
    before = (await first.version(), await second.version(), await tenants.base.version())
    async with first.write() as uow:
        await uow.benefits.put(Benefit("x", "New", Category.SOFTWARE, seats=1))
    assert await first.version() != before[0]
    assert (await second.version(), await tenants.base.version()) == before[1:]


async def test_dropping_a_tenant_deletes_everything_it_had_and_it_starts_empty_again(
    tenants: Tenants,
) -> None:
    await populate(await tenants.store(A))
    await populate(await tenants.store(B))
    assert await tenants.drop(A) is True
    assert await tenants.keys() == [B]
    assert await tenants.drop(A) is False  # nothing left to drop
    again = await tenants.store(A)
    async with again.read() as uow:
        assert await uow.benefits.all() == []
    async with (await tenants.store(B)).read() as uow:
        assert len(await uow.benefits.all()) > 0  # the other tenant kept all it had


@pytest.mark.parametrize(
    "key",
    [
        "",
        "t0abc",
        "T0",
        "X0ABCDEF",
        "T0ABC;DROP",
        "../T0ABC",
        "T0ABC ",
        "Ｔ０ＡＢＣ",
        "T" + "A" * 40,
    ],
)
async def test_a_key_that_is_not_a_slack_team_or_org_id_is_refused_and_nothing_is_made(
    tenants: Tenants, key: str
) -> None:
    with pytest.raises(NotATenant, match="not a Slack team ID"):
        await tenants.store(key)
    with pytest.raises(NotATenant):
        await tenants.drop(key)
    assert await tenants.keys() == []


async def test_tenants_share_the_base_receipts_and_roles(tenants: Tenants) -> None:
    tenant = await tenants.store(A)
    assert tenant.receipts is tenants.base.receipts
    if isinstance(tenant, PostgresStore):  # SQLite: every process holds every role
        assert tenant.exclusive("reminder-sweep") is tenants.base.exclusive("reminder-sweep")


async def test_many_postgresql_tenants_need_no_more_connections_than_the_base_pool(
    tenants: Tenants,
) -> None:
    if not isinstance(tenants.base, PostgresStore):
        pytest.skip("a PostgreSQL store's pool")
    keys = [f"T0POOL{n:03d}" for n in range(12)]
    stores = [await tenants.store(k) for k in keys]

    async def use(store: Store, n: int) -> None:
        async with store.write() as uow:
            await uow.benefits.put(Benefit(f"b{n}", f"Benefit {n}", Category.SOFTWARE, seats=1))
        async with store.read() as uow:
            assert [b.id for b in await uow.benefits.all()] == [f"b{n}"]

    await asyncio.gather(*(use(s, n) for n, s in enumerate(stores)))
    assert tenants.base.describe()["pool"]["size"] <= 4  # type: ignore[index]


async def test_a_tenants_url_reaches_its_data_alone(tenants: Tenants, tmp_path: Path) -> None:
    if isinstance(tenants.base, SqliteStore) and tenants.base.throwaway:
        with pytest.raises(ValueError, match="throw-away"):
            tenants.url(A)
        return
    await populate(await tenants.store(A))
    await tenants.store(B)
    copied = tmp_path / "export.db"
    source = await open_tables(tenants.url(A), migrate=False)
    target = await open_tables(f"sqlite:///{copied}", migrate=True)
    try:
        counts = await copy_database(source, target)
    finally:
        await source.close()
        await target.close()
    assert counts["benefits"][0] == len((await dump(tenants, A))["benefits"]) > 0
    assert counts["requests"][0] == len((await dump(tenants, A))["requests"]) > 0
