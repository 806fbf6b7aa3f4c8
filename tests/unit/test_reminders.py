"""The reminder service: who is owed which ping, and when (MemoryStore, FakeClock).

The clock is moved across thresholds and the sweep asked what fell due; the
outbox is read through the repository API.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import ActivationCompleted
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    KeyReveal,
    Level,
    MarketingContact,
    Membership,
    RequestStatus,
    Role,
)
from bot.domain.outbox import NewPing, Ping, PingState
from bot.services.core import EventBus
from bot.services.outbox import OutboxService
from bot.services.reminders import Kind, ReminderRules, ReminderService
from storage.sqlite import SqliteStore, open_sqlite, throwaway_store
from storage.unit_of_work import Store
from tests.unit.conftest import ADMIN, ADMIN2, CO_SELL, M365, MEMBER, MEMBER2, SUPPORT, VS_ENT

PARTNER = "UPARTNER1"  # an MPN partner admin
CONTACT = "UCONTACT1"  # the marketing contact
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def nine(day: date, *, minutes: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(minutes=minutes)


@pytest.fixture
async def admins(store: SqliteStore, clock: FakeClock) -> None:
    async with store.write() as uow:
        await uow.people.grant_role(ADMIN, Role.GLOBAL_ADMIN, at=clock.now())
        await uow.people.grant_role(ADMIN2, Role.GLOBAL_ADMIN, at=clock.now())
        await uow.people.grant_role(PARTNER, Role.MPN_PARTNER_ADMIN, at=clock.now())
        await uow.marketing_contact.put(
            MarketingContact(CONTACT, "contact@example.org", "+31201234567", "en", ADMIN, T0)
        )


@pytest.fixture
def reminders(store: SqliteStore, clock: FakeClock, admins: None) -> ReminderService:
    return ReminderService(store, clock=clock)


@pytest.fixture
def deliveries(store: SqliteStore, clock: FakeClock, admins: None) -> OutboxService:
    return OutboxService(store, clock=clock)


async def outbox(store: Store, kind: Kind | None = None) -> list[Ping]:
    async with store.read() as uow:
        total = await uow.outbox.count(state=None)
        found = await uow.outbox.pings(state=None, offset=0, limit=total)
    return [p for p in found if kind is None or p.kind == kind]


async def sweep_at(reminders: ReminderService, clock: FakeClock, moment: datetime) -> int:
    clock.set(moment)
    return await reminders.sweep()


def recipients(pings: list[Ping]) -> list[str]:
    return sorted(p.recipient for p in pings)


async def active_offer(store: SqliteStore, ends: date, *, benefit: Benefit = CO_SELL) -> None:
    async with store.write() as uow:
        await uow.activations.put(
            Activation(
                benefit.id,
                ActivationStatus.ACTIVE,
                requested_by=MEMBER,
                requested_at=T0 - timedelta(days=30),
                completed_by=ADMIN,
                completed_at=T0 - timedelta(days=20),
                expires_on=ends,
            )
        )


# -- offers and benefits nearing their end -------------------------------------------


async def test_an_offer_reminds_its_contact_and_the_admins_30_7_and_1_days_before_it_ends(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    ends = date(2026, 4, 30)
    await active_offer(store, ends)
    await sweep_at(reminders, clock, T0)
    for days in (30, 7, 1):
        await sweep_at(reminders, clock, nine(ends - timedelta(days=days), minutes=-1))
        before = await outbox(store, Kind.OFFER_EXPIRING)
        await sweep_at(reminders, clock, nine(ends - timedelta(days=days)))
        pings = [p for p in await outbox(store, Kind.OFFER_EXPIRING) if p not in before]
        assert recipients(pings) == sorted([CONTACT, ADMIN, ADMIN2, PARTNER])
        assert {p.key for p in pings} == {f"expiry:offer:gtm-cosell:2026-04-30:{days}"}
        assert {p.params["days_left"] for p in pings} == {days}
        contact = next(p for p in pings if p.recipient == CONTACT)
        assert contact.params["as"] == "contact"
    assert len(await outbox(store, Kind.OFFER_EXPIRING)) == 12


async def test_sweeping_again_queues_nothing_twice(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    ends = date(2026, 2, 1)
    await active_offer(store, ends)
    await sweep_at(reminders, clock, T0)
    assert await sweep_at(reminders, clock, nine(ends - timedelta(days=7))) == 4
    assert await reminders.sweep() == 0
    # even a sweep that looks at the same window again (the watermark lost) queues nothing
    async with store.write() as uow:
        await uow.outbox.set_watermark("reminders", T0)
    assert await reminders.sweep() == 0
    assert len(await outbox(store, Kind.OFFER_EXPIRING)) == 4


async def test_after_downtime_across_two_thresholds_only_the_most_urgent_is_sent_once(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    ends = date(2026, 3, 10)
    await active_offer(store, ends)
    await sweep_at(reminders, clock, nine(ends - timedelta(days=8)))  # then the bot is down
    await sweep_at(reminders, clock, nine(ends - timedelta(days=1), minutes=30))
    pings = await outbox(store, Kind.OFFER_EXPIRING)
    assert {p.key for p in pings} == {"expiry:offer:gtm-cosell:2026-03-10:1"}
    assert len(pings) == 4
    assert await sweep_at(reminders, clock, nine(ends)) == 0


async def test_an_assigned_benefit_reminds_its_holders_and_the_admins(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    ends = date(2026, 2, 20)
    expiring = Benefit("m365", M365.name, Category.SOFTWARE, seats=5, expires_on=ends)
    async with store.write() as uow:
        await uow.benefits.put(expiring)
        for user in (MEMBER, MEMBER2):
            await uow.assignments.add(
                benefit_id="m365", user_id=user, assigned_at=T0, assigned_by=ADMIN
            )
        gone = await uow.assignments.add(
            benefit_id="m365", user_id="UFORMER01", assigned_at=T0, assigned_by=ADMIN
        )
        await uow.assignments.release(gone.id, at=T0)
        await uow.assignments.add(
            benefit_id="m365",
            user_id=None,
            holder_email="unknown@example.com",
            assigned_at=T0,
            assigned_by=ADMIN,
        )
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, nine(ends - timedelta(days=30)))
    pings = await outbox(store, Kind.BENEFIT_EXPIRING)
    assert recipients(pings) == sorted([MEMBER, MEMBER2, ADMIN, ADMIN2, PARTNER])
    assert {p.params["as"] for p in pings if p.recipient in (MEMBER, MEMBER2)} == {"holder"}


async def test_the_very_first_sweep_looks_back_one_day_only(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    await active_offer(store, date(2026, 1, 22))  # its 7-day point was 2026-01-15 09:00
    await sweep_at(reminders, clock, T0 + timedelta(hours=23))
    assert len(await outbox(store, Kind.OFFER_EXPIRING)) == 4
    other = throwaway_store()
    late = ReminderService(other, clock=clock)
    async with other.write() as uow:
        await uow.people.grant_role(ADMIN, Role.GLOBAL_ADMIN, at=T0)
        await uow.benefits.put(CO_SELL)
    await active_offer(other, date(2026, 1, 22))
    await sweep_at(late, clock, T0 + timedelta(days=2))
    assert await outbox(other, Kind.OFFER_EXPIRING) == []


async def test_expiry_thresholds_and_the_hour_come_from_the_rules(
    store: SqliteStore, clock: FakeClock, admins: None
) -> None:
    reminders = ReminderService(
        store, clock=clock, rules=ReminderRules(expiry_days=(3,), reminder_hour=14)
    )
    ends = date(2026, 2, 10)
    await active_offer(store, ends)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, datetime(2026, 2, 7, 13, 59, tzinfo=UTC))
    assert await outbox(store, Kind.OFFER_EXPIRING) == []
    await sweep_at(reminders, clock, datetime(2026, 2, 7, 14, 0, tzinfo=UTC))
    assert {p.key for p in await outbox(store, Kind.OFFER_EXPIRING)} == {
        "expiry:offer:gtm-cosell:2026-02-10:3"
    }


# -- requests waiting for a Global admin ---------------------------------------------


async def test_a_waiting_request_reminds_the_global_admins_once_a_day_until_decided(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    async with store.write() as uow:
        request = await uow.requests.add(
            benefit_id=VS_ENT.id, requester_id=ADMIN2, reason="new hire", created_at=T0
        )
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(hours=23, minutes=59))
    assert await outbox(store, Kind.APPROVAL_WAITING) == []
    await sweep_at(reminders, clock, T0 + timedelta(hours=24))
    first = await outbox(store, Kind.APPROVAL_WAITING)
    assert recipients(first) == [ADMIN]  # not the requester, not the MPN partner admin
    assert first[0].key == f"approval:{request.id}:1"
    assert first[0].params["request_id"] == request.id
    assert first[0].params["reason"] == "new hire"
    await sweep_at(reminders, clock, T0 + timedelta(hours=40))
    assert len(await outbox(store, Kind.APPROVAL_WAITING)) == 1
    await sweep_at(reminders, clock, T0 + timedelta(hours=48))
    assert [p.key for p in await outbox(store, Kind.APPROVAL_WAITING)] == [
        f"approval:{request.id}:1",
        f"approval:{request.id}:2",
    ]
    async with store.write() as uow:
        await uow.requests.decide(
            request.id, status=RequestStatus.APPROVED, decided_by=ADMIN, decided_at=clock.now()
        )
    await sweep_at(reminders, clock, T0 + timedelta(hours=72))
    assert len(await outbox(store, Kind.APPROVAL_WAITING)) == 2


async def test_after_downtime_a_waiting_request_gets_one_reminder_not_one_per_missed_day(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    async with store.write() as uow:
        request = await uow.requests.add(
            benefit_id=VS_ENT.id, requester_id=MEMBER, reason="", created_at=T0
        )
    await sweep_at(reminders, clock, T0 + timedelta(hours=1))
    await sweep_at(reminders, clock, T0 + timedelta(hours=80))
    pings = await outbox(store, Kind.APPROVAL_WAITING)
    assert {p.key for p in pings} == {f"approval:{request.id}:3"}
    assert recipients(pings) == [ADMIN, ADMIN2]
    assert pings[0].params["hours"] == 80


async def test_the_wait_before_the_first_approval_reminder_comes_from_the_rules(
    store: SqliteStore, clock: FakeClock, admins: None
) -> None:
    rules = ReminderRules(approval_after=timedelta(hours=4))
    reminders = ReminderService(store, clock=clock, rules=rules)
    async with store.write() as uow:
        await uow.requests.add(benefit_id=VS_ENT.id, requester_id=MEMBER, reason="", created_at=T0)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(hours=4))
    assert len(await outbox(store, Kind.APPROVAL_WAITING)) == 2


# -- activations -------------------------------------------------------------------


async def test_an_activation_pending_a_week_reminds_the_admins_who_can_activate_once(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    async with store.write() as uow:
        await uow.activations.put(Activation(SUPPORT.id, ActivationStatus.PENDING, MEMBER, T0))
        await uow.activations.put(
            Activation(CO_SELL.id, ActivationStatus.ACTIVE, MEMBER, T0, expires_on=None)
        )
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(days=7) - timedelta(seconds=1))
    assert await outbox(store, Kind.ACTIVATION_PENDING) == []
    await sweep_at(reminders, clock, T0 + timedelta(days=7))
    await sweep_at(reminders, clock, T0 + timedelta(days=9))
    pings = await outbox(store, Kind.ACTIVATION_PENDING)
    assert recipients(pings) == sorted([ADMIN, ADMIN2, PARTNER])
    assert {p.params["benefit_id"] for p in pings} == {SUPPORT.id}


async def test_a_completed_activation_queues_pings_in_the_same_transaction(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    bus = EventBus()
    bus.subscribe_all(reminders.on_event)
    done = Activation(
        CO_SELL.id,
        ActivationStatus.ACTIVE,
        requested_by=MEMBER,
        requested_at=T0 - timedelta(days=3),
        completed_by=ADMIN,
        completed_at=T0,
        expires_on=date(2026, 12, 31),
    )

    async def complete_and_fail() -> None:
        async with store.write() as uow:
            await bus.emit(uow, ActivationCompleted(CO_SELL, done))
            raise RuntimeError("the activation could not be saved")

    with pytest.raises(RuntimeError):
        await complete_and_fail()
    assert await outbox(store) == []

    async with store.write() as uow:
        await bus.emit(uow, ActivationCompleted(CO_SELL, done))
    pings = await outbox(store, Kind.ACTIVATION_COMPLETED)
    assert recipients(pings) == sorted([MEMBER, CONTACT, ADMIN, ADMIN2, PARTNER])
    by_user = {p.recipient: p for p in pings}
    assert by_user[MEMBER].params["as"] == "requester"
    assert by_user[CONTACT].params["as"] == "contact"
    assert by_user[ADMIN].params["expires_on"] == "2026-12-31"
    assert {p.key for p in pings} == {"activation:gtm-cosell:20260115T090000"}


async def test_a_technical_benefit_going_active_tells_no_marketing_contact_and_skips_non_users(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    bus = EventBus.to_all([reminders.on_event])
    done = Activation(
        SUPPORT.id,
        ActivationStatus.ACTIVE,
        requested_by="import",
        requested_at=T0,
        completed_by=ADMIN,
        completed_at=T0,
        access_id="1234567",
        contract_id="7654321",
    )
    async with store.write() as uow:
        await bus.emit(uow, ActivationCompleted(SUPPORT, done))
        await bus.emit(uow, ActivationCompleted(SUPPORT, done))  # the same event twice
    pings = await outbox(store, Kind.ACTIVATION_COMPLETED)
    assert recipients(pings) == sorted([ADMIN, ADMIN2, PARTNER])
    assert pings[0].params["access_id"] == "1234567"


# -- the package: refund window and renewal ------------------------------------------


async def membership(store: SqliteStore, purchased: date, ends: date, level: Level) -> None:
    async with store.write() as uow:
        await uow.membership.put(Membership(level, purchased, ends, "partner@example.com"))


async def test_the_refund_window_warns_the_global_admins_5_days_before_it_closes(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    await membership(store, date(2026, 1, 10), date(2027, 1, 9), Level.SILVER)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, nine(date(2026, 2, 4)))  # closes 2026-02-09
    pings = await outbox(store, Kind.REFUND_CLOSING)
    assert recipients(pings) == [ADMIN, ADMIN2]
    assert pings[0].params["ends_on"] == "2026-02-09"
    assert pings[0].params["days_left"] == 5


@pytest.mark.parametrize("activated", ["key viewed", "software assigned"])
async def test_no_refund_warning_once_something_was_activated(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService, activated: str
) -> None:
    await membership(store, date(2026, 1, 10), date(2027, 1, 9), Level.SILVER)
    async with store.write() as uow:
        if activated == "key viewed":
            await uow.keys.add_reveal(KeyReveal(M365.id, ADMIN, T0))
        else:
            await uow.assignments.add(
                benefit_id=M365.id, user_id=MEMBER, assigned_at=T0, assigned_by=ADMIN
            )
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, nine(date(2026, 2, 4)))
    assert await outbox(store, Kind.REFUND_CLOSING) == []


async def test_the_membership_end_reminds_global_and_partner_admins_30_and_15_days_before(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    await membership(store, date(2025, 3, 1), date(2026, 3, 31), Level.ACTION_PACK)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, nine(date(2026, 3, 1)))
    await sweep_at(reminders, clock, nine(date(2026, 3, 16)))
    pings = await outbox(store, Kind.MEMBERSHIP_ENDING)
    assert sorted({p.key for p in pings}) == [
        "membership-end:2026-03-31:15",
        "membership-end:2026-03-31:30",
    ]
    assert recipients(pings) == sorted([ADMIN, ADMIN, ADMIN2, ADMIN2, PARTNER, PARTNER])
    assert {p.params["level"] for p in pings} == {"action_pack"}


# -- Visual Studio: reassignable after 90 days ---------------------------------------


async def assign_vs(store: SqliteStore) -> int:
    async with store.write() as uow:
        made = await uow.assignments.add(
            benefit_id=VS_ENT.id, user_id=MEMBER, assigned_at=T0, assigned_by=ADMIN
        )
    return made.id


async def test_a_visual_studio_subscription_turning_reassignable_tells_nobody_by_default(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    await assign_vs(store)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(days=91))
    assert await outbox(store, Kind.VS_REASSIGNABLE) == []


async def test_when_enabled_day_90_of_a_visual_studio_subscription_tells_the_global_admins(
    store: SqliteStore, clock: FakeClock, admins: None
) -> None:
    reminders = ReminderService(
        store, clock=clock, rules=ReminderRules(remind_vs_reassignable=True)
    )
    assignment_id = await assign_vs(store)
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(days=90) - timedelta(seconds=1))
    assert await outbox(store, Kind.VS_REASSIGNABLE) == []
    await sweep_at(reminders, clock, T0 + timedelta(days=90))
    pings = await outbox(store, Kind.VS_REASSIGNABLE)
    assert recipients(pings) == [ADMIN, ADMIN2]
    assert {p.key for p in pings} == {f"vs-reassignable:{assignment_id}"}
    assert pings[0].params["holder"] == MEMBER


# -- concurrency ---------------------------------------------------------------------


async def test_two_concurrent_sweeps_queue_each_reminder_once(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService
) -> None:
    ends = date(2026, 2, 1)
    await active_offer(store, ends)
    other = ReminderService(store, clock=clock)
    await sweep_at(reminders, clock, T0)
    clock.set(nine(ends - timedelta(days=7)))
    counts = await asyncio.gather(reminders.sweep(), other.sweep(), reminders.sweep())
    assert sum(counts) == 4
    assert len(await outbox(store)) == 4


async def test_two_processes_sweeping_one_database_at_once_queue_each_reminder_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    first = await open_sqlite(tmp_path / "shared.db")
    second = await open_sqlite(tmp_path / "shared.db")  # another process's connections
    try:
        async with first.write() as uow:
            await uow.people.grant_role(ADMIN, Role.GLOBAL_ADMIN, at=T0)
            for i in range(30):
                await uow.benefits.put(Benefit(f"o{i}", f"Offer {i}", Category.GTM))
                await uow.activations.put(
                    Activation(
                        f"o{i}", ActivationStatus.ACTIVE, MEMBER, T0, expires_on=date(2026, 2, 1)
                    )
                )
                await uow.requests.add(
                    benefit_id=f"o{i}", requester_id=MEMBER, reason="", created_at=T0
                )
            await uow.outbox.set_watermark("reminders", T0)
        clock.set(nine(date(2026, 1, 25)))
        sweeps = [ReminderService(s, clock=clock) for s in (first, second, first, second)]
        await asyncio.gather(*(s.sweep() for s in sweeps))
        pings = await outbox(first)
        keys = [(p.key, p.recipient) for p in pings]
        assert len(keys) == len(set(keys)) == 60  # 30 offers + 30 requests, one admin
    finally:
        await first.close()
        await second.close()


# -- outcomes of delivery ------------------------------------------------------------


async def queued_ping(store: SqliteStore, clock: FakeClock, **params: int | str) -> Ping:
    async with store.write() as uow:
        await uow.outbox.enqueue(
            [NewPing("k", MEMBER, Kind.BENEFIT_EXPIRING.value, params)], at=clock.now()
        )
    [ping] = await outbox(store)
    return ping


async def test_a_failed_ping_is_retried_with_doubling_backoff_then_parked_and_admins_told(
    store: SqliteStore, clock: FakeClock, admins: None
) -> None:
    rules = ReminderRules(max_attempts=3, backoff=timedelta(seconds=30))
    deliveries = OutboxService(store, clock=clock, rules=rules)
    await queued_ping(store, clock)
    waits = []
    for _ in range(2):
        [ping] = await deliveries.claim(owner="me", limit=10, lease=timedelta(minutes=2))
        assert await deliveries.failed(ping, owner="me", error="internal_error") is PingState.QUEUED
        [again] = await outbox(store)
        waits.append(again.due_at - clock.now())
        clock.set(again.due_at)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
    [ping] = await deliveries.claim(owner="me", limit=10, lease=timedelta(minutes=2))
    assert await deliveries.failed(ping, owner="me", error="internal_error") is PingState.PARKED
    parked = await outbox(store, Kind.BENEFIT_EXPIRING)
    assert (parked[0].state, parked[0].attempts) == (PingState.PARKED, 3)
    notices = await outbox(store, Kind.DELIVERY_PARKED)
    assert recipients(notices) == [ADMIN, ADMIN2]
    assert notices[0].params["recipient"] == MEMBER
    assert notices[0].params["error"] == "internal_error"


async def test_a_permanent_error_parks_at_once_and_a_failing_notice_raises_no_new_notice(
    store: SqliteStore, clock: FakeClock, deliveries: OutboxService
) -> None:
    await queued_ping(store, clock)
    [ping] = await deliveries.claim(owner="me", limit=10, lease=timedelta(minutes=2))
    state = await deliveries.failed(ping, owner="me", error="user_not_found", permanent=True)
    assert state is PingState.PARKED
    notices = await deliveries.claim(owner="me", limit=10, lease=timedelta(minutes=2))
    assert {p.kind for p in notices} == {Kind.DELIVERY_PARKED}
    for notice in notices:
        await deliveries.failed(notice, owner="me", error="user_not_found", permanent=True)
    assert len(await outbox(store)) == 3  # the ping and two notices, all parked
    assert {p.state for p in await outbox(store)} == {PingState.PARKED}


async def test_a_reminder_about_a_request_decided_meanwhile_is_cancelled_not_sent(
    store: SqliteStore, clock: FakeClock, reminders: ReminderService, deliveries: OutboxService
) -> None:
    async with store.write() as uow:
        request = await uow.requests.add(
            benefit_id=VS_ENT.id, requester_id=MEMBER, reason="", created_at=T0
        )
    await sweep_at(reminders, clock, T0)
    await sweep_at(reminders, clock, T0 + timedelta(days=1))
    [first, second] = await deliveries.claim(owner="me", limit=10, lease=timedelta(minutes=2))
    assert await deliveries.still_wanted(first)
    assert await deliveries.delivered(first, channel="DADMIN001", ts="1.5")
    async with store.read() as uow:
        refs = await uow.requests.messages(request.id)
    assert [(r.channel, r.ts) for r in refs] == [("DADMIN001", "1.5")]
    async with store.write() as uow:
        await uow.requests.decide(
            request.id, status=RequestStatus.DENIED, decided_by=ADMIN, decided_at=clock.now()
        )
    assert not await deliveries.still_wanted(second)
    states = {p.recipient: p.state for p in await outbox(store)}
    assert sorted(states.values()) == [PingState.CANCELLED, PingState.SENT]


async def test_the_listing_pages_the_outbox_by_state(
    store: SqliteStore, clock: FakeClock, deliveries: OutboxService
) -> None:
    async with store.write() as uow:
        await uow.outbox.enqueue(
            [NewPing(f"k{i}", MEMBER, "benefit_expiring") for i in range(7)], at=clock.now()
        )
    page = await deliveries.listing(state=PingState.QUEUED, page=1, page_size=3)
    assert [p.key for p in page.items] == ["k3", "k4", "k5"]
    assert (page.total, page.pages, page.has_next) == (7, 3, True)
    last = await deliveries.listing(state=None, page=99, page_size=3)
    assert [p.key for p in last.items] == ["k6"]
    assert (await deliveries.listing(state=PingState.SENT)).items == []
