"""The offboarding ports on every store: departures (one open per person, ended by a
return) and the "still using it?" checks of seats (docs/rules.md#offboarding)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import Benefit, Category, KeyReveal
from bot.domain.offboarding import Answer, OffboardingState, Source
from storage.unit_of_work import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


async def test_a_departure_is_recorded_once_until_the_person_returns(store: Store) -> None:
    async with store.write() as uow:
        first = await uow.offboardings.start("U1", at=at(0), source=Source.EVENT)
        replayed = await uow.offboardings.start("U1", at=at(1), source=Source.RECONCILIATION)
    assert first is not None
    assert first.state is OffboardingState.OPEN
    assert (first.user_id, first.left_at, first.source) == ("U1", at(0), Source.EVENT)
    assert replayed is None
    async with store.read() as uow:
        assert await uow.offboardings.current("U1") == first
        assert await uow.offboardings.get(first.id) == first
        assert await uow.offboardings.departed() == ["U1"]
    async with store.write() as uow:
        assert await uow.offboardings.returned("U1", at=at(2)) is True
        assert await uow.offboardings.returned("U1", at=at(3)) is False
        again = await uow.offboardings.start("U1", at=at(4), source=Source.EVENT)
    assert again is not None
    assert again.id != first.id
    async with store.read() as uow:
        ended = await uow.offboardings.get(first.id)
        assert ended is not None
        assert ended.returned_at == at(2)
        assert await uow.offboardings.current("U1") == again


async def test_an_offboarding_is_decided_once(store: Store) -> None:
    async with store.write() as uow:
        started = await uow.offboardings.start("U1", at=at(0), source=Source.EVENT)
        assert started is not None
        assert await uow.offboardings.decide(
            started.id, state=OffboardingState.RECLAIMED, by="UADMIN", at=at(1)
        )
        assert not await uow.offboardings.decide(
            started.id, state=OffboardingState.KEPT, by="UOTHER", at=at(2)
        )
        decided = await uow.offboardings.get(started.id)
    assert decided is not None
    assert (decided.state, decided.decided_by, decided.decided_at) == (
        OffboardingState.RECLAIMED,
        "UADMIN",
        at(1),
    )


async def test_a_seat_check_is_asked_answered_and_asked_again_afresh(store: Store) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("m365", "Microsoft 365", Category.SOFTWARE, seats=2))
        seat = await uow.assignments.add(
            benefit_id="m365", user_id="U1", assigned_at=at(0), assigned_by="UADMIN"
        )
        assert not await uow.seat_checks.answer(seat.id, Answer.KEEP, at=at(1))
        await uow.seat_checks.ask(seat.id, at=at(2))
        assert await uow.seat_checks.answer(seat.id, Answer.KEEP, at=at(3))
        answered = await uow.seat_checks.get(seat.id)
        await uow.seat_checks.ask(seat.id, at=at(4))
        fresh = await uow.seat_checks.get(seat.id)
        every = await uow.seat_checks.all()
    assert answered is not None
    assert (answered.answer, answered.answered_at) == (Answer.KEEP, at(3))
    assert fresh is not None
    assert (fresh.asked_at, fresh.answer, fresh.answered_at) == (
        at(4),
        None,
        None,
    )
    assert every == {seat.id: fresh}


async def test_a_key_reveal_counts_for_its_holder_and_benefit_from_a_moment_on(
    store: Store,
) -> None:
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal("m365", "U1", at(5)))
    async with store.read() as uow:
        assert await uow.seat_checks.revealed("m365", "U1", since=at(5))
        assert not await uow.seat_checks.revealed("m365", "U1", since=at(6))
        assert not await uow.seat_checks.revealed("m365", "U2", since=at(0))
        assert not await uow.seat_checks.revealed("other", "U1", since=at(0))
