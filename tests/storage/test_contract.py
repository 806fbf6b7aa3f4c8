"""The storage contract: every :class:`storage.unit_of_work.Store` passes these tests.

Each test runs once per store: a SQLite file (``[file]``) and the throw-away
SQLite database ``memory://`` opens (``[throwaway]``) and PostgreSQL
(``[postgres]``). Tests speak only through the ``UnitOfWork`` and
its area ports, so they pin behaviour, not storage details. Ids are compared
by order, never by value: implementations number their rows differently.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain.model import (
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    Level,
    Membership,
    MessageRef,
    RequestStatus,
    Role,
)
from storage.unit_of_work import Store, UnitOfWork

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


VS = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=2)
AZURE = Benefit("azure", "Azure credits", Category.CLOUD, seats=None, description="Monthly")
OFFICE = Benefit("m365", "Microsoft 365 E3", Category.SOFTWARE, seats=5, instructions="Ask IT")


async def put_benefits(store: Store, *benefits: Benefit) -> None:
    async with store.write() as uow:
        for benefit in benefits:
            await uow.benefits.put(benefit)


async def assign(
    uow: UnitOfWork,
    benefit_id: str,
    user_id: str | None,
    minute: int,
    *,
    email: str | None = None,
) -> int:
    assignment = await uow.assignments.add(
        benefit_id=benefit_id,
        user_id=user_id,
        assigned_at=at(minute),
        assigned_by="UADMIN",
        holder_email=email,
    )
    return assignment.id


async def ask(uow: UnitOfWork, benefit_id: str, requester_id: str, minute: int) -> int:
    made = await uow.requests.add(
        benefit_id=benefit_id, requester_id=requester_id, reason="", created_at=at(minute)
    )
    return made.id


# -- membership ------------------------------------------------------------------


async def test_there_is_no_membership_until_one_is_put(store: Store) -> None:
    async with store.read() as uow:
        assert await uow.membership.get() is None


async def test_the_membership_reads_back_and_a_second_put_replaces_it(store: Store) -> None:
    first = Membership(Level.SILVER, date(2025, 3, 1), date(2026, 3, 1), "it@example.com")
    second = replace(first, level=Level.GOLD, managed_in_pmc=True)
    async with store.write() as uow:
        await uow.membership.put(first)
    async with store.read() as uow:
        assert await uow.membership.get() == first
    async with store.write() as uow:
        await uow.membership.put(second)
    async with store.read() as uow:
        assert await uow.membership.get() == second


# -- benefits --------------------------------------------------------------------


async def test_a_benefit_reads_back_exactly_as_it_was_written(store: Store) -> None:
    await put_benefits(store, VS, AZURE, OFFICE)
    async with store.read() as uow:
        assert await uow.benefits.get("vs-ent") == VS
        assert await uow.benefits.get("azure") == AZURE
        assert await uow.benefits.get("m365") == OFFICE
        assert await uow.benefits.get("nope") is None


async def test_putting_a_benefit_again_updates_it_and_keeps_its_assignments(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        await assign(uow, "vs-ent", "U1", 0)
    changed = replace(VS, name="VS Enterprise", seats=10, description="New text")
    await put_benefits(store, changed)
    async with store.read() as uow:
        assert await uow.benefits.get("vs-ent") == changed
        assert await uow.assignments.count_active("vs-ent") == 1
        assert len(await uow.benefits.all()) == 1


async def test_benefits_are_ordered_by_category_declaration_then_name_ignoring_case_then_id(
    store: Store,
) -> None:
    benefits = [
        Benefit("gtm-1", "Co-sell", Category.GTM),
        Benefit("cloud-b", "beta", Category.CLOUD),
        Benefit("cloud-a2", "Beta", Category.CLOUD),
        Benefit("cloud-a1", "BETA", Category.CLOUD),
        Benefit("cloud-z", "alpha", Category.CLOUD),
        Benefit("sw-2", "Zeta", Category.SOFTWARE),
        Benefit("sw-1", "Édition", Category.SOFTWARE),
        Benefit("sw-0", "édition", Category.SOFTWARE),
        Benefit("sw-3", "eagle", Category.SOFTWARE),
        Benefit("tech-1", "Advisory hours", Category.TECHNICAL),
    ]
    await put_benefits(store, *benefits)
    expected = [
        "sw-3",  # software: "eagle" < "zeta" < "édition" (casefolded code points) ...
        "sw-2",
        "sw-0",  # ... and "Édition" ties with "édition", so the id decides
        "sw-1",
        "cloud-z",  # cloud: "alpha", then the three "beta" by id
        "cloud-a1",
        "cloud-a2",
        "cloud-b",
        "tech-1",  # technical comes before go-to-market in the enum
        "gtm-1",
    ]
    async with store.read() as uow:
        assert [b.id for b in await uow.benefits.all()] == expected
        rows = await uow.benefits.rows(category=None, offset=0, limit=100)
        assert [r.benefit.id for r in rows] == expected


async def test_benefit_rows_count_only_active_seats(store: Store) -> None:
    await put_benefits(store, VS, AZURE, OFFICE)
    async with store.write() as uow:
        await assign(uow, "vs-ent", "U1", 0)
        released = await assign(uow, "vs-ent", "U2", 1)
        await uow.assignments.release(released, at=at(2))
        await assign(uow, "m365", "U1", 3)
        await assign(uow, "m365", None, 4, email="old@example.com")
    async with store.read() as uow:
        rows = await uow.benefits.rows(category=None, offset=0, limit=10)
    assert rows == [BenefitRow(OFFICE, 2), BenefitRow(AZURE, 0), BenefitRow(VS, 1)]
    assert [r.seats_left for r in rows] == [3, None, 1]


async def test_benefit_rows_filter_by_category_and_page_with_offset_and_limit(
    store: Store,
) -> None:
    clouds = [Benefit(f"c{i}", f"Cloud {i}", Category.CLOUD) for i in range(5)]
    await put_benefits(store, OFFICE, *clouds)
    async with store.read() as uow:
        first = await uow.benefits.rows(category=Category.CLOUD, offset=0, limit=2)
        second = await uow.benefits.rows(category=Category.CLOUD, offset=2, limit=2)
        last = await uow.benefits.rows(category=Category.CLOUD, offset=4, limit=2)
        beyond = await uow.benefits.rows(category=Category.CLOUD, offset=5, limit=2)
        everything = await uow.benefits.rows(category=None, offset=1, limit=2)
    assert [r.benefit.id for r in first] == ["c0", "c1"]
    assert [r.benefit.id for r in second] == ["c2", "c3"]
    assert [r.benefit.id for r in last] == ["c4"]
    assert beyond == []
    assert [r.benefit.id for r in everything] == ["c0", "c1"]  # m365 (software) is first


async def test_count_benefits_counts_all_or_one_category(store: Store) -> None:
    await put_benefits(store, VS, AZURE, OFFICE, Benefit("a2", "Azure DevOps", Category.CLOUD))
    async with store.read() as uow:
        assert await uow.benefits.count(category=None) == 4
        assert await uow.benefits.count(category=Category.CLOUD) == 2
        assert await uow.benefits.count(category=Category.GTM) == 0


async def test_prefix_search_matches_id_or_name_ignoring_case(store: Store) -> None:
    pro = Benefit("vs-pro", "Pro subscription", Category.VISUAL_STUDIO)
    await put_benefits(store, VS, AZURE, OFFICE, pro)
    async with store.read() as uow:
        by_name = await uow.benefits.by_name_prefix("VISUAL stu", limit=10)
        by_id = await uow.benefits.by_name_prefix("VS-", limit=10)
        by_either = await uow.benefits.by_name_prefix("m", limit=10)
        nothing = await uow.benefits.by_name_prefix("studio", limit=10)
    assert by_name == [VS]
    assert by_id == [pro, VS]  # "pro …" sorts before "visual …"
    assert by_either == [OFFICE]  # id "m365" and name "Microsoft …" both match, once
    assert nothing == []  # a prefix, not a substring


async def test_prefix_search_folds_case_beyond_ascii(store: Store) -> None:
    edition = Benefit("ed", "Édition Spéciale", Category.SOFTWARE)
    await put_benefits(store, edition, VS)
    async with store.read() as uow:
        assert await uow.benefits.by_name_prefix("édition sp", limit=5) == [edition]
        assert await uow.benefits.by_name_prefix("ÉDITION SPÉ", limit=5) == [edition]


async def test_prefix_search_takes_percent_and_underscore_literally(store: Store) -> None:
    percent = Benefit("pct", "100% support", Category.TECHNICAL)
    plain = Benefit("plain", "1000 hours", Category.TECHNICAL)
    underscore = Benefit("snake_case", "Snake", Category.TECHNICAL)
    lookalike = Benefit("snakeXcase", "Snakes", Category.TECHNICAL)
    backslash = Benefit("back\\slash", "Backslash", Category.TECHNICAL)
    await put_benefits(store, percent, plain, underscore, lookalike, backslash)
    async with store.read() as uow:
        assert await uow.benefits.by_name_prefix("100%", limit=5) == [percent]
        assert await uow.benefits.by_name_prefix("%", limit=5) == []
        assert await uow.benefits.by_name_prefix("snake_", limit=5) == [underscore]
        assert await uow.benefits.by_name_prefix("_", limit=5) == []
        assert await uow.benefits.by_name_prefix("back\\", limit=5) == [backslash]


async def test_prefix_search_keeps_the_inventory_order_and_the_limit(store: Store) -> None:
    found = [
        Benefit("x3", "Xbox c", Category.SOFTWARE),
        Benefit("x1", "xbox A", Category.CLOUD),
        Benefit("x2", "XBOX b", Category.CLOUD),
    ]
    await put_benefits(store, *found, OFFICE)
    async with store.read() as uow:
        every = await uow.benefits.by_name_prefix("xbox", limit=10)
        two = await uow.benefits.by_name_prefix("xbox", limit=2)
        none = await uow.benefits.by_name_prefix("xbox", limit=0)
    assert [b.id for b in every] == ["x3", "x1", "x2"]
    assert [b.id for b in two] == ["x3", "x1"]
    assert none == []


# -- assignments -------------------------------------------------------------------


async def test_an_assignment_reads_back_with_every_field(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        made = await uow.assignments.add(
            benefit_id="vs-ent",
            user_id="U1",
            assigned_at=at(5),
            assigned_by="UADMIN",
            holder_email="u1@example.com",
        )
    assert (made.benefit_id, made.user_id, made.assigned_at) == ("vs-ent", "U1", at(5))
    assert (made.assigned_by, made.holder_email, made.released_at) == (
        "UADMIN",
        "u1@example.com",
        None,
    )
    async with store.read() as uow:
        assert await uow.assignments.find_active("vs-ent", "U1") == made
        assert await uow.assignments.active("vs-ent") == [made]
        assert await uow.assignments.find_active("vs-ent", "U2") is None
        assert await uow.assignments.count_active("vs-ent") == 1


async def test_active_assignments_are_ordered_by_assigned_time_then_id(store: Store) -> None:
    await put_benefits(store, OFFICE)
    async with store.write() as uow:
        late = await assign(uow, "m365", "U1", 30)
        early = await assign(uow, "m365", "U2", 10)
        tie_first = await assign(uow, "m365", "U3", 20)
        tie_second = await assign(uow, "m365", "U4", 20)
    async with store.read() as uow:
        ids = [a.id for a in await uow.assignments.active("m365")]
    assert ids == [early, tie_first, tie_second, late]


async def test_releasing_an_assignment_frees_its_seat(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        kept = await assign(uow, "vs-ent", "U1", 0)
        freed = await assign(uow, "vs-ent", "U2", 1)
    async with store.write() as uow:
        await uow.assignments.release(freed, at=at(2))
    async with store.read() as uow:
        assert await uow.assignments.count_active("vs-ent") == 1
        assert await uow.assignments.find_active("vs-ent", "U2") is None
        assert [a.id for a in await uow.assignments.active("vs-ent")] == [kept]
        assert await uow.assignments.of_user("U2") == []
        rows = await uow.benefits.rows(category=None, offset=0, limit=5)
    assert rows == [BenefitRow(VS, 1)]
    assert rows[0].seats_left == 1


async def test_a_released_seat_can_be_given_to_the_same_person_again(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        first = await assign(uow, "vs-ent", "U1", 0)
        await uow.assignments.release(first, at=at(1))
        second = await assign(uow, "vs-ent", "U1", 2)
    async with store.read() as uow:
        active = await uow.assignments.find_active("vs-ent", "U1")
    assert active is not None
    assert active.id == second != first
    assert active.assigned_at == at(2)


async def test_releasing_or_resolving_an_unknown_assignment_raises_lookup_error(
    store: Store,
) -> None:
    async with store.write() as uow:
        with pytest.raises(LookupError):
            await uow.assignments.release(424242, at=at(0))
        with pytest.raises(LookupError):
            await uow.assignments.resolve_holder(424242, "U1")


async def test_user_assignments_list_only_that_persons_active_seats_oldest_first(
    store: Store,
) -> None:
    await put_benefits(store, VS, AZURE, OFFICE)
    async with store.write() as uow:
        newer = await assign(uow, "vs-ent", "U1", 20)
        older = await assign(uow, "azure", "U1", 10)
        gone = await assign(uow, "m365", "U1", 5)
        await uow.assignments.release(gone, at=at(30))
        await assign(uow, "m365", "U2", 0)
    async with store.read() as uow:
        assert [a.id for a in await uow.assignments.of_user("U1")] == [older, newer]
        assert await uow.assignments.of_user("U3") == []
        standing = await uow.assignments.standing_of("U1")
        assert [(a.id, b) for a, b in standing.held] == [(older, AZURE), (newer, VS)]
        assert [a for a, _ in standing.held] == await uow.assignments.of_user("U1")
        assert await uow.assignments.standing_of("U3") == ([], [])


async def test_unresolved_holders_are_active_seats_known_only_by_email_until_resolved(
    store: Store,
) -> None:
    await put_benefits(store, VS, OFFICE)
    async with store.write() as uow:
        second = await assign(uow, "m365", None, 9, email="b@example.com")
        first = await assign(uow, "vs-ent", None, 8, email="a@example.com")
        released = await assign(uow, "m365", None, 7, email="c@example.com")
        await uow.assignments.release(released, at=at(10))
        await assign(uow, "vs-ent", "U1", 1)
    async with store.read() as uow:
        unresolved = await uow.assignments.unresolved_holders()
    assert [(a.id, a.holder_email) for a in unresolved] == [
        (first, "a@example.com"),
        (second, "b@example.com"),
    ]
    async with store.write() as uow:
        await uow.assignments.resolve_holder(first, "U9")
    async with store.read() as uow:
        assert [a.id for a in await uow.assignments.unresolved_holders()] == [second]
        resolved = await uow.assignments.find_active("vs-ent", "U9")
    assert resolved is not None
    assert (resolved.id, resolved.holder_email) == (first, "a@example.com")


# -- requests ---------------------------------------------------------------------


async def test_a_request_starts_pending_and_reads_back(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        made = await uow.requests.add(
            benefit_id="vs-ent", requester_id="U1", reason="For testing", created_at=at(3)
        )
    assert made.status is RequestStatus.PENDING
    assert (made.decided_by, made.decided_at, made.decision_note) == (None, None, "")
    async with store.read() as uow:
        assert await uow.requests.get(made.id) == made
        assert await uow.requests.get(made.id + 1000) is None
        assert await uow.requests.pending("U1", "vs-ent") == made
        assert await uow.requests.pending("U1", "azure") is None
        assert await uow.requests.pending("U2", "vs-ent") is None


async def test_deciding_a_request_records_it_and_a_second_decision_returns_false(
    store: Store,
) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        made = await uow.requests.add(
            benefit_id="vs-ent", requester_id="U1", reason="", created_at=at(0)
        )
    async with store.write() as uow:
        first = await uow.requests.decide(
            made.id, status=RequestStatus.DENIED, decided_by="UADMIN", decided_at=at(5), note="No"
        )
    async with store.write() as uow:
        again = await uow.requests.decide(
            made.id, status=RequestStatus.APPROVED, decided_by="UOTHER", decided_at=at(6)
        )
    assert (first, again) == (True, False)
    async with store.read() as uow:
        decided = await uow.requests.get(made.id)
        assert await uow.requests.pending("U1", "vs-ent") is None
    assert decided == replace(
        made,
        status=RequestStatus.DENIED,
        decided_by="UADMIN",
        decided_at=at(5),
        decision_note="No",
    )


async def test_deciding_an_unknown_request_returns_false(store: Store) -> None:
    async with store.write() as uow:
        assert not await uow.requests.decide(
            99, status=RequestStatus.APPROVED, decided_by="UADMIN", decided_at=at(0)
        )


async def test_after_a_decision_the_same_person_may_ask_for_the_same_benefit_again(
    store: Store,
) -> None:
    await put_benefits(store, VS)
    async with store.write() as uow:
        old = await ask(uow, "vs-ent", "U1", 0)
        await uow.requests.decide(
            old, status=RequestStatus.CLOSED, decided_by="UADMIN", decided_at=at(1)
        )
        new = await ask(uow, "vs-ent", "U1", 2)
    async with store.read() as uow:
        pending = await uow.requests.pending("U1", "vs-ent")
    assert pending is not None
    assert pending.id == new != old


async def test_user_requests_filter_by_person_and_status_in_creation_order(store: Store) -> None:
    await put_benefits(store, VS, AZURE, OFFICE)
    async with store.write() as uow:
        a = await ask(uow, "vs-ent", "U1", 0)
        b = await ask(uow, "azure", "U1", 1)
        c = await ask(uow, "m365", "U1", 2)
        await ask(uow, "azure", "U2", 3)
        await uow.requests.decide(
            b, status=RequestStatus.APPROVED, decided_by="UADMIN", decided_at=at(4)
        )
    async with store.read() as uow:
        pending = await uow.requests.of_user("U1", status=RequestStatus.PENDING)
        approved = await uow.requests.of_user("U1", status=RequestStatus.APPROVED)
        denied = await uow.requests.of_user("U1", status=RequestStatus.DENIED)
    assert [r.id for r in pending] == [a, c]
    assert [(r.id, r.status) for r in approved] == [(b, RequestStatus.APPROVED)]
    assert denied == []


async def test_request_messages_keep_their_order_and_ignore_duplicates(store: Store) -> None:
    await put_benefits(store, VS)
    one, two, three = MessageRef("C2", "1.5"), MessageRef("C1", "2.0"), MessageRef("C1", "1.0")
    async with store.write() as uow:
        request = await ask(uow, "vs-ent", "U1", 0)
        other = await ask(uow, "vs-ent", "U2", 0)
        await uow.requests.add_messages(request, [one, two, one])
        await uow.requests.add_messages(request, [])
    async with store.write() as uow:
        await uow.requests.add_messages(request, [two, three])
        await uow.requests.add_messages(other, [MessageRef("D1", "9.9")])
    async with store.read() as uow:
        assert await uow.requests.messages(request) == [one, two, three]
        assert await uow.requests.messages(other) == [MessageRef("D1", "9.9")]
        assert await uow.requests.messages(other + 1000) == []


# -- roles and directory ------------------------------------------------------------


async def test_granting_a_role_twice_returns_false_the_second_time(store: Store) -> None:
    async with store.write() as uow:
        assert await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=at(0))
        assert not await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=at(1))
        assert await uow.people.grant_role("U1", Role.USER_ADMIN, at=at(1))
    async with store.read() as uow:
        assert await uow.people.roles_of("U1") == {Role.GLOBAL_ADMIN, Role.USER_ADMIN}
        assert await uow.people.roles_of("U2") == frozenset()


async def test_revoking_returns_false_when_the_role_was_not_held(store: Store) -> None:
    async with store.write() as uow:
        await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=at(0))
        await uow.people.grant_role("U1", Role.ADMIN_AGENT, at=at(0))
    async with store.write() as uow:
        assert await uow.people.revoke_role("U1", Role.GLOBAL_ADMIN)
        assert not await uow.people.revoke_role("U1", Role.GLOBAL_ADMIN)
        assert not await uow.people.revoke_role("U2", Role.ADMIN_AGENT)
    async with store.read() as uow:
        assert await uow.people.roles_of("U1") == {Role.ADMIN_AGENT}


async def test_role_holders_are_sorted_by_user_id(store: Store) -> None:
    async with store.write() as uow:
        for user in ["U3", "U10", "U1", "UA"]:
            await uow.people.grant_role(user, Role.GLOBAL_ADMIN, at=at(0))
        await uow.people.grant_role("U0", Role.USER_ADMIN, at=at(0))
    async with store.read() as uow:
        assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == ["U1", "U10", "U3", "UA"]
        assert await uow.people.role_holders(Role.USER_ADMIN) == ["U0"]
        assert await uow.people.role_holders(Role.ADMIN_AGENT) == []


async def test_all_roles_are_ordered_by_role_declaration_then_user_id(store: Store) -> None:
    async with store.write() as uow:
        await uow.people.grant_role("U2", Role.ADMIN_AGENT, at=at(0))
        await uow.people.grant_role("U9", Role.USER_ADMIN, at=at(0))
        await uow.people.grant_role("U2", Role.GLOBAL_ADMIN, at=at(0))
        await uow.people.grant_role("U1", Role.USER_ADMIN, at=at(0))
        await uow.people.grant_role("U5", Role.MPN_PARTNER_ADMIN, at=at(0))
    async with store.read() as uow:
        assert await uow.people.all_roles() == [
            ("U2", Role.GLOBAL_ADMIN),
            ("U5", Role.MPN_PARTNER_ADMIN),
            ("U1", Role.USER_ADMIN),
            ("U9", Role.USER_ADMIN),
            ("U2", Role.ADMIN_AGENT),
        ]


async def test_a_directory_user_reads_back_and_a_second_put_updates_it(store: Store) -> None:
    user = DirectoryUser("U1", name="Ada", email="ada@example.com")
    async with store.write() as uow:
        await uow.people.put_user(user)
    async with store.read() as uow:
        assert await uow.people.get_user("U1") == user
        assert await uow.people.get_user("U2") is None
    async with store.write() as uow:
        await uow.people.put_user(replace(user, name="Ada L."))
    async with store.read() as uow:
        assert await uow.people.get_user("U1") == DirectoryUser("U1", "Ada L.", "ada@example.com")


async def test_a_chosen_language_reads_back_changes_and_is_forgotten(store: Store) -> None:
    async with store.read() as uow:
        assert await uow.people.language_of("U1") is None
    async with store.write() as uow:
        await uow.people.set_language("U1", "nl")
    async with store.read() as uow:
        assert await uow.people.language_of("U1") == "nl"
        assert await uow.people.language_of("U2") is None
        assert await uow.people.all_languages() == {"U1": "nl"}
    async with store.write() as uow:
        await uow.people.set_language("U1", "en")
    async with store.read() as uow:
        assert await uow.people.language_of("U1") == "en"
    async with store.write() as uow:
        await uow.people.set_language("U1", None)
        await uow.people.set_language("U2", None)  # nothing to forget: no error
    async with store.read() as uow:
        assert await uow.people.language_of("U1") is None
        assert await uow.people.all_languages() == {}


async def test_choosing_a_language_does_not_put_the_person_in_the_directory(store: Store) -> None:
    async with store.write() as uow:
        await uow.people.set_language("U1", "nl")
    async with store.read() as uow:
        assert await uow.people.get_user("U1") is None


# -- audit ------------------------------------------------------------------------


async def test_recent_audit_gives_the_newest_entries_first_up_to_the_limit(store: Store) -> None:
    entries = [AuditEntry(at(i), "U1", f"action.{i}", f"subject:{i}", f"d{i}") for i in range(5)]
    async with store.write() as uow:
        for entry in entries[:3]:
            await uow.audit.add(entry)
    async with store.write() as uow:
        for entry in entries[3:]:
            await uow.audit.add(entry)
    async with store.read() as uow:
        latest = await uow.audit.recent(3)
        everything = await uow.audit.recent(100)
        none = await uow.audit.recent(0)
    assert [replace(e, id=0) for e in latest] == [entries[4], entries[3], entries[2]]
    assert [e.action for e in everything] == [f"action.{i}" for i in (4, 3, 2, 1, 0)]
    ids = [e.id for e in everything]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5
    assert none == []


# -- units of work -----------------------------------------------------------------


async def test_a_write_that_raises_leaves_nothing_behind(store: Store) -> None:
    await put_benefits(store, VS)

    class Boom(Exception):
        pass

    async def doomed_write() -> None:
        async with store.write() as uow:
            await uow.membership.put(
                Membership(Level.GOLD, date(2025, 1, 1), date(2026, 1, 1), "x@example.com")
            )
            await uow.benefits.put(AZURE)
            await uow.benefits.put(replace(VS, seats=99))
            await assign(uow, "vs-ent", "U1", 0)
            await ask(uow, "vs-ent", "U2", 0)
            await uow.people.grant_role("U1", Role.GLOBAL_ADMIN, at=at(0))
            await uow.people.put_user(DirectoryUser("U1"))
            await uow.audit.add(AuditEntry(at(0), "U1", "a", "s"))
            assert await uow.benefits.get("azure") == AZURE  # visible inside the block
            raise Boom

    with pytest.raises(Boom):
        await doomed_write()
    async with store.read() as uow:
        assert await uow.membership.get() is None
        assert await uow.benefits.all() == [VS]
        assert await uow.assignments.count_active("vs-ent") == 0
        assert await uow.requests.pending("U2", "vs-ent") is None
        assert await uow.people.roles_of("U1") == frozenset()
        assert await uow.people.get_user("U1") is None
        assert await uow.audit.recent(10) == []


async def test_a_write_that_ends_normally_is_visible_to_later_reads(store: Store) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        assert await uow.benefits.get("vs-ent") == VS
    async with store.read() as uow:
        assert await uow.benefits.get("vs-ent") == VS


async def test_times_read_back_equal_and_timezone_aware_whatever_zone_they_were_given_in(
    store: Store,
) -> None:
    cet = timezone(timedelta(hours=1))
    moment = datetime(2026, 2, 1, 10, 30, 15, 123456, tzinfo=cet)
    await put_benefits(store, VS)
    async with store.write() as uow:
        made = await assign(uow, "vs-ent", "U1", 0)
        await uow.assignments.release(made, at=moment)
        await uow.audit.add(AuditEntry(moment, "U1", "a", "s"))
        request = await uow.requests.add(
            benefit_id="vs-ent", requester_id="U1", reason="", created_at=moment
        )
        await uow.requests.decide(
            request.id, status=RequestStatus.DENIED, decided_by="U2", decided_at=moment
        )
    async with store.read() as uow:
        entry = (await uow.audit.recent(1))[0]
        decided = await uow.requests.get(request.id)
    assert decided is not None
    for value in (entry.at, decided.created_at, decided.decided_at):
        assert value == moment
        assert value is not None
        assert value.tzinfo is not None


async def test_a_working_store_answers_ping(store: Store) -> None:
    assert await store.ping() is True


async def test_unannounced_requests_are_the_pending_old_ones_never_posted(store: Store) -> None:
    async with store.write() as uow:
        await uow.benefits.put(VS)
        posted = await uow.requests.add(
            benefit_id=VS.id, requester_id="U1", reason="", created_at=T0
        )
        await uow.requests.add_messages(posted.id, [MessageRef("D1", "1.1")])
        lost = await uow.requests.add(benefit_id=VS.id, requester_id="U2", reason="", created_at=T0)
        decided = await uow.requests.add(
            benefit_id=VS.id, requester_id="U3", reason="", created_at=T0
        )
        await uow.requests.decide(
            decided.id, status=RequestStatus.DENIED, decided_by="A", decided_at=T0
        )
        await uow.requests.add(
            benefit_id=VS.id, requester_id="U4", reason="", created_at=T0 + timedelta(hours=1)
        )
    async with store.read() as uow:
        found = await uow.requests.unannounced(created_before=T0 + timedelta(minutes=1), limit=10)
        none = await uow.requests.unannounced(created_before=T0 + timedelta(minutes=1), limit=0)
    assert [r.id for r in found] == [lost.id]
    assert none == []


async def test_the_name_index_is_kept_while_no_benefit_changes(store: Store) -> None:
    await put_benefits(store, VS, AZURE)
    async with store.read() as uow:
        first = await uow.benefits.names()
    async with store.write() as uow:
        await uow.people.grant_role("U0001", Role.GLOBAL_ADMIN, at=at(0))  # no benefit changes
    async with store.read() as uow:
        again = await uow.benefits.names()
    assert again is first
    assert again.match(VS.id, limit=5).found == VS.id


async def test_the_name_index_follows_a_changed_inventory(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.read() as uow:
        before = await uow.benefits.names()
    await put_benefits(store, replace(VS, name="Visual Studio Ultimate"), AZURE)
    async with store.read() as uow:
        after = await uow.benefits.names()
    assert before.match("visual studio ent", limit=5).found == VS.id
    assert after.match("visual studio ent", limit=5).found is None
    assert after.match("visual studio ult", limit=5).found == VS.id
    assert after.match(AZURE.name, limit=5).found == AZURE.id


async def test_a_rolled_back_benefit_never_reaches_the_name_index(store: Store) -> None:
    ghost = Benefit("ghost", "Ghost benefit", Category.SOFTWARE)
    await put_benefits(store, VS)
    seen_inside: list[str | None] = []

    async def put_then_fail() -> None:
        async with store.write() as uow:
            await uow.benefits.put(ghost)
            seen_inside.append((await uow.benefits.names()).match("ghost", limit=5).found)
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await put_then_fail()
    assert seen_inside == [ghost.id]  # the transaction sees its own change
    await put_benefits(store, AZURE)  # the same number of changes as the rolled back one
    async with store.read() as uow:
        names = await uow.benefits.names()
    assert names.match("ghost", limit=5).found is None
    assert names.match(AZURE.id, limit=5).found == AZURE.id


async def test_generations_tell_inventory_changes_from_seat_changes(store: Store) -> None:
    await put_benefits(store, VS)
    async with store.read() as uow:
        start = await uow.benefits.generations()
    async with store.write() as uow:
        await assign(uow, VS.id, "U0001", 0)
    async with store.read() as uow:
        seated = await uow.benefits.generations()
        counts = await uow.assignments.count_active_many([VS.id, "nothing"])
        found = await uow.benefits.get_many(["nothing", VS.id])
    await put_benefits(store, AZURE)
    async with store.read() as uow:
        grown = await uow.benefits.generations()
    assert seated[0] == start[0]
    assert seated[1] != start[1]
    assert grown[0] != seated[0]
    assert grown[1] == seated[1]
    assert counts == {VS.id: 1, "nothing": 0}
    assert found == [VS]


async def test_a_persons_standing_is_their_seats_then_their_pending_requests_with_benefits(
    store: Store,
) -> None:
    await put_benefits(store, VS, AZURE, OFFICE)
    async with store.write() as uow:
        seat = await assign(uow, "azure", "U1", 10)
        first = await uow.requests.add(
            benefit_id="vs-ent", requester_id="U1", reason="for the lab", created_at=at(20)
        )
        second = await uow.requests.add(
            benefit_id="m365", requester_id="U1", reason="", created_at=at(30)
        )
        decided = await uow.requests.add(
            benefit_id="azure", requester_id="U1", reason="again", created_at=at(35)
        )
        await uow.requests.decide(
            decided.id,
            status=RequestStatus.DENIED,
            decided_by="UADMIN",
            decided_at=at(40),
            note="no",
        )
        await uow.requests.add(benefit_id="m365", requester_id="U2", reason="", created_at=at(31))
    async with store.read() as uow:
        standing = await uow.assignments.standing_of("U1")
    assert [(a.id, b) for a, b in standing.held] == [(seat, AZURE)]
    assert [(r, b) for r, b in standing.pending] == [(first, VS), (second, OFFICE)]
