"""Cancelling the package with a refund: the three conditions and the request.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.blocks.cancellation import cancellation_check_message
from bot.domain.cancellation import CancellationRefused
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Conflict,
    Forbidden,
    KeyReveal,
    NotFound,
    Role,
)
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from storage.sqlite import SqliteStore, throwaway_store
from tests.unit.conftest import (
    ADMIN,
    M365,
    MEMBER,
    MEMBER2,
    MEMBER3,
    VS_ENT,
    audit_log,
    rendered,
)
from tests.unit.helpers import (
    CREDIT,
    refused,
    set_membership,
    state,
)

# -- cancellation -------------------------------------------------------------------------------

AGENT = "UAGENT001"


@pytest.fixture
async def agent(services: Services, store: SqliteStore, clock: FakeClock) -> str:
    """An admin agent, and a membership bought 10 days ago."""
    await services.roles.grant(ADMIN, AGENT, Role.ADMIN_AGENT)
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=10))
    return AGENT


async def test_a_fresh_untouched_package_can_be_cancelled(
    services: Services, store: SqliteStore, agent: str
) -> None:
    check = await services.cancellation.cancellation_check(agent)
    assert check.eligible
    assert check.blockers == []
    assert check.refund_window_ends == date(2026, 2, 4)

    filed = await services.cancellation.request_cancellation(agent)

    assert (filed.request.kind, filed.request.status) == ("cancellation", "open")
    assert filed.request.created_by == agent
    assert filed.global_admins == [ADMIN]
    async with store.read() as uow:
        assert await uow.service_requests.all() == [filed.request]
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action) == (agent, "service_request.cancellation")


async def test_checking_writes_nothing(services: Services, store: SqliteStore, agent: str) -> None:
    before = await state(store)
    await services.cancellation.cancellation_check(agent)
    assert await state(store) == before


async def test_the_30th_day_after_purchase_is_the_last_one_for_a_refund(
    services: Services, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=30))
    assert (await services.cancellation.cancellation_check(agent)).eligible

    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=31))
    check = await services.cancellation.cancellation_check(agent)

    assert len(check.blockers) == 1
    assert check.blockers[0].since == clock.now().date()
    text = rendered_blocker(check.blockers[0])
    assert "2025-12-15" in text  # purchased
    assert "closed on 2026-01-14" in text


def rendered_blocker(blocker: object) -> str:
    from bot.blocks.cancellation import blocker_text
    from bot.domain.cancellation import Blocker

    assert isinstance(blocker, Blocker)
    return blocker_text(blocker)


async def test_an_activated_software_benefit_blocks_the_refund_naming_it_and_since_when(
    services: Services, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    clock.advance(timedelta(days=2))
    await services.seats.unassign(ADMIN, M365.id, MEMBER)  # released still counts: it was activated

    check = await services.cancellation.cancellation_check(agent)

    assert len(check.blockers) == 1
    text = rendered_blocker(check.blockers[0])
    assert M365.name in text
    assert f"<@{MEMBER}>" in text
    assert "2026-01-15" in text


async def test_a_cloud_or_visual_studio_assignment_does_not_block_the_refund(
    cloud: Services, agent: str
) -> None:
    await cloud.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    await cloud.cloud.activate_cloud(MEMBER2, CREDIT.id)

    assert (await cloud.cancellation.cancellation_check(agent)).eligible


async def test_a_viewed_key_blocks_the_refund_saying_which_when_and_by_whom(
    services: Services, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(M365.id, MEMBER2, clock.now() - timedelta(days=3)))

    check = await services.cancellation.cancellation_check(agent)

    assert [b.since for b in check.blockers] == [date(2026, 1, 12)]
    text = rendered_blocker(check.blockers[0])
    assert f"a key of *{M365.name}* was viewed on 2026-01-12 by <@{MEMBER2}>" in text


async def test_every_failing_condition_is_listed_and_nothing_is_filed(
    services: Services, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await services.seats.assign(ADMIN, M365.id, MEMBER)
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(M365.id, MEMBER, clock.now()))
    clock.advance(timedelta(days=40))
    before = await state(store)

    with pytest.raises(CancellationRefused) as caught:
        await services.cancellation.request_cancellation(agent)

    assert len(caught.value.blockers) == 3
    assert "3 of the three conditions" in rendered(caught.value)
    assert await state(store) == before
    shown = str(cancellation_check_message(await services.cancellation.cancellation_check(agent)))
    assert "Request cancellation" not in shown
    assert M365.name in shown
    assert "viewed" in shown
    assert "closed on" in shown


async def test_a_second_cancellation_while_one_is_open_is_refused(
    services: Services, store: SqliteStore, agent: str
) -> None:
    first = await services.cancellation.request_cancellation(agent)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await services.cancellation.request_cancellation(ADMIN)

    text = rendered(caught.value)
    assert f"#{first.request.id}" in text
    assert f"<@{agent}>" in text
    assert await state(store) == before
    assert (await services.cancellation.cancellation_check(agent)).open_request == first.request


async def test_without_a_membership_there_is_nothing_to_cancel(
    clock: FakeClock,
) -> None:
    services = build_services(throwaway_store(), clock=clock)
    await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)

    with refused(NotFound, "No membership"):
        await services.cancellation.cancellation_check(ADMIN)


@pytest.mark.parametrize("role", [None, Role.USER_ADMIN], ids=str)
async def test_members_and_user_admins_may_not_cancel(
    services: Services, store: SqliteStore, agent: str, role: Role | None
) -> None:
    if role is not None:
        await services.roles.grant(ADMIN, MEMBER3, role)

    with pytest.raises(Forbidden) as caught:
        await services.cancellation.request_cancellation(MEMBER3)

    assert sorted(caught.value.params["roles"].split(" or ")) == [
        "admin_agent",
        "global_admin",
        "mpn_partner_admin",
    ]
    assert f"<@{agent}>" in rendered(caught.value)
