"""Requests for a seat: filing, approving and denying them, deciding twice or
your own, duplicates, seats under concurrency and where the approval messages are.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.limits import MAX_REASON
from bot.domain.model import (
    Benefit,
    Category,
    Conflict,
    Forbidden,
    InvalidInput,
    MessageRef,
    NotFound,
    RequestStatus,
    Role,
)
from bot.runtime.container import Services
from bot.services.requests import Decision
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    AZURE,
    MEMBER,
    MEMBER2,
    MEMBER3,
    STRANGER,
    VS_ENT,
    VS_PRO,
    AddBenefits,
    audit_log,
    rendered,
    snapshot,
)
from tests.unit.helpers import (
    ROLE_ACTOR,
    Operation,
    decide_approve,
    decide_assign,
    decide_deny,
    decide_unassign,
    holders,
    seats_used,
)

# -- request and approval ---------------------------------------------------


async def test_approving_a_request_assigns_exactly_one_seat_to_the_requester(
    services: Services, store: SqliteStore
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    assert await seats_used(store, VS_ENT.id) == 0

    decision = await services.requests.approve(ADMIN, created.request.id)

    assert await holders(store, VS_ENT.id) == [MEMBER]
    assert decision.assignment is not None
    assert decision.assignment.user_id == MEMBER
    assert decision.assignment.assigned_by == ADMIN
    assert VS_ENT.seats is not None
    assert decision.seats_left == VS_ENT.seats - 1


async def test_an_approved_request_records_who_approved_it_and_when(
    services: Services, clock: FakeClock
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    clock.advance(timedelta(hours=3))

    decision = await services.requests.approve(ADMIN, created.request.id)
    stored = await services.requests.decision(created.request.id)

    for request in (decision.request, stored.request):
        assert request.status is RequestStatus.APPROVED
        assert request.decided_by == ADMIN
        assert request.decided_at == clock.now()
        assert request.decided_at != created.request.created_at
    assert stored.assignment == decision.assignment


async def test_a_request_and_its_approval_are_written_to_the_audit_log(
    services: Services, store: SqliteStore
) -> None:
    before = len(await audit_log(store))
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    await services.requests.approve(ADMIN, created.request.id)

    entries = (await audit_log(store))[before:]

    assert [(e.action, e.actor) for e in entries] == [
        ("request.create", MEMBER),
        ("request.approve", ADMIN),
        ("assignment.create", ADMIN),
    ]
    assert entries[0].subject == entries[1].subject == f"request:{created.request.id}"
    assert entries[2].subject == f"user:{MEMBER}"
    assert all(VS_ENT.id in e.detail for e in entries)


async def test_a_new_request_tells_the_seats_left_and_who_can_approve_it(
    services: Services,
) -> None:
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    first = await services.requests.request_benefit(MEMBER, AZURE.id, "demo")
    await services.requests.approve(ADMIN, first.request.id)

    created = await services.requests.request_benefit(MEMBER2, AZURE.id, "demo too")

    assert AZURE.seats is not None
    assert created.seats_left == AZURE.seats - 1
    assert sorted(created.approvers) == sorted([ADMIN, ADMIN2])
    assert created.request.status is RequestStatus.PENDING
    assert created.request.requester_id == MEMBER2
    assert created.benefit == AZURE


async def test_approving_an_unknown_request_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound) as caught:
        await services.requests.approve(ADMIN, 4242)
    assert caught.value.params["request_id"] == 4242


# -- denial -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
async def test_a_denial_without_a_reason_is_refused_and_changes_nothing(
    services: Services, store: SqliteStore, reason: str
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(InvalidInput):
        await services.requests.deny(ADMIN, created.request.id, reason)

    assert await snapshot(store) == before


async def test_a_denial_reason_may_be_500_characters_but_not_501(
    services: Services, store: SqliteStore
) -> None:
    first = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(InvalidInput) as caught:
        await services.requests.deny(ADMIN, first.request.id, "n" * (MAX_REASON + 1))
    assert caught.value.params == {"length": MAX_REASON + 1, "limit": MAX_REASON}
    assert await snapshot(store) == before

    decision = await services.requests.deny(ADMIN, first.request.id, "n" * MAX_REASON)
    assert decision.request.decision_note == "n" * MAX_REASON


async def test_a_denial_records_its_reason_and_assigns_nothing(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    clock.advance(timedelta(minutes=30))

    decision = await services.requests.deny(
        ADMIN, created.request.id, "  Budget is frozen until July.  "
    )

    assert decision.request.status is RequestStatus.DENIED
    assert decision.request.decision_note == "Budget is frozen until July."
    assert decision.request.decided_by == ADMIN
    assert decision.request.decided_at == clock.now()
    assert decision.assignment is None
    assert await seats_used(store, VS_ENT.id) == 0
    last = (await audit_log(store))[-1]
    assert (last.action, last.actor, last.subject) == (
        "request.deny",
        ADMIN,
        f"request:{created.request.id}",
    )
    assert "Budget is frozen until July." in last.detail


async def test_a_denied_request_can_no_longer_be_approved(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    await services.requests.deny(ADMIN, created.request.id, "No budget")
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.requests.approve(ADMIN2, created.request.id)

    assert caught.value.params["decider_user"] == ADMIN
    assert caught.value.message == "Request #{request_id} was already denied by {decider_user}."
    assert f"<@{ADMIN}>" in rendered(caught.value)
    assert await snapshot(store) == before


# -- deciding twice -------------------------------------------------------------


async def test_approving_twice_is_a_conflict_and_assigns_no_second_seat(
    services: Services, store: SqliteStore
) -> None:
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.requests.approve(ADMIN, created.request.id)
    before = await snapshot(store)

    for approver in (ADMIN, ADMIN2):
        with pytest.raises(Conflict) as caught:
            await services.requests.approve(approver, created.request.id)
        assert caught.value.params["decider_user"] == ADMIN

    assert await seats_used(store, VS_PRO.id) == 1
    assert await snapshot(store) == before


async def test_denying_an_approved_request_is_a_conflict_and_keeps_the_seat(
    services: Services, store: SqliteStore
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.requests.approve(ADMIN, created.request.id)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.requests.deny(ADMIN, created.request.id, "changed my mind")

    assert caught.value.message == "Request #{request_id} was already approved by {decider_user}."
    assert await holders(store, VS_PRO.id) == [MEMBER]
    assert (
        await services.requests.decision(created.request.id)
    ).request.status is RequestStatus.APPROVED
    assert await snapshot(store) == before


# -- nobody decides their own request ---------------------------------------------


@pytest.mark.parametrize("decide", ["approve", "deny"])
async def test_a_requester_cannot_decide_their_own_request_even_as_global_admin(
    services: Services, store: SqliteStore, decide: str
) -> None:
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await services.requests.request_benefit(ADMIN2, VS_ENT.id, "for myself")
    before = await snapshot(store)

    attempt = (
        services.requests.approve(ADMIN2, created.request.id)
        if decide == "approve"
        else services.requests.deny(ADMIN2, created.request.id, "no")
    )

    with pytest.raises(Forbidden) as caught:
        await attempt

    assert caught.value.params["admin_users"] == (ADMIN,)
    assert f"<@{ADMIN}>" in rendered(caught.value)
    assert f"<@{ADMIN2}>" not in rendered(caught.value)
    assert await snapshot(store) == before
    decision = await services.requests.approve(ADMIN, created.request.id)
    assert decision.request.decided_by == ADMIN


# -- only a Global admin decides and assigns --------------------------------------


DECISIONS: dict[str, Operation] = {
    "approve": decide_approve,
    "deny": decide_deny,
    "assign": decide_assign,
    "unassign": decide_unassign,
}


@pytest.mark.parametrize("operation", list(DECISIONS))
@pytest.mark.parametrize(
    "role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str
)
async def test_only_a_global_admin_may_approve_deny_assign_or_unassign(
    services: Services, store: SqliteStore, role: Role | None, operation: str
) -> None:
    await services.roles.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    if role is not None:
        await services.roles.grant(ADMIN, ROLE_ACTOR, role)
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER3)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await DECISIONS[operation](services, ROLE_ACTOR, created.request.id)

    assert caught.value.params["roles"] == Role.GLOBAL_ADMIN.value
    assert caught.value.params["holder_users"] == (ADMIN, ADMIN2)
    text = rendered(caught.value)
    assert "global_admin" in text
    assert f"<@{ADMIN}>" in text
    assert f"<@{ADMIN2}>" in text
    assert await snapshot(store) == before


@pytest.mark.parametrize("operation", list(DECISIONS))
async def test_a_global_admin_may_approve_deny_assign_and_unassign(
    services: Services, store: SqliteStore, operation: str
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER3)
    before = len(await audit_log(store))

    await DECISIONS[operation](services, ADMIN, created.request.id)

    assert len(await audit_log(store)) > before


async def test_a_refusal_for_a_role_nobody_holds_tells_how_the_operator_can_grant_it(
    bare_services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    for attempt in (
        bare_services.roles.add_user(MEMBER, STRANGER),
        bare_services.roles.grant(MEMBER, MEMBER, Role.GLOBAL_ADMIN),
        bare_services.seats.assign(MEMBER, VS_ENT.id, MEMBER),
    ):
        with pytest.raises(Forbidden) as caught:
            await attempt
        assert "holder_users" not in caught.value.params
        assert "benefits-bot grant" in rendered(caught.value)

    assert await snapshot(store) == before


# -- seats under concurrency ------------------------------------------------------


@pytest.mark.parametrize(("seats", "taken", "requests"), [(3, 1, 5), (1, 0, 4), (4, 0, 12)])
async def test_concurrent_approvals_give_out_exactly_the_seats_left(
    services: Services,
    store: SqliteStore,
    add_benefits: AddBenefits,
    seats: int,
    taken: int,
    requests: int,
) -> None:
    scarce = Benefit("scarce", "Scarce licence", Category.SOFTWARE, seats=seats)
    await add_benefits(scarce)
    for i in range(taken):
        await services.seats.assign(ADMIN, scarce.id, [MEMBER, MEMBER2, MEMBER3][i])
    requesters = [f"UREQ{i:05d}" for i in range(requests)]
    created = [await services.requests.request_benefit(u, scarce.id, "needed") for u in requesters]

    outcomes = await asyncio.gather(
        *(services.requests.approve(ADMIN, c.request.id) for c in created), return_exceptions=True
    )

    approved = [o for o in outcomes if isinstance(o, Decision)]
    refused = [o for o in outcomes if not isinstance(o, Decision)]
    assert len(approved) == seats - taken
    assert len(refused) == requests - (seats - taken)
    for error in refused:
        assert isinstance(error, Conflict)
        assert error.message.startswith("No seat")
    assert await seats_used(store, scarce.id) == seats
    statuses = [(await services.requests.decision(c.request.id)).request.status for c in created]
    assert statuses.count(RequestStatus.APPROVED) == seats - taken
    assert statuses.count(RequestStatus.PENDING) == len(refused)


# -- duplicates -----------------------------------------------------------------


async def test_a_second_pending_request_for_a_benefit_points_to_the_first(
    services: Services, store: SqliteStore
) -> None:
    first = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.requests.request_benefit(MEMBER, "visual studio ent", "still need it")

    assert caught.value.params["request_id"] == first.request.id
    assert f"#{first.request.id}" in rendered(caught.value)
    assert await snapshot(store) == before


async def test_another_member_may_ask_for_a_benefit_someone_else_is_waiting_for(
    services: Services,
) -> None:
    first = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    second = await services.requests.request_benefit(MEMBER2, VS_ENT.id, "same project")

    assert second.request.id != first.request.id


async def test_after_a_denial_the_benefit_may_be_requested_again(
    services: Services,
) -> None:
    first = await services.requests.request_benefit(MEMBER, VS_ENT.id, "new project")
    await services.requests.deny(ADMIN, first.request.id, "Tell me more")

    again = await services.requests.request_benefit(MEMBER, VS_ENT.id, "for client X, due in May")

    assert again.request.id != first.request.id
    assert again.request.status is RequestStatus.PENDING


async def test_requesting_a_benefit_you_already_hold_is_refused(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.seats.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=3))
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.requests.request_benefit(MEMBER, VS_ENT.id, "again")

    assert caught.value.params["benefit"] == VS_ENT.name
    assert caught.value.params["since"] == (clock.now() - timedelta(days=3)).date().isoformat()
    assert await snapshot(store) == before


async def test_approving_for_someone_who_got_the_seat_meanwhile_is_a_conflict(
    services: Services, store: SqliteStore
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_PRO.id, "new project")
    await services.seats.assign(ADMIN, VS_PRO.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await services.requests.approve(ADMIN, created.request.id)

    assert caught.value.params["requester_user"] == MEMBER
    assert await snapshot(store) == before


async def test_a_request_is_refused_and_nothing_written_when_there_is_no_global_admin(
    bare_services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await bare_services.requests.request_benefit(STRANGER, VS_ENT.id, "new project")

    assert "benefits-bot grant" in rendered(caught.value)
    assert await snapshot(store) == before


# -- where the approval messages are ---------------------------------------------------------


async def test_request_messages_round_trip_through_decision(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "project")
    first, second = MessageRef("C0ADMINS", "1700000000.000100"), MessageRef("D0ADMIN1", "17.2")

    request = await services.requests.add_request_messages(created.request.id, [first, second])
    again = await services.requests.add_request_messages(created.request.id, [first])

    assert request == again == created.request
    pending = await services.requests.decision(created.request.id)
    assert pending.messages == [first, second]
    assert pending.assignment is None
    assert await services.requests.request_messages(created.request.id) == [first, second]

    approved = await services.requests.approve(ADMIN, created.request.id)
    assert approved.messages == [first, second]
    now = await services.requests.decision(created.request.id)
    assert now.request == approved.request
    assert now.assignment == approved.assignment
    assert now.seats_left == approved.seats_left


async def test_the_decision_of_an_unknown_request_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        await services.requests.decision(31337)


async def test_check_can_decide_refuses_what_a_decision_would_refuse(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "project")

    request, benefit = await services.requests.check_can_decide(ADMIN, created.request.id)
    assert (request, benefit) == (created.request, VS_ENT)
    with pytest.raises(Forbidden):
        await services.requests.check_can_decide(MEMBER2, created.request.id)
    await services.requests.deny(ADMIN, created.request.id, "no")
    with pytest.raises(Conflict):
        await services.requests.check_can_decide(ADMIN, created.request.id)


async def test_adding_messages_to_an_unknown_request_is_refused_and_stores_nothing(
    services: Services,
) -> None:
    with pytest.raises(NotFound):
        await services.requests.add_request_messages(999, [MessageRef("C0ADMINS", "1.1")])

    assert await services.requests.request_messages(999) == []
