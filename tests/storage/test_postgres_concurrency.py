"""Concurrent writes on PostgreSQL: side by side, yet every promise kept.

``store.write(concurrent=True)`` blocks run beside each other and only an
exclusive write waits for them; the services that use them (filing, approving,
the delivery loop's records) guard their checks with the narrow locks of the
ports. Two stores on one schema stand for two replicas; each has its own
services, as each replica process would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.domain.clock import SystemClock
from bot.domain.model import Benefit, Category, Conflict, RequestStatus, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.services.requests import Decision
from storage.postgres import PostgresStore, open_postgres
from tests.postgres import empty_schema

ADMIN = "UADMIN0001"
SCARCE = Benefit("scarce", "Scarce licence", Category.SOFTWARE, seats=3)
PLENTY = Benefit("plenty", "Plenty licence", Category.SOFTWARE, seats=1000)


@dataclass
class Replica:
    store: PostgresStore
    services: Services


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[Replica, Replica]]:
    url = await empty_schema()
    stores = [await open_postgres(url, pool_size=8) for _ in range(2)]
    try:
        async with stores[0].write() as uow:
            await uow.benefits.put(SCARCE)
            await uow.benefits.put(PLENTY)
        pair = [Replica(s, build_services(s, clock=SystemClock())) for s in stores]
        await pair[0].services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        yield pair[0], pair[1]
    finally:
        for store in stores:
            await store.close()


async def test_concurrent_writes_run_side_by_side_and_an_exclusive_write_waits_for_them(
    replicas: tuple[Replica, Replica],
) -> None:
    one, two = replicas[0].store, replicas[1].store
    first_open, second_entered, exclusive_entered = (asyncio.Event() for _ in range(3))
    release = asyncio.Event()

    async def first() -> None:
        async with one.write(concurrent=True):
            first_open.set()
            await release.wait()

    async def second() -> None:
        await first_open.wait()
        async with two.write(concurrent=True):
            second_entered.set()

    async def exclusive() -> None:
        await first_open.wait()
        async with two.write():
            exclusive_entered.set()

    tasks = [asyncio.create_task(f()) for f in (first, second, exclusive)]
    await asyncio.wait_for(second_entered.wait(), 5)  # did not wait for the first
    await asyncio.sleep(0.3)
    assert not exclusive_entered.is_set()  # waits while a concurrent write is open
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert exclusive_entered.is_set()


async def test_approvals_racing_on_two_replicas_give_out_exactly_the_seats(
    replicas: tuple[Replica, Replica],
) -> None:
    members = [f"UMEMBER{i:04d}" for i in range(12)]
    filed = [
        await replicas[i % 2].services.requests.request_benefit(m, SCARCE.id, "needed")
        for i, m in enumerate(members)
    ]

    outcomes = await asyncio.gather(
        *(
            replicas[i % 2].services.requests.approve(ADMIN, f.request.id)
            for i, f in enumerate(filed)
        ),
        return_exceptions=True,
    )

    approved = [o for o in outcomes if isinstance(o, Decision)]
    refused = [o for o in outcomes if not isinstance(o, Decision)]
    assert len(approved) == 3
    assert all(isinstance(e, Conflict) and e.message.startswith("No seat") for e in refused)
    async with replicas[0].store.read() as uow:
        assert await uow.assignments.count_active(SCARCE.id) == 3
        statuses = [(await uow.requests.get(f.request.id)) for f in filed]
    assert [s.status for s in statuses if s is not None].count(RequestStatus.APPROVED) == 3


async def test_one_request_approved_on_two_replicas_at_once_is_approved_once(
    replicas: tuple[Replica, Replica],
) -> None:
    filed = [
        await replicas[0].services.requests.request_benefit(f"UTWICE{i:04d}", PLENTY.id, "x")
        for i in range(8)
    ]

    outcomes = await asyncio.gather(
        *(r.services.requests.approve(ADMIN, f.request.id) for f in filed for r in replicas),
        return_exceptions=True,
    )

    approved = [o for o in outcomes if isinstance(o, Decision)]
    refused = [o for o in outcomes if not isinstance(o, Decision)]
    assert sorted(d.request.id for d in approved) == sorted(f.request.id for f in filed)
    assert len(refused) == len(filed)
    assert all(
        isinstance(e, Conflict) and "already approved" in e.message and e.params["decider_user"]
        for e in refused
    )
    async with replicas[0].store.read() as uow:
        assert await uow.assignments.count_active(PLENTY.id) == len(filed)
        audit = await uow.audit.recent(100)
    assert [e.action for e in audit].count("assignment.create") == len(filed)


async def test_one_member_filing_on_two_replicas_at_once_files_one_request(
    replicas: tuple[Replica, Replica],
) -> None:
    outcomes = await asyncio.gather(
        *(
            replicas[i % 2].services.requests.request_benefit(
                "UDOUBLE001", f"{PLENTY.id} for the lab"
            )
            for i in range(6)
        ),
        return_exceptions=True,
    )

    filed = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(filed) == 1
    assert all(
        isinstance(e, Conflict) and e.message.startswith("You already asked") for e in refused
    )
    async with replicas[0].store.read() as uow:
        pending = await uow.requests.of_user("UDOUBLE001", status=RequestStatus.PENDING)
    assert [r.id for r in pending] == [filed[0].request.id]


async def test_a_filing_waits_while_an_approval_of_the_same_member_holds_them(
    replicas: tuple[Replica, Replica],
) -> None:
    """The approval holds the member, so the filing sees the seat it gave: refused."""
    first = await replicas[0].services.requests.request_benefit("UHOLD0001", SCARCE.id, "x")
    holding = asyncio.Event()
    release = asyncio.Event()

    async def approval_in_progress() -> None:
        async with replicas[0].store.write(concurrent=True) as uow:
            await uow.assignments.hold(user_id="UHOLD0001", benefit_id=SCARCE.id)
            holding.set()
            await release.wait()
            await uow.requests.decide(
                first.request.id,
                status=RequestStatus.APPROVED,
                decided_by=ADMIN,
                decided_at=first.request.created_at,
            )
            await uow.assignments.add(
                benefit_id=SCARCE.id,
                user_id="UHOLD0001",
                assigned_at=first.request.created_at,
                assigned_by=ADMIN,
            )

    approving = asyncio.create_task(approval_in_progress())
    await holding.wait()
    filing = asyncio.create_task(
        replicas[1].services.requests.request_benefit("UHOLD0001", SCARCE.id, "again")
    )
    await asyncio.sleep(0.3)
    assert not filing.done()  # waits for the member
    release.set()
    await approving
    with pytest.raises(Conflict, match="You already hold"):  # the msgid
        await filing
