"""Reassigning a seat, and the Visual Studio subscription's 90 days.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import (
    Benefit,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Role,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    MEMBER3,
    STRANGER,
    SUPPORT,
    VS_ENT,
    audit_log,
    rendered,
    snapshot,
)
from tests.unit.helpers import (
    CREDIT,
    ONE_SEAT_MONTHLY,
    put_user,
    refused,
    state,
)

# -- Visual Studio reassignment -----------------------------------------------------------------


async def test_a_subscription_cannot_move_before_90_days_and_the_refusal_gives_the_date(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)  # 2026-01-15
    clock.advance(timedelta(days=89, hours=23))
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    text = rendered(caught.value)
    assert "2026-04-15" in text  # 90 days after 2026-01-15
    assert "2026-01-15" in text
    assert await snapshot(store) == before


async def test_after_90_days_a_subscription_moves_in_one_step_and_is_audited(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=90))

    moved = await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    assert moved.released.user_id == MEMBER
    assert moved.assignment.user_id == MEMBER2
    assert moved.assignment.assigned_at == clock.now()
    async with store.read() as uow:
        assert [a.user_id for a in await uow.assignments.active(VS_ENT.id)] == [MEMBER2]
        assert await uow.assignments.count_released(VS_ENT.id) == 1
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action, last.subject) == (
        ADMIN,
        "assignment.reassign",
        f"user:{MEMBER2}",
    )
    assert f"user:{MEMBER}" in last.detail


async def test_the_90_days_count_from_the_current_holders_assignment(
    services: Services, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=90))
    await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)
    clock.advance(timedelta(days=10))

    with refused(Conflict, "2026-07-14"):
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER2, MEMBER3)


async def test_a_software_seat_moves_without_waiting(services: Services) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER)

    moved = await services.seats.reassign(ADMIN, M365.id, MEMBER, MEMBER2)

    assert moved.assignment.user_id == MEMBER2


async def test_reassigning_to_someone_unknown_says_a_user_admin_or_global_admin_must_add_them(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=120))
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, STRANGER)

    text = rendered(caught.value)
    assert "User management admin or Global admin" in text
    assert "adduser" in text
    assert await snapshot(store) == before


async def test_a_subscription_cannot_go_to_someone_who_holds_one_already(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER2)
    clock.advance(timedelta(days=120))
    before = await snapshot(store)

    with refused(Conflict, "one per person"):
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    assert await snapshot(store) == before


async def test_reassigning_from_someone_without_a_seat_is_not_found(
    services: Services,
) -> None:
    with refused(NotFound, "holds no seat"):
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)


async def test_reassigning_to_the_same_person_is_invalid(services: Services) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)

    with refused(InvalidInput, "two different people"):
        await services.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER)


@pytest.mark.parametrize("benefit", [SUPPORT, CO_SELL], ids=lambda b: b.id)
async def test_a_company_wide_benefit_has_no_seat_to_reassign(
    services: Services, store: SqliteStore, benefit: Benefit
) -> None:
    before = await snapshot(store)

    with refused(InvalidInput, "no seat to reassign"):
        await services.seats.reassign(ADMIN, benefit.id, MEMBER, MEMBER2)

    assert await snapshot(store) == before


async def test_only_a_global_admin_reassigns(services: Services, clock: FakeClock) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=120))
    await services.roles.grant(ADMIN, MEMBER3, Role.MPN_PARTNER_ADMIN)

    with refused(Forbidden, "global_admin"):
        await services.seats.reassign(MEMBER3, VS_ENT.id, MEMBER, MEMBER2)


async def test_reassigning_a_monthly_credit_counts_towards_its_five_moves(
    cloud: Services, store: SqliteStore
) -> None:
    users = [f"UMOVE{i:04d}" for i in range(7)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
    await cloud.seats.assign(ADMIN, ONE_SEAT_MONTHLY.id, users[0])
    for previous, following in itertools.pairwise(users[:6]):
        await cloud.seats.reassign(ADMIN, ONE_SEAT_MONTHLY.id, previous, following)

    with refused(Conflict, "at most 5"):
        await cloud.seats.reassign(ADMIN, ONE_SEAT_MONTHLY.id, users[5], users[6])


async def test_reassigning_a_credit_to_a_free_mail_address_is_refused(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with refused(Conflict, "free mail domain"):
        await cloud.seats.reassign(ADMIN, CREDIT.id, MEMBER, "UGMAIL001")

    assert await state(store) == before
