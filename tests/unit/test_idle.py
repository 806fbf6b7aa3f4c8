"""Idle seats over a clock moved forward (docs/rules.md#idle-seats): the holder is asked
first; "Yes, keep it" keeps the seat out of the digest, "no" or silence puts it in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import KeyReveal, NotFound
from bot.domain.offboarding import ANSWER_WITHIN, Answer
from bot.domain.outbox import Ping
from bot.runtime.container import Services
from bot.services.idle import SEAT_CHECK_KIND, Why
from storage.sqlite import SqliteStore
from tests.unit.conftest import ADMIN, AZURE, M365, MEMBER, MEMBER2

IDLE = timedelta(days=60)


async def _asked(store: SqliteStore) -> list[Ping]:
    async with store.read() as uow:
        every = await uow.outbox.pings(state=None, offset=0, limit=10_000)
    return [p for p in every if p.kind == SEAT_CHECK_KIND]


@pytest.fixture
async def seats(services: Services, store: SqliteStore) -> Services:
    """MEMBER holds Microsoft 365 (it has product keys) and an Azure credit seat;
    MEMBER2 holds Microsoft 365 and reveals its keys."""
    async with store.write() as uow:
        await uow.keys.put(M365.id, ["cipher"])
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    await services.seats.assign(ADMIN, AZURE.id, MEMBER)
    await services.seats.assign(ADMIN, M365.id, MEMBER2)
    return services


async def test_nobody_is_asked_before_the_idle_days_have_passed(
    seats: Services, store: SqliteStore, clock: FakeClock
) -> None:
    clock.advance(IDLE - timedelta(days=1))
    assert await seats.idle.sweep() == 0
    assert await _asked(store) == []


async def test_after_the_idle_days_each_holder_without_a_sign_of_use_is_asked_once(
    seats: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(M365.id, MEMBER2, clock.now() + timedelta(days=3)))
    clock.advance(IDLE)

    assert await seats.idle.sweep() == 2

    asked = await _asked(store)
    assert sorted((p.recipient, p.params["benefit_id"], p.params["keys"]) for p in asked) == [
        (MEMBER, AZURE.id, False),
        (MEMBER, M365.id, True),  # never revealed its keys; MEMBER2 did
    ]
    clock.advance(timedelta(hours=2))
    assert await seats.idle.sweep() == 0  # once a day
    clock.advance(timedelta(days=1))
    assert await seats.idle.sweep() == 0  # asked already within the idle days
    assert len(await _asked(store)) == 2


async def test_yes_keeps_the_seat_out_of_the_digest_and_no_or_silence_puts_it_in(
    seats: Services, store: SqliteStore, clock: FakeClock
) -> None:
    clock.advance(IDLE)
    await seats.idle.sweep()
    ids = {
        str(p.params["benefit_id"]): int(str(p.params["assignment_id"]))
        for p in await _asked(store)
        if p.recipient == MEMBER
    }
    member2_m365 = next(p for p in await _asked(store) if p.recipient == MEMBER2)
    await seats.idle.answer(MEMBER2, int(str(member2_m365.params["assignment_id"])), Answer.KEEP)

    await seats.idle.answer(MEMBER, ids[M365.id], Answer.KEEP)
    assert await seats.idle.reclaimable() == []  # silence only counts after a week

    clock.advance(ANSWER_WITHIN)
    offered = await seats.idle.reclaimable()
    assert [(s.benefit.id, s.why) for s in offered] == [(AZURE.id, Why.NO_ANSWER)]
    assert (await seats.digest.compute()).idle == tuple(offered)

    await seats.idle.answer(MEMBER, ids[AZURE.id], Answer.FREE)
    assert [s.why for s in await seats.idle.reclaimable()] == [Why.SAID_NO]

    # An answer lasts the idle days; then every holder is asked again.
    clock.advance(IDLE)
    await seats.idle.sweep()
    asked = sorted((p.recipient, str(p.params["benefit_id"])) for p in await _asked(store))
    assert asked == [
        (MEMBER, AZURE.id),
        (MEMBER, AZURE.id),
        (MEMBER, M365.id),
        (MEMBER, M365.id),
        (MEMBER2, M365.id),
        (MEMBER2, M365.id),
    ]


async def test_only_the_holder_answers_and_an_admin_frees_an_offered_seat(
    seats: Services, store: SqliteStore, clock: FakeClock
) -> None:
    clock.advance(IDLE)
    await seats.idle.sweep()
    azure = next(p for p in await _asked(store) if p.params["benefit_id"] == AZURE.id)
    assignment_id = int(str(azure.params["assignment_id"]))

    with pytest.raises(NotFound):
        await seats.idle.answer(MEMBER2, assignment_id, Answer.FREE)
    await seats.idle.answer(MEMBER, assignment_id, Answer.FREE)
    await seats.idle.free(ADMIN, AZURE.id, MEMBER, assignment_id)

    async with store.read() as uow:
        assert await uow.assignments.find_active(AZURE.id, MEMBER) is None
    with pytest.raises(NotFound):
        await seats.idle.free(ADMIN, AZURE.id, MEMBER, assignment_id)
