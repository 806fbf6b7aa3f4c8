"""Block Kit builders: pure functions checked against the dicts they produce.

Every payload is also run through the Block Kit limit checker of
``tests.fakes.blockkit``, which reports what Slack would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.blocks import ids
from bot.blocks.catalog import benefit_list_message, help_message, mine_message
from bot.blocks.details import details_view
from bot.blocks.primitives import error_message, parse_page_value, render_error
from bot.blocks.requests import (
    approval_request_message,
    decided_request_message,
    deny_view,
    outcome_dm,
)
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, DirectoryUser, Forbidden, NoMatch, NotFound, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from storage.sqlite import SqliteStore, throwaway_store
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    MEMBER,
    MEMBER2,
    VS_ENT,
    VS_PRO,
    AddBenefits,
)
from tests.unit.helpers import long_requests

Payload = dict[str, Any]


def blocks_of(payload: Payload) -> list[Payload]:
    blocks: list[Payload] = payload["blocks"]
    return blocks


def of_type(payload: Payload, kind: str) -> list[Payload]:
    return [b for b in blocks_of(payload) if b["type"] == kind]


def buttons(payload: Payload) -> Iterator[Payload]:
    for block in blocks_of(payload):
        if block["type"] == "actions":
            yield from block["elements"]
        accessory = block.get("accessory")
        if accessory is not None and accessory["type"] == "button":
            yield accessory


def texts(value: Any) -> Iterator[str]:
    """Every ``text`` string anywhere in a payload."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def all_text(payload: Payload) -> str:
    return "\n".join(texts(payload))


def mrkdwn_texts(value: Any) -> Iterator[str]:
    """The text of every mrkdwn text object in a payload."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for item in value.values():
            yield from mrkdwn_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from mrkdwn_texts(item)


# -- approval requests ---------------------------------------------------------------


async def test_an_approval_request_has_exactly_an_approve_and_a_deny_button_for_the_request(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "for the new project")

    payload = approval_request_message(created.request, created.benefit, created.seats_left)

    assert block_kit_violations(payload, surface="message") == []
    [actions] = of_type(payload, "actions")
    assert actions["block_id"] == ids.REQUEST_ACTIONS_BLOCK
    assert [e["text"]["text"] for e in actions["elements"]] == ["Approve", "Deny"]
    assert [e["type"] for e in actions["elements"]] == ["button", "button"]
    assert [e["value"] for e in actions["elements"]] == [str(created.request.id)] * 2
    assert [e["action_id"] for e in actions["elements"]] == [ids.APPROVE, ids.DENY]
    text = all_text(payload)
    assert f"<@{MEMBER}>" in text
    assert VS_ENT.name in text
    assert "for the new project" in text


async def test_a_reason_cannot_notify_the_whole_approvers_channel(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(
        MEMBER, VS_ENT.id, "urgent <!channel> <!here>"
    )

    payload = approval_request_message(created.request, created.benefit, created.seats_left)

    shown = list(mrkdwn_texts(payload))
    assert any("urgent" in text for text in shown)
    assert not any("<!channel>" in text or "<!here>" in text for text in shown)


@pytest.mark.parametrize("outcome", ["approved", "denied"])
async def test_a_decided_request_has_no_buttons_and_says_who_decided(
    services: Services, outcome: str
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "for the new project")
    if outcome == "approved":
        decision = await services.requests.approve(ADMIN, created.request.id)
    else:
        decision = await services.requests.deny(ADMIN, created.request.id, "Budget is frozen")

    payload = decided_request_message(decision)

    assert block_kit_violations(payload, surface="message") == []
    assert of_type(payload, "actions") == []
    assert list(buttons(payload)) == []
    [context] = of_type(payload, "context")
    outcome_text = context["elements"][0]["text"]
    assert f"<@{ADMIN}>" in outcome_text
    assert outcome.capitalize() in outcome_text
    if outcome == "denied":
        assert "Budget is frozen" in outcome_text
    assert f"<@{ADMIN}>" in payload["text"]


@pytest.mark.parametrize("outcome", ["approved", "denied"])
async def test_the_requester_is_told_the_outcome_and_who_decided(
    services: Services, outcome: str
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "for the new project")
    if outcome == "approved":
        decision = await services.requests.approve(ADMIN, created.request.id)
    else:
        decision = await services.requests.deny(ADMIN, created.request.id, "Budget is frozen")

    payload = outcome_dm(decision)

    assert block_kit_violations(payload, surface="message") == []
    assert f"<@{ADMIN}>" in payload["text"]
    assert outcome in payload["text"]
    assert ("Budget is frozen" in payload["text"]) is (outcome == "denied")


async def test_the_deny_modal_asks_for_a_reason_of_at_most_500_characters(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, "for the new project")

    view = deny_view(created.request, created.benefit)

    assert block_kit_violations(view, surface="modal") == []
    assert view["callback_id"] == ids.DENY_VIEW
    assert view["private_metadata"] == str(created.request.id)
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == ids.DENY_REASON_BLOCK
    assert field["element"]["action_id"] == ids.DENY_REASON_INPUT
    assert (field["element"]["min_length"], field["element"]["max_length"]) == (1, 500)


# -- the inventory list --------------------------------------------------------------


async def test_the_list_has_a_details_button_per_benefit_and_distinct_navigation(
    store: SqliteStore, clock: FakeClock
) -> None:
    services = build_services(store, clock=clock, page_size=2)

    first = benefit_list_message(await services.catalog.list_benefits(MEMBER, page=0), None)
    middle = benefit_list_message(await services.catalog.list_benefits(MEMBER, page=1), None)
    page = await services.catalog.list_benefits(MEMBER, page=1)

    for payload in (first, middle):
        assert block_kit_violations(payload, surface="message") == []
    details = [b for b in buttons(middle) if b["action_id"] == ids.DETAILS]
    assert [b["value"] for b in details] == [row.benefit.id for row in page.items]
    assert all(b["text"]["text"] == "Details" for b in details)

    [nav] = [b for b in of_type(middle, "actions") if b.get("block_id") == ids.LIST_NAV_BLOCK]
    assert [e["action_id"] for e in nav["elements"]] == [ids.LIST_PREVIOUS, ids.LIST_NEXT]
    assert len({e["action_id"] for e in nav["elements"]}) == 2
    assert [parse_page_value(e["value"]) for e in nav["elements"]] == [(None, 0), (None, 2)]
    assert ["Previous" in e["text"]["text"] for e in nav["elements"]] == [True, False]
    assert ["Next" in e["text"]["text"] for e in nav["elements"]] == [False, True]

    [first_nav] = [b for b in of_type(first, "actions")]
    assert [e["action_id"] for e in first_nav["elements"]] == [ids.LIST_NEXT]


async def test_a_filtered_list_keeps_its_category_when_paging(
    store: SqliteStore, clock: FakeClock, add_benefits: AddBenefits
) -> None:
    await add_benefits(
        *(Benefit(f"sw-{i:02d}", f"Software {i:02d}", Category.SOFTWARE) for i in range(5))
    )
    services = build_services(store, clock=clock, page_size=2)

    page = await services.catalog.list_benefits(MEMBER, category=Category.SOFTWARE, page=1)
    payload = benefit_list_message(page, Category.SOFTWARE)

    navigation = {
        b["action_id"]: parse_page_value(b["value"])
        for b in buttons(payload)
        if b["action_id"] != ids.DETAILS
    }
    assert navigation[ids.LIST_PREVIOUS] == (Category.SOFTWARE, 0)
    assert navigation[ids.LIST_NEXT] == (Category.SOFTWARE, 2)


async def test_a_list_of_1000_benefits_is_paged_and_every_benefit_shown_once(
    services: Services, store: SqliteStore, add_benefits: AddBenefits
) -> None:
    many = [
        Benefit(f"bulk-{i:04d}", f"Bulk licence {i:04d}", list(Category)[i % 5], seats=i % 7)
        for i in range(1000)
    ]
    await add_benefits(*many)
    async with store.read() as uow:
        expected = {b.id for b in await uow.benefits.all()}

    seen: list[str] = []
    category, number = None, 0
    pages = 0
    while True:
        page = await services.catalog.list_benefits(MEMBER, category=category, page=number)
        payload = benefit_list_message(page, category)
        pages += 1
        assert block_kit_violations(payload, surface="message") == []
        assert len(blocks_of(payload)) <= 50
        seen += [b["value"] for b in buttons(payload) if b["action_id"] == ids.DETAILS]
        following = [b for b in buttons(payload) if b["action_id"] == ids.LIST_NEXT]
        if not following:
            break
        category, number = parse_page_value(following[0]["value"])
        assert pages <= len(expected)

    assert len(seen) == len(set(seen))
    assert set(seen) == expected
    assert pages == page.pages > 1


async def test_an_empty_inventory_says_how_to_load_one(clock: FakeClock) -> None:
    services = build_services(throwaway_store(), clock=clock)

    payload = benefit_list_message(await services.catalog.list_benefits(MEMBER), None)

    assert block_kit_violations(payload, surface="message") == []
    assert list(buttons(payload)) == []
    assert "benefits-bot import" in all_text(payload)


# -- details ---------------------------------------------------------------------------


async def test_details_of_a_benefit_with_500_holders_page_through_them_all_within_limits(
    services: Services, store: SqliteStore, add_benefits: AddBenefits, clock: FakeClock
) -> None:
    popular = Benefit("popular", "Popular licence", Category.SOFTWARE, seats=600)
    await add_benefits(popular)
    holders = [f"UHOLD{i:05d}" for i in range(500)]
    async with store.write() as uow:
        for user in holders:
            await uow.people.put_user(DirectoryUser(user))
            await uow.assignments.add(
                benefit_id=popular.id, user_id=user, assigned_at=clock.now(), assigned_by=ADMIN
            )

    seen = ""
    page: int | None = 0
    pages = 0
    while page is not None:
        view = details_view(await services.catalog.details(ADMIN, popular.id, holders_page=page))
        assert block_kit_violations(view, surface="modal") == []
        assert view["callback_id"] == ids.DETAILS_VIEW
        seen += all_text(view)
        pages += 1
        nexts = [
            e["value"]
            for b in view["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == ids.DETAILS_HOLDERS_NEXT
        ]
        page = int(nexts[0].rpartition("|")[2]) if nexts else None

    assert pages == 10
    assert all(f"<@{user}>" in seen for user in holders)


async def test_details_for_a_member_show_no_holders(services: Services) -> None:
    await services.seats.assign(ADMIN, VS_PRO.id, MEMBER2)

    for_member = details_view(await services.catalog.details(MEMBER, VS_PRO.id))
    for_admin = details_view(await services.catalog.details(ADMIN, VS_PRO.id))

    assert f"<@{MEMBER2}>" not in all_text(for_member)
    assert f"<@{MEMBER2}>" in all_text(for_admin)
    assert block_kit_violations(for_member, surface="modal") == []


# -- long names and reasons ---------------------------------------------------------------

LONG_NAME = "Microsoft Visual Studio Enterprise Subscription " * 4  # 192 characters
LONG_REASON = "Needed for the migration of the Contoso tenant; " * 10 + "x" * 20  # 500


async def test_a_long_benefit_name_and_a_500_character_reason_stay_within_limits(
    services: Services, add_benefits: AddBenefits
) -> None:
    assert len(LONG_NAME) > 150
    assert len(LONG_REASON) == 500
    long = await long_requests(services, add_benefits, LONG_NAME, LONG_REASON)

    messages = {
        **long.messages(),
        "mine": mine_message(await services.catalog.mine(MEMBER)),
    }
    views = {
        "details": details_view(await services.catalog.details(ADMIN, long.benefit.id)),
        "deny": deny_view(long.denied.request, long.benefit),
    }

    for name, message in messages.items():
        assert block_kit_violations(message, surface="message") == [], name
    for name, view in views.items():
        assert block_kit_violations(view, surface="modal") == [], name
    [header] = [b for b in views["details"]["blocks"] if b["type"] == "header"]
    assert header["text"]["text"].startswith(LONG_NAME[:100])
    assert LONG_REASON in all_text(messages["approval request"])


# -- errors ------------------------------------------------------------------------------


def test_render_error_shows_user_parameters_as_mentions() -> None:
    error = Forbidden(
        "This needs the {roles} role. Ask someone who has it: {holder_users}.",
        roles="global_admin",
        holder_users=(ADMIN, ADMIN2),
    )

    text = render_error(error)

    assert f"<@{ADMIN}>, <@{ADMIN2}>" in text
    assert "global_admin" in text


def test_render_error_shows_a_single_user_as_a_mention_and_nobody_for_none() -> None:
    single = NotFound(
        "{holder_user} holds no seat of *{benefit}*.", holder_user=MEMBER, benefit="X"
    )
    empty = Forbidden(
        "You can't decide your own request. Another Global admin must: {admin_users}.",
        admin_users=(),
    )

    assert render_error(single).startswith(f"<@{MEMBER}> holds")
    assert "must: nobody." in render_error(empty)


def test_render_error_lists_the_candidates_of_a_no_match() -> None:
    error = NoMatch(
        "`{query}` matches several benefits. Which one did you mean?",
        query="visual studio",
        candidates=[VS_ENT, VS_PRO],
    )

    lines = render_error(error).splitlines()

    assert "`visual studio`" in lines[0]
    listed = [line for line in lines if line.startswith("•")]
    assert len(listed) == 2
    for line, benefit in zip(listed, (VS_ENT, VS_PRO), strict=True):
        assert benefit.name in line
        assert benefit.id in line


def test_an_error_message_is_a_valid_message_with_the_rendered_text() -> None:
    error = NoMatch("No benefit matches `{query}`.", query="q" * 100, candidates=[VS_ENT] * 5)

    payload = error_message(error)

    assert block_kit_violations(payload, surface="message") == []
    assert render_error(error) in all_text(payload)


# -- help ---------------------------------------------------------------------------------


def commands_in(payload: Payload) -> str:
    return all_text(payload)


def test_help_for_a_member_shows_no_admin_commands() -> None:
    payload = help_message(frozenset())

    text = commands_in(payload)
    assert block_kit_violations(payload, surface="message") == []
    for member_command in ("list", "mine", "request", "help"):
        assert f"/benefits {member_command}" in text
    for admin_command in ("assign", "unassign", "grant", "revoke", "roles", "adduser"):
        assert f"/benefits {admin_command}" not in text


def test_help_for_a_global_admin_shows_assign_and_grant() -> None:
    payload = help_message(frozenset({Role.GLOBAL_ADMIN}))

    text = commands_in(payload)
    assert block_kit_violations(payload, surface="message") == []
    for command in ("assign", "unassign", "grant", "revoke", "roles", "adduser", "request"):
        assert f"/benefits {command}" in text


def test_help_for_a_user_admin_shows_adduser_but_no_assign_or_grant() -> None:
    text = commands_in(help_message(frozenset({Role.USER_ADMIN})))

    assert "/benefits adduser" in text
    assert "/benefits assign" not in text
    assert "/benefits grant" not in text
