"""The receipts port on every kind of store: saved, leased, taken over once, deleted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.postgres import open_postgres
from storage.postgres.store import PostgresStore
from storage.unit_of_work import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
BODY = {"user_id": "U1", "text": "request win11 für das Labor 🧪", "response_url": "https://x/1"}


async def save(store: Store, owner: str = "alive", at: datetime = T0) -> int:
    return await store.receipts.receive("command", BODY, owner=owner, at=at, until=at + LEASE)


async def test_a_saved_receipt_waits_until_it_is_finished_once(store: Store) -> None:
    receipt_id = await save(store)
    assert await store.receipts.waiting() == 1
    assert await store.receipts.finish(receipt_id) is True
    assert await store.receipts.finish(receipt_id) is False
    assert await store.receipts.waiting() == 0


async def test_a_receipt_is_taken_over_only_once_its_lease_ran_out(store: Store) -> None:
    first = await save(store, owner="dead")
    second = await save(store, owner="dead", at=T0 + timedelta(seconds=30))

    early = await store.receipts.take_over(
        owner="heir", now=T0 + LEASE - timedelta(seconds=1), until=T0 + 2 * LEASE, limit=10
    )
    assert early == []

    now = T0 + LEASE
    taken = await store.receipts.take_over(owner="heir", now=now, until=now + LEASE, limit=10)
    assert [r.id for r in taken] == [first]
    (receipt,) = taken
    assert receipt.kind == "command"
    assert dict(receipt.body) == BODY
    assert receipt.received_at == T0
    assert receipt.attempts == 2

    again = await store.receipts.take_over(owner="other", now=now, until=now + LEASE, limit=10)
    assert again == []  # leased to the heir now
    later = now + timedelta(seconds=30)
    rest = await store.receipts.take_over(owner="other", now=later, until=later + LEASE, limit=10)
    assert [r.id for r in rest] == [second]


async def test_a_take_over_takes_at_most_its_limit_oldest_first(store: Store) -> None:
    ids = [await save(store, owner="dead") for _ in range(5)]
    now = T0 + LEASE
    taken = await store.receipts.take_over(owner="heir", now=now, until=now + LEASE, limit=3)
    assert [r.id for r in taken] == ids[:3]
    assert await store.receipts.take_over(owner="heir", now=now, until=now, limit=0) == []


async def test_two_processes_taking_over_at_once_never_take_the_same_receipt(
    store: Store,
) -> None:
    ids = {await save(store, owner="dead") for _ in range(40)}
    now = T0 + LEASE
    # PostgreSQL: a second process's pool on the same database; SQLite: one writer anyway
    other = (
        await open_postgres(store.dsn, pool_size=2) if isinstance(store, PostgresStore) else store
    )

    async def take(on: Store, owner: str) -> list[int]:
        got: list[int] = []
        while batch := await on.receipts.take_over(
            owner=owner, now=now, until=now + LEASE, limit=3
        ):
            got += [r.id for r in batch]
            await asyncio.sleep(0)
        return got

    try:
        a, b = await asyncio.gather(take(store, "one"), take(other, "two"))
    finally:
        if other is not store:
            await other.close()
    assert sorted(a + b) == sorted(ids)
    assert not set(a) & set(b)


async def test_receipts_saved_at_once_each_get_their_own_id_with_their_own_payload(
    store: Store,
) -> None:
    bodies = [{"user_id": f"U{n}", "text": f"request {n}"} for n in range(25)]
    ids = await asyncio.gather(
        *(
            store.receipts.receive("command", body, owner="alive", at=T0, until=T0)
            for body in bodies
        )
    )
    assert len(set(ids)) == len(bodies)
    taken = await store.receipts.take_over(owner="heir", now=T0, until=T0 + LEASE, limit=100)
    by_id = {r.id: dict(r.body) for r in taken}
    assert [by_id[i] for i in ids] == bodies
