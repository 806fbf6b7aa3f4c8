"""The benefits service: the rules of docs/rules.md that it owns.

Each test builds its state through the service (and, for the inventory and the
membership, the repository API) and checks what a person or the audit log
would see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import (
    Benefit,
    Category,
    Conflict,
    Forbidden,
    InvalidInput,
    MessageRef,
    NoMatch,
    NotFound,
    RequestStatus,
    Role,
)
from bot.services.benefits import MAX_QUERY, MAX_REASON, BenefitsService, Decision
from storage.sqlite import SqliteStore, throwaway_store
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    AZURE,
    BENEFITS,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    MEMBER3,
    MEMBERSHIP,
    STRANGER,
    SUPPORT,
    VS_ENT,
    VS_PRO,
    AddBenefits,
    audit_log,
    rendered,
    snapshot,
)

Operation = Callable[[BenefitsService, str, int], Awaitable[object]]


async def seats_used(store: SqliteStore, benefit_id: str) -> int:
    async with store.read() as uow:
        return await uow.assignments.count_active(benefit_id)


async def holders(store: SqliteStore, benefit_id: str) -> list[str | None]:
    async with store.read() as uow:
        return [a.user_id for a in await uow.assignments.active(benefit_id)]


# -- request and approval ---------------------------------------------------


async def test_approving_a_request_assigns_exactly_one_seat_to_the_requester(
    service: BenefitsService, store: SqliteStore
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    assert await seats_used(store, VS_ENT.id) == 0

    decision = await service.approve(ADMIN, created.request.id)

    assert await holders(store, VS_ENT.id) == [MEMBER]
    assert decision.assignment is not None
    assert decision.assignment.user_id == MEMBER
    assert decision.assignment.assigned_by == ADMIN
    assert VS_ENT.seats is not None
    assert decision.seats_left == VS_ENT.seats - 1


async def test_an_approved_request_records_who_approved_it_and_when(
    service: BenefitsService, clock: FakeClock
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    clock.advance(timedelta(hours=3))

    decision = await service.approve(ADMIN, created.request.id)
    stored = await service.decision(created.request.id)

    for request in (decision.request, stored.request):
        assert request.status is RequestStatus.APPROVED
        assert request.decided_by == ADMIN
        assert request.decided_at == clock.now()
        assert request.decided_at != created.request.created_at
    assert stored.assignment == decision.assignment


async def test_a_request_and_its_approval_are_written_to_the_audit_log(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = len(await audit_log(store))
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    await service.approve(ADMIN, created.request.id)

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
    service: BenefitsService,
) -> None:
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    first = await service.request_benefit(MEMBER, AZURE.id, "demo")
    await service.approve(ADMIN, first.request.id)

    created = await service.request_benefit(MEMBER2, AZURE.id, "demo too")

    assert AZURE.seats is not None
    assert created.seats_left == AZURE.seats - 1
    assert sorted(created.approvers) == sorted([ADMIN, ADMIN2])
    assert created.request.status is RequestStatus.PENDING
    assert created.request.requester_id == MEMBER2
    assert created.benefit == AZURE


async def test_approving_an_unknown_request_is_not_found(service: BenefitsService) -> None:
    with pytest.raises(NotFound) as caught:
        await service.approve(ADMIN, 4242)
    assert caught.value.params["request_id"] == 4242


# -- denial -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t "])
async def test_a_denial_without_a_reason_is_refused_and_changes_nothing(
    service: BenefitsService, store: SqliteStore, reason: str
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(InvalidInput):
        await service.deny(ADMIN, created.request.id, reason)

    assert await snapshot(store) == before


async def test_a_denial_reason_may_be_500_characters_but_not_501(
    service: BenefitsService, store: SqliteStore
) -> None:
    first = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(InvalidInput) as caught:
        await service.deny(ADMIN, first.request.id, "n" * (MAX_REASON + 1))
    assert caught.value.params == {"length": MAX_REASON + 1, "limit": MAX_REASON}
    assert await snapshot(store) == before

    decision = await service.deny(ADMIN, first.request.id, "n" * MAX_REASON)
    assert decision.request.decision_note == "n" * MAX_REASON


async def test_a_denial_records_its_reason_and_assigns_nothing(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    clock.advance(timedelta(minutes=30))

    decision = await service.deny(ADMIN, created.request.id, "  Budget is frozen until July.  ")

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
    service: BenefitsService, store: SqliteStore
) -> None:
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    await service.deny(ADMIN, created.request.id, "No budget")
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.approve(ADMIN2, created.request.id)

    assert caught.value.params["decider_user"] == ADMIN
    assert caught.value.params["status"] == RequestStatus.DENIED.value
    assert f"<@{ADMIN}>" in rendered(caught.value)
    assert await snapshot(store) == before


# -- deciding twice -------------------------------------------------------------


async def test_approving_twice_is_a_conflict_and_assigns_no_second_seat(
    service: BenefitsService, store: SqliteStore
) -> None:
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.approve(ADMIN, created.request.id)
    before = await snapshot(store)

    for approver in (ADMIN, ADMIN2):
        with pytest.raises(Conflict) as caught:
            await service.approve(approver, created.request.id)
        assert caught.value.params["decider_user"] == ADMIN

    assert await seats_used(store, VS_PRO.id) == 1
    assert await snapshot(store) == before


async def test_denying_an_approved_request_is_a_conflict_and_keeps_the_seat(
    service: BenefitsService, store: SqliteStore
) -> None:
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.approve(ADMIN, created.request.id)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.deny(ADMIN, created.request.id, "changed my mind")

    assert caught.value.params["status"] == RequestStatus.APPROVED.value
    assert await holders(store, VS_PRO.id) == [MEMBER]
    assert (await service.decision(created.request.id)).request.status is RequestStatus.APPROVED
    assert await snapshot(store) == before


# -- nobody decides their own request ---------------------------------------------


@pytest.mark.parametrize("decide", ["approve", "deny"])
async def test_a_requester_cannot_decide_their_own_request_even_as_global_admin(
    service: BenefitsService, store: SqliteStore, decide: str
) -> None:
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    created = await service.request_benefit(ADMIN2, VS_ENT.id, "for myself")
    before = await snapshot(store)

    attempt = (
        service.approve(ADMIN2, created.request.id)
        if decide == "approve"
        else service.deny(ADMIN2, created.request.id, "no")
    )

    with pytest.raises(Forbidden) as caught:
        await attempt

    assert caught.value.params["admin_users"] == (ADMIN,)
    assert f"<@{ADMIN}>" in rendered(caught.value)
    assert f"<@{ADMIN2}>" not in rendered(caught.value)
    assert await snapshot(store) == before
    decision = await service.approve(ADMIN, created.request.id)
    assert decision.request.decided_by == ADMIN


# -- only a Global admin decides and assigns --------------------------------------

ROLE_ACTOR = "UROLEHOLD"


async def _approve(service: BenefitsService, actor: str, request_id: int) -> object:
    return await service.approve(actor, request_id)


async def _deny(service: BenefitsService, actor: str, request_id: int) -> object:
    return await service.deny(actor, request_id, "not this quarter")


async def _assign(service: BenefitsService, actor: str, request_id: int) -> object:
    return await service.assign(actor, AZURE.id, MEMBER2)


async def _unassign(service: BenefitsService, actor: str, request_id: int) -> object:
    return await service.unassign(actor, VS_ENT.id, MEMBER3)


DECISIONS: dict[str, Operation] = {
    "approve": _approve,
    "deny": _deny,
    "assign": _assign,
    "unassign": _unassign,
}


@pytest.mark.parametrize("operation", list(DECISIONS))
@pytest.mark.parametrize(
    "role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str
)
async def test_only_a_global_admin_may_approve_deny_assign_or_unassign(
    service: BenefitsService, store: SqliteStore, role: Role | None, operation: str
) -> None:
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN)
    if role is not None:
        await service.grant(ADMIN, ROLE_ACTOR, role)
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.assign(ADMIN, VS_ENT.id, MEMBER3)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await DECISIONS[operation](service, ROLE_ACTOR, created.request.id)

    assert caught.value.params["roles"] == Role.GLOBAL_ADMIN.value
    assert caught.value.params["holder_users"] == (ADMIN, ADMIN2)
    text = rendered(caught.value)
    assert "global_admin" in text
    assert f"<@{ADMIN}>" in text
    assert f"<@{ADMIN2}>" in text
    assert await snapshot(store) == before


@pytest.mark.parametrize("operation", list(DECISIONS))
async def test_a_global_admin_may_approve_deny_assign_and_unassign(
    service: BenefitsService, store: SqliteStore, operation: str
) -> None:
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.assign(ADMIN, VS_ENT.id, MEMBER3)
    before = len(await audit_log(store))

    await DECISIONS[operation](service, ADMIN, created.request.id)

    assert len(await audit_log(store)) > before


async def test_a_refusal_for_a_role_nobody_holds_tells_how_the_operator_can_grant_it(
    bare_service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    for attempt in (
        bare_service.add_user(MEMBER, STRANGER),
        bare_service.grant(MEMBER, MEMBER, Role.GLOBAL_ADMIN),
        bare_service.assign(MEMBER, VS_ENT.id, MEMBER),
    ):
        with pytest.raises(Forbidden) as caught:
            await attempt
        assert "holder_users" not in caught.value.params
        assert "benefits-bot grant" in rendered(caught.value)

    assert await snapshot(store) == before


# -- seats under concurrency ------------------------------------------------------


@pytest.mark.parametrize(("seats", "taken", "requests"), [(3, 1, 5), (1, 0, 4), (4, 0, 12)])
async def test_concurrent_approvals_give_out_exactly_the_seats_left(
    service: BenefitsService,
    store: SqliteStore,
    add_benefits: AddBenefits,
    seats: int,
    taken: int,
    requests: int,
) -> None:
    scarce = Benefit("scarce", "Scarce licence", Category.SOFTWARE, seats=seats)
    await add_benefits(scarce)
    for i in range(taken):
        await service.assign(ADMIN, scarce.id, [MEMBER, MEMBER2, MEMBER3][i])
    requesters = [f"UREQ{i:05d}" for i in range(requests)]
    created = [await service.request_benefit(u, scarce.id, "needed") for u in requesters]

    outcomes = await asyncio.gather(
        *(service.approve(ADMIN, c.request.id) for c in created), return_exceptions=True
    )

    approved = [o for o in outcomes if isinstance(o, Decision)]
    refused = [o for o in outcomes if not isinstance(o, Decision)]
    assert len(approved) == seats - taken
    assert len(refused) == requests - (seats - taken)
    for error in refused:
        assert isinstance(error, Conflict)
        assert error.message.startswith("No seat")
    assert await seats_used(store, scarce.id) == seats
    statuses = [(await service.decision(c.request.id)).request.status for c in created]
    assert statuses.count(RequestStatus.APPROVED) == seats - taken
    assert statuses.count(RequestStatus.PENDING) == len(refused)


# -- duplicates -----------------------------------------------------------------


async def test_a_second_pending_request_for_a_benefit_points_to_the_first(
    service: BenefitsService, store: SqliteStore
) -> None:
    first = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.request_benefit(MEMBER, "visual studio ent", "still need it")

    assert caught.value.params["request_id"] == first.request.id
    assert f"#{first.request.id}" in rendered(caught.value)
    assert await snapshot(store) == before


async def test_another_member_may_ask_for_a_benefit_someone_else_is_waiting_for(
    service: BenefitsService,
) -> None:
    first = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    second = await service.request_benefit(MEMBER2, VS_ENT.id, "same project")

    assert second.request.id != first.request.id


async def test_after_a_denial_the_benefit_may_be_requested_again(
    service: BenefitsService,
) -> None:
    first = await service.request_benefit(MEMBER, VS_ENT.id, "new project")
    await service.deny(ADMIN, first.request.id, "Tell me more")

    again = await service.request_benefit(MEMBER, VS_ENT.id, "for client X, due in May")

    assert again.request.id != first.request.id
    assert again.request.status is RequestStatus.PENDING


async def test_requesting_a_benefit_you_already_hold_is_refused(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=3))
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.request_benefit(MEMBER, VS_ENT.id, "again")

    assert caught.value.params["benefit"] == VS_ENT.name
    assert caught.value.params["since"] == (clock.now() - timedelta(days=3)).date().isoformat()
    assert await snapshot(store) == before


async def test_approving_for_someone_who_got_the_seat_meanwhile_is_a_conflict(
    service: BenefitsService, store: SqliteStore
) -> None:
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.assign(ADMIN, VS_PRO.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.approve(ADMIN, created.request.id)

    assert caught.value.params["requester_user"] == MEMBER
    assert await snapshot(store) == before


async def test_a_request_is_refused_and_nothing_written_when_there_is_no_global_admin(
    bare_service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await bare_service.request_benefit(STRANGER, VS_ENT.id, "new project")

    assert "benefits-bot grant" in rendered(caught.value)
    assert await snapshot(store) == before


# -- finding a benefit --------------------------------------------------------------


@pytest.mark.parametrize("benefit", BENEFITS, ids=lambda b: b.id)
async def test_a_benefit_is_found_by_its_exact_id(
    service: BenefitsService, benefit: Benefit
) -> None:
    assert await service.find_benefit(benefit.id) == benefit
    assert await service.find_benefit(f"  {benefit.id.upper()} ") == benefit


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Visual Studio E", VS_ENT),
        ("visual studio professional", VS_PRO),
        ("MICROSOFT", M365),
        ("azure  monthly", AZURE),
        ("isv", CO_SELL),
        ("product SUPPORT incidents", SUPPORT),
    ],
)
async def test_a_benefit_is_found_by_an_unambiguous_start_of_its_name_in_any_case(
    service: BenefitsService, query: str, expected: Benefit
) -> None:
    assert await service.find_benefit(query) == expected


@pytest.mark.parametrize("query", ["visual studio", "Visual", "vs-"])
async def test_an_ambiguous_start_lists_every_benefit_it_could_mean(
    service: BenefitsService, query: str
) -> None:
    with pytest.raises(NoMatch) as caught:
        await service.find_benefit(query)

    assert {b.id for b in caught.value.candidates} == {VS_ENT.id, VS_PRO.id}
    text = rendered(caught.value)
    assert VS_ENT.name in text
    assert VS_PRO.name in text


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("visul studio enterprise", VS_ENT),
        ("Microsfot 365 E3", M365),
        ("azure montly credit", AZURE),
        ("vs-entt", VS_ENT),
    ],
)
async def test_an_unknown_name_offers_the_closest_benefits(
    service: BenefitsService, typo: str, meant: Benefit
) -> None:
    with pytest.raises(NoMatch) as caught:
        await service.find_benefit(typo)

    assert meant in caught.value.candidates
    assert meant.name in rendered(caught.value)


async def test_a_name_far_from_every_benefit_offers_no_candidates(
    service: BenefitsService,
) -> None:
    with pytest.raises(NoMatch) as caught:
        await service.find_benefit("qqqq zzzz xxxx")

    assert caught.value.candidates == []
    assert caught.value.params["query"] == "qqqq zzzz xxxx"


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
async def test_an_empty_benefit_name_is_invalid_input(service: BenefitsService, query: str) -> None:
    with pytest.raises(InvalidInput):
        await service.find_benefit(query)


@pytest.mark.parametrize("length", [MAX_QUERY + 1, 10_000])
async def test_an_over_long_benefit_name_is_invalid_input(
    service: BenefitsService, length: int
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await service.find_benefit("v" * length)

    assert caught.value.params == {"length": length, "limit": MAX_QUERY}


async def test_a_benefit_named_exactly_as_the_query_is_found_even_when_many_others_start_with_it(
    service: BenefitsService, add_benefits: AddBenefits
) -> None:
    exact = Benefit("gtm-azure", "Azure", Category.GTM)
    await add_benefits(
        exact,
        *(Benefit(f"az-{i}", f"Azure credit {i}", Category.CLOUD, seats=1) for i in range(6)),
    )

    assert await service.find_benefit("Azure") == exact


# -- telling the benefit from the reason ------------------------------------------------


async def test_a_request_takes_the_longest_leading_benefit_name_and_keeps_the_rest_as_reason(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(
        MEMBER, "visual studio enterprise for the new project", None
    )

    assert created.benefit == VS_ENT
    assert created.request.benefit_id == VS_ENT.id
    assert created.request.reason == "for the new project"


async def test_a_request_naming_a_benefit_by_id_keeps_the_rest_as_reason(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(MEMBER, "vs-pro professional needs, sorry", None)

    assert created.benefit == VS_PRO
    assert created.request.reason == "professional needs, sorry"


async def test_a_request_naming_only_the_benefit_has_an_empty_reason(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(MEMBER, "Microsoft 365 E3", None)

    assert created.benefit == M365
    assert created.request.reason == ""


async def test_an_explicit_reason_is_never_read_as_part_of_the_benefit_name(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(
        MEMBER, "visual studio pro", "visual studio enterprise is too much"
    )

    assert created.benefit == VS_PRO
    assert created.request.reason == "visual studio enterprise is too much"


async def test_an_ambiguous_name_with_an_explicit_reason_is_refused(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await service.request_benefit(MEMBER, "Visual Studio", "Enterprise please")

    assert {b.id for b in caught.value.candidates} == {VS_ENT.id, VS_PRO.id}
    assert await snapshot(store) == before


async def test_request_text_that_names_no_benefit_is_refused_with_candidates(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await service.request_benefit(MEMBER, "visul studio enterprise for the project", None)

    assert VS_ENT in caught.value.candidates
    assert await snapshot(store) == before


async def test_a_reason_after_the_benefit_name_keeps_its_line_breaks(
    service: BenefitsService,
) -> None:
    reason = "for two clients:\n- Contoso\n- Fabrikam"

    created = await service.request_benefit(MEMBER, f"vs-ent {reason}", None)

    assert created.request.reason == reason


# -- hostile and odd input ---------------------------------------------------------------


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "split"])
async def test_a_10000_character_reason_is_refused_and_nothing_is_written(
    service: BenefitsService, store: SqliteStore, explicit: bool
) -> None:
    reason = ("word " * 2000).strip()
    before = await snapshot(store)

    attempt = (
        service.request_benefit(MEMBER, VS_ENT.id, reason)
        if explicit
        else service.request_benefit(MEMBER, f"{VS_ENT.id} {reason}", None)
    )

    with pytest.raises(InvalidInput) as caught:
        await attempt

    assert caught.value.params["limit"] == MAX_REASON
    assert caught.value.params["length"] == len(reason)
    assert await snapshot(store) == before


async def test_a_10000_character_request_text_is_refused_and_nothing_is_written(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(InvalidInput):
        await service.request_benefit(MEMBER, "x" * 10_000, None)

    assert await snapshot(store) == before


ODD_REASONS = [
    "'; DROP TABLE benefits; --",
    "Robert'); DELETE FROM requests WHERE ('1'='1",
    "She said \"urgent\" and 'now' `code` *bold* _it_",
    "Für die Präsentation – ünïcödé 日本語 テスト ✓ 🚀",
    "<@U0001> <!channel> &amp; {placeholder} {0} %s",
    "r" * MAX_REASON,
]


@pytest.mark.parametrize("reason", ODD_REASONS)
async def test_an_odd_reason_is_stored_verbatim_and_touches_nothing_else(
    service: BenefitsService, store: SqliteStore, reason: str
) -> None:
    before = await snapshot(store)

    created = await service.request_benefit(MEMBER, VS_ENT.id, reason)

    stored = await service.decision(created.request.id)
    assert created.request.reason == stored.request.reason == reason
    after = await snapshot(store)
    assert after.rows == before.rows
    assert after.roles == before.roles
    assert len(after.audit) == len(before.audit) + 1


@pytest.mark.parametrize("reason", ODD_REASONS[:5])
async def test_an_odd_reason_after_the_benefit_name_is_stored_verbatim(
    service: BenefitsService, reason: str
) -> None:
    created = await service.request_benefit(MEMBER, f"Visual Studio Enterprise {reason}", None)

    assert created.benefit == VS_ENT
    assert created.request.reason == reason


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE benefits; --",
        "vs-ent' OR '1'='1",
        "%",
        "_",
        "日本語のライセンス",
        '"Visual Studio Enterprise',
        "{benefit}",
    ],
)
async def test_an_odd_benefit_query_is_no_match_and_changes_nothing(
    service: BenefitsService, store: SqliteStore, query: str
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await service.request_benefit(MEMBER, query, "because")

    assert caught.value.params["query"] == query
    assert query in rendered(caught.value)
    assert await snapshot(store) == before


# -- assign and unassign ----------------------------------------------------------------


async def test_unassigning_frees_the_seat_for_someone_else(
    service: BenefitsService, store: SqliteStore
) -> None:
    assert VS_ENT.seats == 2
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    full = await service.assign(ADMIN, VS_ENT.id, MEMBER2)
    assert full.seats_left == 0
    with pytest.raises(Conflict):
        await service.assign(ADMIN, VS_ENT.id, MEMBER3)

    freed = await service.unassign(ADMIN, VS_ENT.id, MEMBER)

    assert freed.seats_left == 1
    assert freed.assignment.user_id == MEMBER
    assert await holders(store, VS_ENT.id) == [MEMBER2]
    last = (await audit_log(store))[-1]
    assert (last.action, last.actor, last.subject) == (
        "assignment.release",
        ADMIN,
        f"user:{MEMBER}",
    )
    await service.assign(ADMIN, VS_ENT.id, MEMBER3)
    assert sorted(u or "" for u in await holders(store, VS_ENT.id)) == sorted([MEMBER2, MEMBER3])


async def test_unassigning_someone_who_holds_no_seat_is_not_found(
    service: BenefitsService, store: SqliteStore
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await service.unassign(ADMIN, VS_ENT.id, MEMBER2)

    assert caught.value.params["holder_user"] == MEMBER2
    assert await snapshot(store) == before


async def test_assigning_to_someone_not_in_the_directory_says_to_add_them_first(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await service.assign(ADMIN, VS_ENT.id, STRANGER)

    assert caught.value.params["unknown_user"] == STRANGER
    text = rendered(caught.value)
    assert "adduser" in text
    assert f"<@{STRANGER}>" in text
    assert await snapshot(store) == before


async def test_assigning_a_seat_someone_already_holds_is_a_conflict(
    service: BenefitsService, store: SqliteStore
) -> None:
    await service.assign(ADMIN, VS_PRO.id, MEMBER)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.assign(ADMIN, VS_PRO.id, MEMBER)

    assert caught.value.params["holder_user"] == MEMBER
    assert await snapshot(store) == before


async def test_a_benefit_without_a_seat_limit_can_be_assigned_to_everyone(
    service: BenefitsService, store: SqliteStore
) -> None:
    for user in (MEMBER, MEMBER2, MEMBER3):
        change = await service.assign(ADMIN, SUPPORT.id, user)
        assert change.seats_left is None

    assert await seats_used(store, SUPPORT.id) == 3


@pytest.mark.parametrize("role", [None, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str)
async def test_adding_a_user_is_refused_without_user_admin_or_global_admin(
    service: BenefitsService, store: SqliteStore, role: Role | None
) -> None:
    if role is not None:
        await service.grant(ADMIN, ROLE_ACTOR, role)
    before = await snapshot(store)

    with pytest.raises(Forbidden) as caught:
        await service.add_user(ROLE_ACTOR, STRANGER)

    assert Role.USER_ADMIN.value in caught.value.params["roles"]
    assert Role.GLOBAL_ADMIN.value in caught.value.params["roles"]
    assert await snapshot(store) == before


@pytest.mark.parametrize("role", [Role.USER_ADMIN, Role.GLOBAL_ADMIN])
async def test_a_user_admin_or_global_admin_adds_a_user_who_can_then_be_assigned(
    service: BenefitsService, store: SqliteStore, role: Role
) -> None:
    await service.grant(ADMIN, ROLE_ACTOR, role)

    assert await service.add_user(ROLE_ACTOR, STRANGER, name="Sam", email="sam@example.com")
    audit_length = len(await audit_log(store))
    assert not await service.add_user(ROLE_ACTOR, STRANGER)
    assert len(await audit_log(store)) == audit_length

    last = (await audit_log(store))[-1]
    assert (last.action, last.actor, last.subject) == ("user.add", ROLE_ACTOR, f"user:{STRANGER}")
    change = await service.assign(ADMIN, VS_ENT.id, STRANGER)
    assert change.assignment.user_id == STRANGER


# -- roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT, Role.MPN_PARTNER_ADMIN], ids=str
)
async def test_granting_or_revoking_a_role_needs_global_admin(
    service: BenefitsService, store: SqliteStore, role: Role | None
) -> None:
    if role is not None:
        await service.grant(ADMIN, ROLE_ACTOR, role)
    await service.grant(ADMIN, MEMBER2, Role.ADMIN_AGENT)
    before = await snapshot(store)

    with pytest.raises(Forbidden):
        await service.grant(ROLE_ACTOR, MEMBER, Role.MPN_PARTNER_ADMIN)
    with pytest.raises(Forbidden):
        await service.grant(ROLE_ACTOR, ROLE_ACTOR, Role.GLOBAL_ADMIN)
    with pytest.raises(Forbidden):
        await service.revoke(ROLE_ACTOR, MEMBER2, Role.ADMIN_AGENT)

    assert await snapshot(store) == before


async def test_granting_a_role_twice_is_a_conflict(
    service: BenefitsService, store: SqliteStore
) -> None:
    await service.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)

    assert caught.value.params == {"holder_user": MEMBER, "role": Role.MPN_PARTNER_ADMIN.value}
    assert await snapshot(store) == before


async def test_revoking_a_role_someone_does_not_hold_is_a_conflict(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.revoke(ADMIN, MEMBER, Role.USER_ADMIN)

    assert caught.value.params["holder_user"] == MEMBER
    assert await snapshot(store) == before


async def test_the_last_global_admin_cannot_be_revoked(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(Conflict) as by_themselves:
        await service.revoke(ADMIN, ADMIN, Role.GLOBAL_ADMIN)
    with pytest.raises(Conflict) as by_the_operator:
        await service.bootstrap_revoke(ADMIN, Role.GLOBAL_ADMIN)

    for caught in (by_themselves, by_the_operator):
        assert caught.value.params["holder_user"] == ADMIN
    assert await snapshot(store) == before
    assert await service.global_admins() == [ADMIN]


async def test_a_global_admin_can_be_revoked_once_another_exists(
    service: BenefitsService,
) -> None:
    await service.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)

    await service.revoke(ADMIN2, ADMIN, Role.GLOBAL_ADMIN)

    assert await service.global_admins() == [ADMIN2]
    assert await service.roles_of(ADMIN) == frozenset()
    with pytest.raises(Conflict):
        await service.revoke(ADMIN2, ADMIN2, Role.GLOBAL_ADMIN)


async def test_bootstrap_grant_needs_no_actor_and_is_idempotent(
    bare_service: BenefitsService, store: SqliteStore
) -> None:
    assert await bare_service.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN) is True
    after_first = await snapshot(store)

    assert await bare_service.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN) is False

    assert await snapshot(store) == after_first
    assert await bare_service.roles_of(ADMIN) == frozenset({Role.GLOBAL_ADMIN})
    entries = await audit_log(store)
    assert [(e.action, e.actor, e.subject, e.detail) for e in entries] == [
        ("role.grant", "operator", f"user:{ADMIN}", Role.GLOBAL_ADMIN.value)
    ]
    async with store.read() as uow:
        assert await uow.people.get_user(ADMIN) is not None


async def test_every_role_change_is_audited_with_who_and_what(
    service: BenefitsService, store: SqliteStore
) -> None:
    before = len(await audit_log(store))

    await service.grant(ADMIN, MEMBER, Role.USER_ADMIN)
    await service.grant(ADMIN, MEMBER, Role.MPN_PARTNER_ADMIN)
    await service.revoke(ADMIN, MEMBER, Role.USER_ADMIN)
    await service.bootstrap_grant(ADMIN2, Role.GLOBAL_ADMIN, operator="ops-team")
    await service.bootstrap_revoke(MEMBER, Role.MPN_PARTNER_ADMIN)

    entries = (await audit_log(store))[before:]
    assert [(e.action, e.actor, e.subject, e.detail) for e in entries] == [
        ("role.grant", ADMIN, f"user:{MEMBER}", "user_admin"),
        ("role.grant", ADMIN, f"user:{MEMBER}", "mpn_partner_admin"),
        ("role.revoke", ADMIN, f"user:{MEMBER}", "user_admin"),
        ("role.grant", "ops-team", f"user:{ADMIN2}", "global_admin"),
        ("role.revoke", "operator", f"user:{MEMBER}", "mpn_partner_admin"),
    ]
    assert await service.roles_of(MEMBER) == frozenset()


async def test_the_roles_list_shows_every_grant_to_a_global_admin_only(
    service: BenefitsService,
) -> None:
    await service.grant(ADMIN, MEMBER, Role.USER_ADMIN)
    await service.grant(ADMIN, MEMBER2, Role.ADMIN_AGENT)

    pairs = await service.roles(ADMIN)

    assert sorted(pairs) == sorted(
        [(ADMIN, Role.GLOBAL_ADMIN), (MEMBER, Role.USER_ADMIN), (MEMBER2, Role.ADMIN_AGENT)]
    )
    with pytest.raises(Forbidden):
        await service.roles(MEMBER)


# -- membership still managed in PMC ---------------------------------------------------------


async def _request(service: BenefitsService, actor: str, request_id: int) -> object:
    return await service.request_benefit(actor, AZURE.id, "demo")


PMC_REFUSED: dict[str, tuple[Operation, str]] = {
    "request": (_request, MEMBER2),
    "approve": (_approve, ADMIN),
    "assign": (_assign, ADMIN),
    "unassign": (_unassign, ADMIN),
}


@pytest.mark.parametrize("operation", list(PMC_REFUSED))
async def test_a_membership_managed_in_pmc_refuses_changes_and_writes_nothing(
    service: BenefitsService, store: SqliteStore, operation: str
) -> None:
    created = await service.request_benefit(MEMBER, VS_PRO.id, "new project")
    await service.assign(ADMIN, VS_ENT.id, MEMBER3)
    async with store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, managed_in_pmc=True))
    before = await snapshot(store)
    act, actor = PMC_REFUSED[operation]

    with pytest.raises(Forbidden) as caught:
        await act(service, actor, created.request.id)

    assert "Partner Membership Center" in rendered(caught.value)
    assert await snapshot(store) == before


# -- reading --------------------------------------------------------------------------------


async def test_the_inventory_is_listed_page_by_page(store: SqliteStore, clock: FakeClock) -> None:
    service = BenefitsService(store, clock=clock, page_size=4)

    first = await service.list_benefits(MEMBER, page=0)
    second = await service.list_benefits(MEMBER, page=1)

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
    service = BenefitsService(store, clock=clock, page_size=4)

    page = await service.list_benefits(MEMBER, page=asked)

    assert page.page == shown
    assert page.items == (await service.list_benefits(MEMBER, page=shown)).items
    assert page.items


async def test_an_empty_inventory_lists_one_empty_page(clock: FakeClock) -> None:
    service = BenefitsService(throwaway_store(), clock=clock)

    page = await service.list_benefits(MEMBER, page=3)

    assert (page.page, page.total, page.items, page.pages) == (0, 0, [], 1)
    assert not page.has_next


@pytest.mark.parametrize("category", list(Category))
async def test_the_inventory_can_be_filtered_by_category(
    service: BenefitsService, category: Category
) -> None:
    page = await service.list_benefits(MEMBER, category=category)

    expected = {b.id for b in BENEFITS if b.category is category}
    assert {row.benefit.id for row in page.items} == expected
    assert page.total == len(expected)


async def test_the_inventory_shows_seats_used_and_left(service: BenefitsService) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    await service.assign(ADMIN, M365.id, MEMBER)
    await service.assign(ADMIN, M365.id, MEMBER2)
    await service.unassign(ADMIN, M365.id, MEMBER)

    page = await service.list_benefits(MEMBER2)

    used = {row.benefit.id: (row.seats_used, row.seats_left) for row in page.items}
    assert used[VS_ENT.id] == (1, 1)
    assert used[M365.id] == (1, 4)
    assert used[SUPPORT.id] == (0, None)
    assert used[AZURE.id] == (0, 3)


async def test_mine_lists_what_i_hold_and_what_i_wait_for(
    service: BenefitsService, clock: FakeClock
) -> None:
    approved = await service.request_benefit(MEMBER, VS_ENT.id, "project")
    await service.approve(ADMIN, approved.request.id)
    clock.advance(timedelta(days=1))
    pending = await service.request_benefit(MEMBER, AZURE.id, "demo")
    denied = await service.request_benefit(MEMBER, M365.id, "office")
    await service.deny(ADMIN, denied.request.id, "use the web apps")
    await service.assign(ADMIN, SUPPORT.id, MEMBER)
    await service.request_benefit(MEMBER2, VS_PRO.id, "not mine")
    await service.assign(ADMIN, CO_SELL.id, MEMBER2)

    mine = await service.mine(MEMBER)

    assert [h.benefit for h in mine.holdings] == [VS_ENT, SUPPORT]
    assert all(h.assignment.user_id == MEMBER for h in mine.holdings)
    assert [(p.benefit, p.request.id) for p in mine.pending] == [(AZURE, pending.request.id)]


async def test_mine_forgets_a_seat_once_it_is_unassigned(service: BenefitsService) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    await service.unassign(ADMIN, VS_ENT.id, MEMBER)

    mine = await service.mine(MEMBER)

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
    service: BenefitsService, clock: FakeClock, role: Role | None, sees_names: bool
) -> None:
    if role is not None:
        await service.grant(ADMIN, ROLE_ACTOR, role)
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(minutes=5))
    await service.assign(ADMIN, VS_ENT.id, MEMBER2)

    details = await service.details(ROLE_ACTOR, VS_ENT.id)

    assert details.row.benefit == VS_ENT
    assert details.row.seats_used == 2
    if sees_names:
        assert details.holders is not None
        assert [a.user_id for a in details.holders] == [MEMBER, MEMBER2]
    else:
        assert details.holders is None


async def test_details_of_an_unknown_benefit_are_not_found(service: BenefitsService) -> None:
    with pytest.raises(NotFound) as caught:
        await service.details(MEMBER, "no-such-benefit")

    assert caught.value.params["benefit_id"] == "no-such-benefit"


# -- where the approval messages are ---------------------------------------------------------


async def test_request_messages_round_trip_through_decision(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "project")
    first, second = MessageRef("C0ADMINS", "1700000000.000100"), MessageRef("D0ADMIN1", "17.2")

    request = await service.add_request_messages(created.request.id, [first, second])
    again = await service.add_request_messages(created.request.id, [first])

    assert request == again == created.request
    pending = await service.decision(created.request.id)
    assert pending.messages == [first, second]
    assert pending.assignment is None
    assert await service.request_messages(created.request.id) == [first, second]

    approved = await service.approve(ADMIN, created.request.id)
    assert approved.messages == [first, second]
    now = await service.decision(created.request.id)
    assert now.request == approved.request
    assert now.assignment == approved.assignment
    assert now.seats_left == approved.seats_left


async def test_the_decision_of_an_unknown_request_is_not_found(service: BenefitsService) -> None:
    with pytest.raises(NotFound):
        await service.decision(31337)


async def test_check_can_decide_refuses_what_a_decision_would_refuse(
    service: BenefitsService,
) -> None:
    created = await service.request_benefit(MEMBER, VS_ENT.id, "project")

    request, benefit = await service.check_can_decide(ADMIN, created.request.id)
    assert (request, benefit) == (created.request, VS_ENT)
    with pytest.raises(Forbidden):
        await service.check_can_decide(MEMBER2, created.request.id)
    await service.deny(ADMIN, created.request.id, "no")
    with pytest.raises(Conflict):
        await service.check_can_decide(ADMIN, created.request.id)


async def test_adding_messages_to_an_unknown_request_is_refused_and_stores_nothing(
    service: BenefitsService,
) -> None:
    with pytest.raises(NotFound):
        await service.add_request_messages(999, [MessageRef("C0ADMINS", "1.1")])

    assert await service.request_messages(999) == []
