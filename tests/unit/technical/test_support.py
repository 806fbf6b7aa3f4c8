"""Support and advisory hours: which support a product gets, filing advisory hours and the
hours left."""

from __future__ import annotations

import pytest

from bot.domain.activations import State
from bot.domain.clock import FakeClock
from bot.domain.entitlements import Allowance, Problem, Unit
from bot.domain.limits import MAX_TOPIC
from bot.domain.model import Conflict, Forbidden, InvalidInput, Level, SupportKind
from bot.runtime.container import Services
from bot.services.support import SupportService
from storage.sqlite import SqliteStore
from tests.unit.conftest import ADMIN, MEMBER, MEMBER2, audit_log, rendered
from tests.unit.helpers import (
    ADVISORY,
    PARTNER_ADMIN,
    SIG_CLOUD,
    observed,
    set_membership,
)

# -- support ---------------------------------------------------------------------


async def test_support_for_a_broken_cloud_product_is_signature_cloud_support_with_its_ids(
    services: Services,
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    pending = await services.support.support(MEMBER, Problem.CLOUD)
    assert (pending.kind, pending.state) == (SupportKind.SIGNATURE_CLOUD, State.PENDING)
    assert pending.allowance == Allowance(5, Unit.INCIDENTS)

    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    answer = await services.support.support(MEMBER, Problem.CLOUD)
    assert answer.state is State.ACTIVE
    assert answer.activation is not None
    assert (answer.activation.access_id, answer.activation.contract_id) == ("A1", "C1")


async def test_support_for_an_on_premises_product_names_who_activates_it(
    services: Services,
) -> None:
    answer = await services.support.support(MEMBER, Problem.ON_PREMISES)
    assert answer.kind is SupportKind.PRODUCT_INCIDENTS
    assert answer.state is State.NOT_ACTIVATED
    assert answer.allowance == Allowance(15, Unit.INCIDENTS)
    assert set(answer.activators) == {ADMIN, PARTNER_ADMIN}


async def test_support_with_a_cloud_competency_is_unlimited_and_action_pack_has_none(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, level=Level.GOLD, cloud_competency=True)
    assert (await services.support.support(MEMBER, Problem.CLOUD)).allowance.unlimited
    await set_membership(store, level=Level.ACTION_PACK)
    answer = await services.support.support(MEMBER, Problem.CLOUD)
    assert answer.state is State.NOT_AVAILABLE


# -- advisory hours ---------------------------------------------------------------


async def test_a_member_files_advisory_hours_and_the_hours_left_go_down(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    first = await services.support.file_advisory(MEMBER, "6", "  Azure landing zone for Contoso  ")
    second = await services.support.file_advisory(MEMBER2, 4, "Teams rollout")

    assert (first.hours_left, second.hours_left) == (14, 10)
    assert first.request.topic == "Azure landing zone for Contoso"
    assert (first.request.user_id, first.request.hours) == (MEMBER, 6)
    assert first.request.created_at == clock.now()
    assert first.admins == [ADMIN]
    assert (await services.support.support(MEMBER, Problem.ADVICE)).hours_left == 10
    assert (await services.activation.row(ADVISORY.id)).hours_left == 10
    entries = (await audit_log(store))[-2:]
    assert [(e.actor, e.action) for e in entries] == [
        (MEMBER, "advisory.request"),
        (MEMBER2, "advisory.request"),
    ]


async def test_advisory_hours_beyond_what_is_left_are_refused_saying_how_many_are_left(
    services: Services, store: SqliteStore
) -> None:
    await services.support.file_advisory(MEMBER, 15, "Migration")
    before = await observed(store)

    with pytest.raises(Conflict) as caught:
        await services.support.file_advisory(MEMBER2, 6, "More")

    assert caught.value.params == {"hours": 6, "left": 5, "total": 20}
    assert "only 5 of the 20" in rendered(caught.value)
    assert await observed(store) == before
    assert (await services.support.file_advisory(MEMBER2, 5, "Exactly the rest")).hours_left == 0


@pytest.mark.parametrize("hours", ["0", "-2", "2.5", "two", "", "1e3", "9999999"])
async def test_advisory_hours_must_be_a_positive_whole_number(
    services: Services, store: SqliteStore, hours: str
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput) as caught:
        await services.support.file_advisory(MEMBER, hours, "Topic")
    assert "positive whole number" in rendered(caught.value)
    assert await observed(store) == before


@pytest.mark.parametrize("topic", ["", "   ", "t" * (MAX_TOPIC + 1)])
async def test_an_advisory_request_needs_a_topic_of_sensible_length(
    services: Services, store: SqliteStore, topic: str
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput):
        await services.support.file_advisory(MEMBER, 2, topic)
    assert await observed(store) == before


async def test_advisory_hours_need_the_benefit_in_the_inventory(
    store: SqliteStore, clock: FakeClock
) -> None:
    bare = SupportService(store, clock=clock)
    with pytest.raises(Conflict) as caught:
        await bare.file_advisory(MEMBER, 2, "Topic")
    assert "advisory_hours" in rendered(caught.value)


async def test_no_advisory_hours_are_filed_while_the_membership_is_in_pmc(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, managed_in_pmc=True)
    before = await observed(store)
    with pytest.raises(Forbidden):
        await services.support.file_advisory(MEMBER, 2, "Topic")
    assert await observed(store) == before
