"""While the membership is managed in the Partner Membership Center, nothing that
changes a benefit is done by the bot.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import (
    Forbidden,
    Role,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    AZURE,
    MEMBER,
    MEMBER2,
    MEMBER3,
    MEMBERSHIP,
    STRANGER,
    VS_ENT,
    VS_PRO,
    rendered,
    snapshot,
)
from tests.unit.helpers import (
    APPROVED_CREDIT,
    CREDIT,
    Operation,
    decide_approve,
    decide_assign,
    decide_unassign,
    put_user,
    set_membership,
    state,
)

# -- membership still managed in PMC ---------------------------------------------------------


async def _request(services: Services, actor: str, request_id: int) -> object:
    return await services.requests.request_benefit(actor, AZURE.id, "demo")


PMC_REFUSED: dict[str, tuple[Operation, str]] = {
    "request": (_request, MEMBER2),
    "approve": (decide_approve, ADMIN),
    "assign": (decide_assign, ADMIN),
    "unassign": (decide_unassign, ADMIN),
}


@pytest.mark.parametrize("operation", list(PMC_REFUSED))
async def test_a_membership_managed_in_pmc_refuses_changes_and_writes_nothing(
    services: Services, store: SqliteStore, operation: str
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER3)
    async with store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, managed_in_pmc=True))
    before = await snapshot(store)
    act, actor = PMC_REFUSED[operation]

    with pytest.raises(Forbidden) as caught:
        await act(services, actor, created.request.id)

    assert "Partner Membership Center" in rendered(caught.value)
    assert await snapshot(store) == before


# -- the membership is still managed in PMC -----------------------------------------------------


async def _setup_for_pmc(services: Services, store: SqliteStore, clock: FakeClock) -> None:
    await put_user(store, "UNOEMAIL1")
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    await services.seats.assign(ADMIN, VS_PRO.id, MEMBER2)
    clock.advance(timedelta(days=100))


PMC_CHANGES = {
    "request": lambda s: s.requests.request_benefit(MEMBER3, VS_PRO.id, "project"),
    "assign": lambda s: s.seats.assign(ADMIN, VS_PRO.id, MEMBER3),
    "unassign": lambda s: s.seats.unassign(ADMIN, VS_PRO.id, MEMBER2),
    "reassign": lambda s: s.seats.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER3),
    "activate a credit": lambda s: s.cloud.activate_cloud(MEMBER3, CREDIT.id),
    "activate a credit with approval": lambda s: s.cloud.activate_cloud(
        "UNOEMAIL1", APPROVED_CREDIT.id, email="noa@contoso.com"
    ),
    "cancel (check)": lambda s: s.cancellation.cancellation_check(ADMIN),
    "cancel (file)": lambda s: s.cancellation.request_cancellation(ADMIN),
}


@pytest.mark.parametrize("change", list(PMC_CHANGES))
async def test_in_pmc_every_change_to_a_benefit_is_refused_pointing_there_and_nothing_is_written(
    cloud: Services, store: SqliteStore, clock: FakeClock, change: str
) -> None:
    await _setup_for_pmc(cloud, store, clock)
    await set_membership(
        store, managed_in_pmc=True, purchase_date=clock.now().date() - timedelta(days=1)
    )
    before = await state(store)

    with pytest.raises(Forbidden) as caught:
        await PMC_CHANGES[change](cloud)

    text = rendered(caught.value)
    assert "Partner Membership Center" in text
    assert "Partner Frontline" in text
    assert await state(store) == before


async def test_each_change_of_the_pmc_table_succeeds_once_the_membership_left_pmc(
    cloud: Services, store: SqliteStore, clock: FakeClock
) -> None:
    """The PMC table above fails for the right reason: each change works outside PMC."""
    await _setup_for_pmc(cloud, store, clock)
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=1))
    for change in PMC_CHANGES:
        if change == "activate a credit with approval":
            await cloud.seats.unassign(ADMIN, CREDIT.id, MEMBER3)  # one credit per person
        await PMC_CHANGES[change](cloud)


async def test_in_pmc_the_bots_own_roles_and_directory_stay_changeable(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, managed_in_pmc=True)

    await services.roles.grant(ADMIN, MEMBER, Role.ADMIN_AGENT)
    await services.roles.revoke(ADMIN, MEMBER, Role.ADMIN_AGENT)
    assert await services.roles.add_user(ADMIN, STRANGER)
