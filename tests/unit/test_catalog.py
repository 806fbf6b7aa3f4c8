"""Reading the inventory: the list, a benefit's details and the caller's own.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot.blocks.details import details_view
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    NotFound,
    Role,
)
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from storage.sqlite import SqliteStore, throwaway_store
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    AZURE,
    BENEFITS,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    SUPPORT,
    VS_ENT,
    VS_PRO,
    AddBenefits,
)
from tests.unit.helpers import (
    CREDIT,
    ROLE_ACTOR,
    WINDOWS,
)

# -- reading --------------------------------------------------------------------------------


async def test_the_inventory_is_listed_page_by_page(store: SqliteStore, clock: FakeClock) -> None:
    services = build_services(store, clock=clock, page_size=4)

    first = await services.catalog.list_benefits(MEMBER, page=0)
    second = await services.catalog.list_benefits(MEMBER, page=1)

    assert (first.page, first.page_size, first.total) == (0, 4, len(BENEFITS))
    assert len(first.items) == 4
    assert first.has_next
    assert not first.has_previous
    assert len(second.items) == len(BENEFITS) - 4
    assert not second.has_next
    assert second.has_previous
    listed = [row.benefit for row in first.items + second.items]
    assert sorted(listed, key=lambda b: b.id) == sorted(BENEFITS, key=lambda b: b.id)


@pytest.mark.parametrize(("asked", "shown"), [(2, 1), (99, 1), (-5, 0)])
async def test_a_page_out_of_range_is_clamped_to_the_nearest_page(
    store: SqliteStore, clock: FakeClock, asked: int, shown: int
) -> None:
    services = build_services(store, clock=clock, page_size=4)

    page = await services.catalog.list_benefits(MEMBER, page=asked)

    assert page.page == shown
    assert page.items == (await services.catalog.list_benefits(MEMBER, page=shown)).items
    assert page.items


async def test_an_empty_inventory_lists_one_empty_page(clock: FakeClock) -> None:
    services = build_services(throwaway_store(), clock=clock)

    page = await services.catalog.list_benefits(MEMBER, page=3)

    assert (page.page, page.total, page.items, page.pages) == (0, 0, [], 1)
    assert not page.has_next


@pytest.mark.parametrize("category", list(Category))
async def test_the_inventory_can_be_filtered_by_category(
    services: Services, category: Category
) -> None:
    page = await services.catalog.list_benefits(MEMBER, category=category)

    expected = {b.id for b in BENEFITS if b.category is category}
    assert {row.benefit.id for row in page.items} == expected
    assert page.total == len(expected)


async def test_the_inventory_shows_seats_used_and_left(services: Services) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    await services.seats.assign(ADMIN, M365.id, MEMBER2)
    await services.seats.unassign(ADMIN, M365.id, MEMBER)

    page = await services.catalog.list_benefits(MEMBER2)

    used = {row.benefit.id: (row.seats_used, row.seats_left) for row in page.items}
    assert used[VS_ENT.id] == (1, 1)
    assert used[M365.id] == (1, 4)
    assert used[SUPPORT.id] == (0, None)
    assert used[AZURE.id] == (0, 3)


async def test_mine_lists_what_i_hold_and_what_i_wait_for(
    services: Services, clock: FakeClock
) -> None:
    approved = await services.requests.request_benefit(MEMBER, VS_ENT.id, "project")
    await services.requests.approve(ADMIN, approved.request.id)
    clock.advance(timedelta(days=1))
    pending = await services.requests.request_benefit(MEMBER, AZURE.id, "demo")
    denied = await services.requests.request_benefit(MEMBER, M365.id, "office")
    await services.requests.deny(ADMIN, denied.request.id, "use the web apps")
    await services.seats.assign(ADMIN, SUPPORT.id, MEMBER)
    await services.requests.request_benefit(MEMBER2, VS_PRO.id, "not mine")
    await services.seats.assign(ADMIN, CO_SELL.id, MEMBER2)

    mine = await services.catalog.mine(MEMBER)

    assert [h.benefit for h in mine.holdings] == [VS_ENT, SUPPORT]
    assert all(h.assignment.user_id == MEMBER for h in mine.holdings)
    assert [(p.benefit, p.request.id) for p in mine.pending] == [(AZURE, pending.request.id)]


async def test_mine_forgets_a_seat_once_it_is_unassigned(services: Services) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    await services.seats.unassign(ADMIN, VS_ENT.id, MEMBER)

    mine = await services.catalog.mine(MEMBER)

    assert (mine.holdings, mine.pending) == ([], [])


@pytest.mark.parametrize(
    ("role", "sees_names"),
    [
        (None, False),
        (Role.USER_ADMIN, False),
        (Role.ADMIN_AGENT, False),
        (Role.MPN_PARTNER_ADMIN, True),
        (Role.GLOBAL_ADMIN, True),
    ],
    ids=str,
)
async def test_details_show_holders_only_to_global_admins_and_mpn_partner_admins(
    services: Services, clock: FakeClock, role: Role | None, sees_names: bool
) -> None:
    if role is not None:
        await services.roles.grant(ADMIN, ROLE_ACTOR, role)
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(minutes=5))
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER2)

    details = await services.catalog.details(ROLE_ACTOR, VS_ENT.id)

    assert details.row.benefit == VS_ENT
    assert details.row.seats_used == 2
    if sees_names:
        assert details.holders is not None
        assert [a.user_id for a in details.holders] == [MEMBER, MEMBER2]
    else:
        assert details.holders is None


async def test_details_of_an_unknown_benefit_are_not_found(services: Services) -> None:
    with pytest.raises(NotFound) as caught:
        await services.catalog.details(MEMBER, "no-such-benefit")

    assert caught.value.params["benefit_id"] == "no-such-benefit"


# -- details ------------------------------------------------------------------------------------


async def test_details_show_languages_operating_systems_expiry_and_status(
    cloud: Services,
) -> None:
    details = await cloud.catalog.details(MEMBER, WINDOWS.id)

    assert details.status is ActivationStatus.ACTIVE
    assert details.expires_on == date(2026, 6, 30)
    text = str(details_view(details))
    for shown in ("English, German, Dutch", "x64, ARM64", "2026-06-30", "Active", "Redeem once"):
        assert shown in text


async def test_a_benefit_past_its_expiry_date_shows_as_expired(
    cloud: Services, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 7, 1, 9, 0, tzinfo=clock.now().tzinfo))

    details = await cloud.catalog.details(MEMBER, WINDOWS.id)

    assert details.status is ActivationStatus.EXPIRED
    assert "Expired" in str(details_view(details))


async def test_a_technical_benefit_is_not_activated_then_pending_then_active_with_its_ids(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    assert (await services.catalog.details(MEMBER, SUPPORT.id)).status is None
    pending = Activation(SUPPORT.id, ActivationStatus.PENDING, ADMIN, clock.now())
    async with store.write() as uow:
        await uow.activations.put(pending)

    waiting = await services.catalog.details(MEMBER, SUPPORT.id)
    assert waiting.status is ActivationStatus.PENDING
    view = str(details_view(waiting))
    assert "Pending (requested 2026-01-15)" in view
    assert "Access ID" not in view

    async with store.write() as uow:
        await uow.activations.put(
            replace(
                pending,
                status=ActivationStatus.ACTIVE,
                access_id="ACC-123",
                contract_id="CON-456",
                completed_by=ADMIN,
                completed_at=clock.now(),
            )
        )
    active = await services.catalog.details(MEMBER, SUPPORT.id)  # a member sees the IDs too
    assert active.status is ActivationStatus.ACTIVE
    view = str(details_view(active))
    assert "ACC-123" in view
    assert "CON-456" in view


async def test_an_offer_past_its_activation_expiry_is_expired(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        await uow.activations.put(
            Activation(
                CO_SELL.id,
                ActivationStatus.ACTIVE,
                ADMIN,
                clock.now() - timedelta(days=400),
                expires_on=date(2026, 1, 14),
            )
        )

    details = await services.catalog.details(MEMBER, CO_SELL.id)

    assert details.status is ActivationStatus.EXPIRED
    assert details.expires_on == date(2026, 1, 14)


async def test_holders_come_page_by_page_and_a_page_past_the_end_shows_the_last(
    services: Services, store: SqliteStore, add_benefits: AddBenefits, clock: FakeClock
) -> None:
    wide = Benefit("wide", "Wide licence", Category.SOFTWARE, seats=200)
    await add_benefits(wide)
    async with store.write() as uow:
        for i in range(120):
            await uow.assignments.add(
                benefit_id=wide.id, user_id=f"UH{i:05d}", assigned_at=clock.now(), assigned_by=ADMIN
            )

    first = await services.catalog.details(ADMIN, wide.id)
    last = await services.catalog.details(ADMIN, wide.id, holders_page=99)

    assert first.holders_pages == 3
    assert first.holders is not None
    assert len(first.holders) == 50
    assert last.holders_page == 2
    assert last.holders is not None
    assert [a.user_id for a in last.holders][-1] == "UH00119"
    view = details_view(last)
    assert block_kit_violations(view, surface="modal") == []
    assert "page 3 of 3" in str(view)


async def test_a_usage_based_credit_offers_an_activate_button_and_a_software_benefit_does_not(
    cloud: Services,
) -> None:
    def action_ids(view: dict[str, object]) -> list[str]:
        return [
            e["action_id"]
            for b in view["blocks"]  # type: ignore[attr-defined]
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    assert "cloud_activate" in action_ids(
        details_view(await cloud.catalog.details(MEMBER, CREDIT.id))
    )
    assert "cloud_activate" not in action_ids(
        details_view(await cloud.catalog.details(MEMBER, WINDOWS.id))
    )
