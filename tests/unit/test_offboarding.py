"""Offboarding (docs/rules.md#offboarding): a person Slack deactivated is listed to the
Global admins once, and what they held goes back when an admin reclaims it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import (
    Conflict,
    Forbidden,
    MarketingContact,
    RequestStatus,
    Role,
)
from bot.domain.offboarding import OffboardingState, Source
from bot.domain.outbox import Ping, PingState
from bot.runtime.container import Services
from bot.services.offboarding import Item, ItemKind, OffboardingNotice
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    STRANGER,
    VS_ENT,
    audit_log,
    rendered,
)


async def _posts(store: SqliteStore) -> list[Ping]:
    async with store.read() as uow:
        every = await uow.outbox.pings(state=None, offset=0, limit=10_000)
    return [p for p in every if p.kind == OffboardingNotice.POST]


async def _held(services: Services, user: str) -> None:
    """``user`` holds Microsoft 365 and Visual Studio, asked for Azure, is an MPN partner admin."""
    await services.seats.assign(ADMIN, M365.id, user)
    await services.seats.assign(ADMIN, VS_ENT.id, user)
    await services.requests.request_benefit(user, "azure-credit")
    await services.roles.grant(ADMIN, user, Role.MPN_PARTNER_ADMIN)


async def _used(store: SqliteStore, benefit_id: str) -> int:
    async with store.read() as uow:
        return await uow.assignments.count_active(benefit_id)


async def test_a_deactivation_lists_what_the_person_held_to_each_global_admin_once(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)
    await _held(services, MEMBER)

    assert await services.offboarding.user_left(MEMBER) is True

    posts = await _posts(store)
    assert sorted(p.recipient for p in posts) == [ADMIN, ADMIN2]
    view = await services.offboarding.view(int(str(posts[0].params["offboarding_id"])))
    assert [s.benefit.id for s in view.seats] == [M365.id, VS_ENT.id]
    assert [b.id for _, b in view.requests] == ["azure-credit"]
    assert view.roles == (Role.MPN_PARTNER_ADMIN,)


async def test_a_replayed_deactivation_and_the_reconciliation_after_it_do_nothing_twice(
    services: Services, store: SqliteStore
) -> None:
    await _held(services, MEMBER)
    assert await services.offboarding.user_left(MEMBER) is True
    entries = len(await audit_log(store))

    assert await services.offboarding.user_left(MEMBER) is False
    assert await services.offboarding.reconcile({MEMBER: True, MEMBER2: False}) == 0

    assert len(await _posts(store)) == 1
    assert len(await audit_log(store)) == entries


async def test_the_reconciliation_offboards_who_left_while_the_bot_was_down(
    services: Services, store: SqliteStore
) -> None:
    await _held(services, MEMBER)
    await services.seats.assign(ADMIN, M365.id, MEMBER2)

    found = await services.offboarding.reconcile({MEMBER: True, MEMBER2: False, STRANGER: True})

    assert found == 1  # the stranger was never known to the bot
    posts = await _posts(store)
    assert [p.params["user_id"] for p in posts] == [MEMBER]
    async with store.read() as uow:
        departure = await uow.offboardings.current(MEMBER)
        assert await uow.offboardings.current(STRANGER) is None
    assert departure is not None
    assert departure.source is Source.RECONCILIATION


async def test_someone_who_holds_nothing_is_recorded_without_a_message(
    services: Services, store: SqliteStore
) -> None:
    assert await services.offboarding.user_left(MEMBER) is True  # in the directory
    assert await _posts(store) == []


async def test_reclaim_all_frees_exactly_their_seats_withdraws_requests_and_revokes_roles(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await _held(services, MEMBER)
    await services.seats.assign(ADMIN, M365.id, MEMBER2)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))
    clock.advance(timedelta(hours=1))

    view = await services.offboarding.reclaim(ADMIN, offboarding_id)

    assert view.empty
    assert view.offboarding.state is OffboardingState.RECLAIMED
    assert await _used(store, M365.id) == 1  # MEMBER2 keeps theirs
    assert await _used(store, VS_ENT.id) == 0
    async with store.read() as uow:
        assert [a.user_id for a in await uow.assignments.active(M365.id)] == [MEMBER2]
        closed = await uow.requests.of_user(MEMBER, status=RequestStatus.CLOSED)
        assert await uow.people.roles_of(MEMBER) == frozenset()
    assert [r.benefit_id for r in closed] == ["azure-credit"]
    actions = [(e.action, e.subject) for e in await audit_log(store) if e.at == clock.now()]
    assert actions == [
        ("assignment.release", f"user:{MEMBER}"),
        ("assignment.release", f"user:{MEMBER}"),
        ("request.withdraw", f"request:{closed[0].id}"),
        ("role.revoke", f"user:{MEMBER}"),
        ("offboarding.reclaim", f"user:{MEMBER}"),
    ]
    vs_entry = next(
        e
        for e in await audit_log(store)
        if e.action == "assignment.release" and e.detail.startswith(VS_ENT.id)
    )
    assert "not reassigned" in vs_entry.detail  # docs/rules.md#visual-studio-90-days


async def test_one_item_is_reclaimed_alone_and_the_rest_stays_open(
    services: Services, store: SqliteStore
) -> None:
    await _held(services, MEMBER)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))
    async with store.read() as uow:
        seat = next(a for a in await uow.assignments.of_user(MEMBER) if a.benefit_id == M365.id)

    view = await services.offboarding.reclaim(
        ADMIN, offboarding_id, Item(ItemKind.SEAT, str(seat.id))
    )

    assert view.offboarding.state is OffboardingState.OPEN
    assert [s.benefit.id for s in view.seats] == [VS_ENT.id]
    with pytest.raises(Conflict) as again:
        await services.offboarding.reclaim(ADMIN, offboarding_id, Item(ItemKind.SEAT, str(seat.id)))
    assert "already reclaimed" in rendered(again.value)


async def test_keep_changes_nothing_and_a_second_decision_is_refused(
    services: Services, store: SqliteStore
) -> None:
    await _held(services, MEMBER)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))

    view = await services.offboarding.keep(ADMIN, offboarding_id)

    assert view.offboarding.state is OffboardingState.KEPT
    assert len(view.seats) == 2
    with pytest.raises(Conflict) as late:
        await services.offboarding.reclaim(ADMIN, offboarding_id)
    assert "already decided: everything was kept" in rendered(late.value)
    assert await _used(store, M365.id) == 1


async def test_only_a_global_admin_reclaims(services: Services, store: SqliteStore) -> None:
    await _held(services, MEMBER)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))

    with pytest.raises(Forbidden):
        await services.offboarding.reclaim(MEMBER2, offboarding_id)
    assert await _used(store, M365.id) == 1


async def test_a_reactivated_person_gets_nothing_back(
    services: Services, store: SqliteStore
) -> None:
    await _held(services, MEMBER)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))
    await services.offboarding.reclaim(ADMIN, offboarding_id)

    assert await services.offboarding.user_returned(MEMBER) is True

    assert await _used(store, M365.id) == 0
    async with store.read() as uow:
        assert await uow.people.roles_of(MEMBER) == frozenset()
        assert await uow.offboardings.current(MEMBER) is None
    # Leaving again is a new departure, listed again.
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    assert await services.offboarding.user_left(MEMBER) is True
    assert len(await _posts(store)) == 2


async def test_an_approval_racing_with_reclaim_all_leaves_the_seat_count_right(
    services: Services, store: SqliteStore
) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER2)
    request = await services.requests.request_benefit(MEMBER, M365.id)
    await services.offboarding.user_left(MEMBER)
    offboarding_id = int(str((await _posts(store))[0].params["offboarding_id"]))

    outcomes = await asyncio.gather(
        services.requests.approve(ADMIN, request.request.id),
        services.offboarding.reclaim(ADMIN, offboarding_id),
        return_exceptions=True,
    )

    assert isinstance(outcomes[0], Conflict)  # whichever came first, no seat for who left
    assert not isinstance(outcomes[1], BaseException)
    assert await _used(store, M365.id) == 1
    async with store.read() as uow:
        assert await uow.assignments.of_user(MEMBER) == []
        assert (await uow.requests.get(request.request.id)).status is RequestStatus.CLOSED  # type: ignore[union-attr]


async def test_a_marketing_contact_who_left_blocks_offer_activations_until_replaced(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        await uow.marketing_contact.put(
            MarketingContact(MEMBER, "mia@contoso.com", "+31201234567", "en", ADMIN, clock.now())
        )
    await services.offboarding.user_left(MEMBER)
    view = await services.offboarding.view(
        int(str((await _posts(store))[0].params["offboarding_id"]))
    )
    assert view.marketing_contact

    with pytest.raises(Conflict) as missing:
        await services.activation.activate(ADMIN, CO_SELL.id)
    assert "has left the company" in rendered(missing.value)

    async with store.write() as uow:
        await uow.marketing_contact.put(
            MarketingContact(MEMBER2, "max@contoso.com", "+31201234568", "en", ADMIN, clock.now())
        )
    await services.activation.activate(ADMIN, CO_SELL.id)


async def test_every_copy_is_updated_after_a_decision(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)
    await _held(services, MEMBER)
    await services.offboarding.user_left(MEMBER)
    posts = await _posts(store)
    offboarding_id = int(str(posts[0].params["offboarding_id"]))

    await services.offboarding.keep(ADMIN, offboarding_id)

    async with store.read() as uow:
        every = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=100)
    updates = [p for p in every if p.kind == OffboardingNotice.COPY]
    assert sorted(u.after_id or 0 for u in updates) == sorted(p.id for p in posts)


async def test_an_approval_racing_with_the_departure_is_freed_by_reclaim_all(
    services: Services, store: SqliteStore
) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER2)
    request = await services.requests.request_benefit(MEMBER, M365.id)

    await asyncio.gather(
        services.requests.approve(ADMIN, request.request.id),
        services.offboarding.user_left(MEMBER),
        return_exceptions=True,
    )
    posts = await _posts(store)
    await services.offboarding.reclaim(ADMIN, int(str(posts[0].params["offboarding_id"])))

    assert await _used(store, M365.id) == 1
    async with store.read() as uow:
        assert await uow.assignments.of_user(MEMBER) == []
        decided = await uow.requests.get(request.request.id)
    assert decided is not None
    assert decided.status in (RequestStatus.APPROVED, RequestStatus.CLOSED)
