"""Benefit details over Slack's wire format:
what the modal shows to whom, and paging its holders."""

from __future__ import annotations

import pytest

from bot.blocks import ids
from bot.domain.model import Activation, ActivationStatus
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import SlackHarness, call_text
from tests.slack.stocked import (
    ADMIN,
    MEMBER,
    PARTNER,
    SUPPORT,
    WINDOWS,
    assign_many,
    button,
    buttons,
    click_in_view,
    open_details,
    stock,
)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


async def test_details_show_languages_systems_expiry_and_status_to_everyone(
    ready: SlackHarness,
) -> None:
    view = await open_details(ready, MEMBER, WINDOWS.id)

    text = call_text(RecordedCall("views.open", {"view": view}, None))
    for shown in ("English, German", "x64, ARM64", "2026-12-31", "Active", "300 of 300 seats"):
        assert shown in text, text


async def test_everyone_sees_the_access_and_contract_id_of_an_active_technical_benefit(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.activations.put(
            Activation(
                SUPPORT.id,
                ActivationStatus.ACTIVE,
                PARTNER,
                h.clock.now(),
                completed_by=ADMIN,
                completed_at=h.clock.now(),
                access_id="ACC-778",
                contract_id="CON-991",
            )
        )

    view = await open_details(h, MEMBER, SUPPORT.id)

    text = str(view["blocks"])
    assert "ACC-778" in text
    assert "CON-991" in text


async def test_500_holders_are_paged_in_the_modal_and_next_updates_it_in_place(
    ready: SlackHarness,
) -> None:
    h = ready
    users = await assign_many(h, WINDOWS.id, 500)
    view = await open_details(h, ADMIN, WINDOWS.id)
    assert "page 1 of 10" in str(view["blocks"])
    assert f"<@{users[0]}>" in str(view["blocks"])
    assert f"<@{users[60]}>" not in str(view["blocks"])

    nxt = button(view, ids.DETAILS_HOLDERS_NEXT)
    ack = await click_in_view(h, ADMIN, ids.DETAILS_HOLDERS_NEXT, nxt["value"], view)

    assert ack.status == 200
    updates = await h.slack.wait_for("views.update")
    assert updates[0].args["view_id"] == view["id"]
    page2 = updates[0].args["view"]
    assert "page 2 of 10" in str(page2["blocks"])
    assert f"<@{users[60]}>" in str(page2["blocks"])
    assert {b["action_id"] for b in buttons(page2)} >= {
        ids.DETAILS_HOLDERS_PREVIOUS,
        ids.DETAILS_HOLDERS_NEXT,
    }


async def test_a_member_sees_how_many_seats_are_used_but_not_by_whom(ready: SlackHarness) -> None:
    h = ready
    users = await assign_many(h, WINDOWS.id, 3)

    view = await open_details(h, MEMBER, WINDOWS.id)

    text = str(view["blocks"])
    assert "297 of 300 seats left" in text
    assert not any(f"<@{u}>" in text for u in users)
    assert not [b for b in buttons(view) if b["action_id"] == ids.DETAILS_HOLDERS_NEXT]
