"""What the PostgreSQL store adds to the contract: two stores on one database
(as two processes would be) take turns writing, see each other's commits, and
order names exactly as SQLite does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.domain.model import Benefit, Category
from storage.postgres import PostgresStore, open_postgres
from storage.sqlite import throwaway_store
from tests.postgres import empty_schema
from tests.storage.company import NAMES

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def take_seat(store: PostgresStore, user: str) -> bool:
    """A service's check-then-write: count the seats taken, then take one if any is left."""
    async with store.write() as uow:
        benefit = await uow.benefits.get("vs")
        assert benefit is not None
        assert benefit.seats is not None
        if await uow.assignments.count_active("vs") >= benefit.seats:
            return False
        await asyncio.sleep(0)  # let the other writers run, if they could
        await uow.assignments.add(
            benefit_id="vs", user_id=user, assigned_at=T0, assigned_by="UADMIN"
        )
        return True


async def test_two_stores_racing_for_three_seats_assign_exactly_three() -> None:
    url = await empty_schema()
    one, two = await open_postgres(url, pool_size=4), await open_postgres(url, pool_size=4)
    try:
        async with one.write() as uow:
            await uow.benefits.put(Benefit("vs", "VS", Category.VISUAL_STUDIO, seats=3))
        results = await asyncio.gather(
            *(take_seat(one if i % 2 else two, f"U{i}") for i in range(20))
        )
        async with two.read() as uow:
            taken = await uow.assignments.count_active("vs")
    finally:
        await one.close()
        await two.close()
    assert results.count(True) == 3
    assert taken == 3


async def test_a_commit_by_another_store_changes_the_version() -> None:
    url = await empty_schema()
    one, two = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    try:
        seen = await one.version()
        assert await one.version() == seen
        async with two.write() as uow:
            await uow.benefits.put(Benefit("x", "X", Category.SOFTWARE, seats=1))
        assert await one.version() != seen
    finally:
        await one.close()
        await two.close()


async def test_a_read_keeps_its_snapshot_while_another_store_commits() -> None:
    url = await empty_schema()
    one, two = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    try:
        async with one.read() as before:
            assert await before.benefits.count(category=None) == 0
            async with two.write() as uow:
                await uow.benefits.put(Benefit("x", "X", Category.SOFTWARE, seats=1))
            assert await before.benefits.count(category=None) == 0
        async with one.read() as after:
            assert await after.benefits.count(category=None) == 1
    finally:
        await one.close()
        await two.close()


async def test_both_engines_order_and_search_the_same_names_the_same_way() -> None:
    benefits = [
        Benefit(f"id-{i}" if i % 2 else f"ID-{i}", name, Category.SOFTWARE, seats=1)
        for i, name in enumerate((*NAMES, "straße", "STRASSE", "Apple", "ﬀ", "ff"))
    ]
    postgres = await open_postgres(await empty_schema(), pool_size=2)
    sqlite = throwaway_store()
    answers = []
    try:
        for store in (sqlite, postgres):
            async with store.write() as uow:
                for benefit in benefits:
                    await uow.benefits.put(benefit)
            async with store.read() as uow:
                answers.append(
                    (
                        [b.name for b in await uow.benefits.all()],
                        [
                            [b.id for b in await uow.benefits.by_name_prefix(p, limit=20)]
                            for p in ("a", "STRA", "ä", "ff", "id-1", "ID-2", "Ω", "%")
                        ],
                    )
                )
    finally:
        await sqlite.close()
        await postgres.close()
    assert answers[0] == answers[1]
    # The order both give is case-folded names by code point, then ids.
    assert answers[0][0] == [
        b.name for b in sorted(benefits, key=lambda b: (b.name.casefold(), b.id))
    ]
    assert answers[0][1][1] == ["ID-10", "id-3", "id-9"]  # STRASSE, Straße, straße: all fold alike


async def test_a_benefit_another_store_commits_reaches_this_stores_name_index() -> None:
    url = await empty_schema()
    one, two = await open_postgres(url, pool_size=2), await open_postgres(url, pool_size=2)
    try:
        async with one.write() as uow:
            await uow.benefits.put(Benefit("vs", "Visual Studio", Category.VISUAL_STUDIO))
        async with one.read() as uow:
            kept = await uow.benefits.names()
            generations = await uow.benefits.generations()
        async with two.write() as uow:
            await uow.benefits.put(Benefit("az", "Azure credits", Category.CLOUD))
            await uow.assignments.add(
                benefit_id="vs", user_id="U1", assigned_at=T0, assigned_by="UADMIN"
            )
        async with one.read() as uow:
            names = await uow.benefits.names()
            after = await uow.benefits.generations()
    finally:
        await one.close()
        await two.close()
    assert kept.match("azure", limit=5).found is None
    assert names.match("azure", limit=5).found == "az"
    assert after[0] != generations[0]
    assert after[1] != generations[1]


async def test_a_statement_that_changes_no_row_leaves_the_generations_alone() -> None:
    store = await open_postgres(await empty_schema(), pool_size=2)
    try:
        async with store.write() as uow:
            await uow.benefits.put(Benefit("vs", "Visual Studio", Category.VISUAL_STUDIO))
        async with store.read() as uow:
            before = await uow.benefits.generations()
        async with store.write() as uow:
            # UPDATEs of assignments that match no row: the triggers fire, nothing changed.
            with pytest.raises(KeyError):
                await uow.assignments.release(12345, at=T0)
            with pytest.raises(KeyError):
                await uow.assignments.resolve_holder(12345, "U1")
            await uow.benefits.put(Benefit("vs", "Visual Studio", Category.VISUAL_STUDIO))
            changed_inside = await uow.benefits.generations()
        async with store.read() as uow:
            after = await uow.benefits.generations()
    finally:
        await store.close()
    # The upsert rewrote the row (a change, as in SQLite); no statement changed a seat.
    assert changed_inside == after
    assert after == (before[0] + 1, before[1])


async def test_a_read_on_a_kept_connection_sees_what_was_committed_after_it_was_kept() -> None:
    """Reads end in the background and keep their connection in a begun transaction;
    its snapshot is taken at the next read's first query, so that read is current."""
    url = await empty_schema()
    one, two = await open_postgres(url, pool_size=4), await open_postgres(url, pool_size=2)
    try:
        for _ in range(3):  # fill the kept connections
            async with one.read() as uow:
                assert await uow.benefits.count(category=None) == 0
        await asyncio.sleep(0.2)  # their background ends and begins are done
        pool = one.describe()["pool"]
        assert isinstance(pool, dict)
        assert 1 <= pool["in_use"] <= 2  # kept: at most two, two left for the rest
        async with two.write() as uow:
            await uow.benefits.put(Benefit("x", "X", Category.SOFTWARE, seats=1))
        async with one.read() as uow:
            assert await uow.benefits.count(category=None) == 1
        with pytest.raises(ValueError, match="a read that fails"):
            async with one.read() as uow:
                raise ValueError("a read that fails")
        async with one.write() as uow:  # the pool still serves writes
            await uow.benefits.put(Benefit("y", "Y", Category.SOFTWARE, seats=1))
        async with one.read() as uow:
            assert await uow.benefits.count(category=None) == 2
    finally:
        await one.close()
        await two.close()
    assert one.pool.is_closing()


async def test_a_store_with_a_small_pool_keeps_no_read_connection_back() -> None:
    store = await open_postgres(await empty_schema(), pool_size=2)
    try:
        for _ in range(3):
            async with store.read() as uow:
                await uow.benefits.count(category=None)
        await asyncio.sleep(0.2)
        async with store.write() as uow, store.read() as reader:  # both connections free
            await uow.benefits.put(Benefit("x", "X", Category.SOFTWARE, seats=1))
            assert await reader.benefits.count(category=None) == 0
        await asyncio.sleep(0.2)
        pool = store.describe()["pool"]
        assert isinstance(pool, dict)
        assert pool["in_use"] == 0
    finally:
        await store.close()


async def test_saving_a_receipt_never_waits_for_a_pool_that_the_work_has_used_up() -> None:
    """Receipts keep a connection of their own: a burst's work may hold every other one."""
    store = await open_postgres(await empty_schema(), pool_size=4)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    try:
        first = await store.receipts.receive("approve", {"n": 1}, owner="me", at=now, until=now)
        held = []  # every connection the pool will still give, busy
        while True:
            try:
                held.append(await store.pool.acquire(timeout=0.3))
            except TimeoutError:
                break
        try:
            assert len(held) == 3
            second = await asyncio.wait_for(
                store.receipts.receive("approve", {"n": 2}, owner="me", at=now, until=now),
                timeout=5,
            )
        finally:
            for conn in held:
                await store.pool.release(conn)
        assert second > first
        assert await store.receipts.waiting() == 2
    finally:
        await store.close()
    assert store.pool.is_closing()  # the kept connection went back before the pool closed
