"""The App Home's service and builder, the benefit picker, and withdrawing a request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.blocks import ids
from bot.blocks.home import home_view, parse_home_page
from bot.blocks.picker import options_payload, request_form_view
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    Conflict,
    DomainError,
    Forbidden,
    RequestStatus,
    Role,
)
from bot.domain.outbox import PingState
from bot.runtime.container import Services
from bot.services.home import HomePages, home_prefix
from bot.services.notices import Notice
from storage.sqlite import SqliteStore
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import ADMIN, MEMBER, MEMBER2, MEMBERSHIP, VS_ENT, VS_PRO, AddBenefits


async def test_a_members_home_holds_their_seats_requests_and_what_ends_soon(
    services: Services, add_benefits: AddBenefits, clock: FakeClock
) -> None:
    ending = Benefit(
        "short", "Short-lived tool", Category.SOFTWARE, seats=3,
        expires_on=clock.now().date() + timedelta(days=10),
    )  # fmt: skip
    await add_benefits(ending)
    await services.seats.assign(ADMIN, "short", MEMBER)
    await services.requests.request_benefit(MEMBER, "vs-ent", "for the project")

    home = await services.home.home_of(MEMBER)

    assert [h.benefit.id for h in home.holdings.items] == ["short"]
    assert [p.benefit.id for p in home.pending.items] == ["vs-ent"]
    assert [(e.benefit.id, e.held) for e in home.ending] == [("short", True)]
    assert home.admin is None
    assert not home.empty


async def test_a_global_admins_home_adds_the_queue_seats_activations_and_the_membership_end(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.requests.request_benefit(MEMBER, "vs-ent", "for the project")
    await services.seats.assign(ADMIN, "vs-pro", MEMBER2)
    async with store.write() as uow:
        await uow.activations.put(
            Activation("psi", ActivationStatus.PENDING, ADMIN, clock.now() - timedelta(days=4))
        )

    home = await services.home.home_of(ADMIN)

    assert home.admin is not None
    assert [p.request.requester_id for p in home.admin.queue.items] == [MEMBER]
    visual_studio = next(s for s in home.admin.seats if s.category is Category.VISUAL_STUDIO)
    assert (visual_studio.used, visual_studio.seats) == (1, VS_ENT.seats + VS_PRO.seats)  # type: ignore[operator]
    assert [(w.benefit.id, w.days) for w in home.admin.activations] == [("psi", 4)]
    assert home.admin.membership_end == MEMBERSHIP.end_date
    assert home.admin.parked == 0


async def test_the_lists_page_and_a_page_past_the_end_shows_the_last(
    services: Services, add_benefits: AddBenefits
) -> None:
    many = [Benefit(f"b{n:02d}", f"Benefit {n:02d}", Category.SOFTWARE, seats=2) for n in range(12)]
    await add_benefits(*many)
    for benefit in many:
        await services.requests.request_benefit(MEMBER, benefit.id, "needed")

    second = await services.home.home_of(MEMBER, HomePages(pending=1))
    beyond = await services.home.home_of(MEMBER, HomePages(pending=99))

    assert second.pending.page == 1
    assert len(second.pending.items) == 5
    assert beyond.pending.page == 2
    assert len(beyond.pending.items) == 2
    assert second.pending.total == 12


async def test_the_home_view_stays_within_block_kit_for_every_role(services: Services) -> None:
    for role in Role:
        await services.roles.bootstrap_grant(MEMBER2, role)
        view = home_view(await services.home.home_of(MEMBER2))
        assert block_kit_violations(view, surface="home") == []
        assert len(view["blocks"]) <= 100


def test_a_page_button_value_names_a_list_and_a_page() -> None:
    assert parse_home_page("queue|3") == HomePages(queue=3)
    assert parse_home_page("held|0") == HomePages()
    for broken in ("queue|x", "other|1", "", "queue|-1"):
        with pytest.raises(DomainError):
            parse_home_page(broken)


async def test_a_request_queues_one_home_per_person_and_not_another_while_it_waits(
    services: Services, store: SqliteStore
) -> None:
    await services.home.opened(MEMBER)
    await services.home.opened(ADMIN)
    await services.requests.request_benefit(MEMBER, "vs-ent", "one")
    await services.requests.request_benefit(MEMBER, "vs-pro", "two")

    async with store.read() as uow:
        member = await uow.outbox.queued_with_prefix(home_prefix(MEMBER))
        admin = await uow.outbox.queued_with_prefix(home_prefix(ADMIN))
    assert len(member) == 1
    assert len(admin) == 1
    assert member[0].kind == Notice.HOME
    assert member[0].due_at > member[0].created_at  # debounced


async def test_a_home_claimed_by_a_sender_does_not_hold_back_the_next(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.home.opened(MEMBER)
    await services.requests.request_benefit(MEMBER, "vs-ent", "one")
    clock.advance(timedelta(seconds=5))
    claimed = await services.outbox.claim(owner="sender", limit=100, lease=timedelta(minutes=1))
    assert any(p.kind == Notice.HOME for p in claimed)

    await services.requests.request_benefit(MEMBER, "vs-pro", "two")

    async with store.read() as uow:
        member = await uow.outbox.queued_with_prefix(home_prefix(MEMBER))
    assert len(member) == 2


async def test_only_the_requester_withdraws_a_pending_request_once(
    services: Services, store: SqliteStore
) -> None:
    created = await services.requests.request_benefit(MEMBER, "vs-ent", "one")
    request_id = created.request.id

    with pytest.raises(Forbidden):
        await services.requests.withdraw(MEMBER2, request_id)
    withdrawn = await services.requests.withdraw(MEMBER, request_id)
    with pytest.raises(Conflict):
        await services.requests.withdraw(MEMBER, request_id)

    assert withdrawn.request.status is RequestStatus.CLOSED
    async with store.read() as uow:
        actions = [e.action for e in await uow.audit.recent(10)]
        updates = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=100)
    assert actions.count("request.withdraw") == 1
    assert any(p.kind == Notice.REQUEST_DECIDED_COPY for p in updates)


async def test_the_form_refuses_a_benefit_with_no_seat_left(
    services: Services, add_benefits: AddBenefits
) -> None:
    await add_benefits(Benefit("one", "Only one seat", Category.SOFTWARE, seats=1))
    await services.seats.assign(ADMIN, "one", MEMBER2)

    with pytest.raises(Conflict, match="No seat"):
        await services.requests.request_by_form(MEMBER, "one", "please")
    # the command still files it (an admin may free a seat first)
    assert (await services.requests.request_benefit(MEMBER, "one", "please")).request.id


async def test_the_picker_follows_seats_and_inventory_changes(
    services: Services, add_benefits: AddBenefits
) -> None:
    before = {r.benefit.id: r.seats_left for r in await services.picker.options("visual")}
    await services.seats.assign(ADMIN, "vs-ent", MEMBER)
    await add_benefits(Benefit("vs-test", "Visual Studio Test", Category.VISUAL_STUDIO, seats=1))
    after = {r.benefit.id: r.seats_left for r in await services.picker.options("visual")}

    assert after["vs-ent"] == before["vs-ent"] - 1  # type: ignore[operator]
    assert "vs-test" in after
    assert "vs-test" not in before


async def test_the_options_and_the_form_stay_within_block_kit(services: Services) -> None:
    payload = options_payload(await services.picker.options(""))
    form = request_form_view()

    assert sum(len(g["options"]) for g in payload["option_groups"]) <= 100
    assert block_kit_violations(form, surface="modal") == []
    assert form["callback_id"] == ids.REQUEST_VIEW


async def test_a_global_admins_own_request_shows_in_the_queue_without_buttons(
    services: Services,
) -> None:
    mine = await services.requests.request_benefit(ADMIN, "vs-ent", "for me")
    theirs = await services.requests.request_benefit(MEMBER, "vs-pro", "for them")

    view = home_view(await services.home.home_of(ADMIN))

    values = [
        e["value"]
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    ]
    assert values == [str(theirs.request.id)]
    assert str(mine.request.id) not in values


async def test_only_the_homes_of_people_who_opened_theirs_are_queued(
    services: Services, store: SqliteStore
) -> None:
    await services.home.opened(ADMIN)
    await services.home.opened(ADMIN)  # once is recorded; again changes nothing
    await services.requests.request_benefit(MEMBER, "vs-ent", "one")

    async with store.read() as uow:
        member = await uow.outbox.queued_with_prefix(home_prefix(MEMBER))
        admin = await uow.outbox.queued_with_prefix(home_prefix(ADMIN))
        assert await uow.people.home_viewers([MEMBER, ADMIN]) == {ADMIN}
    assert member == []
    assert len(admin) == 1
