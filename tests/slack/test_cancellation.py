"""Cancelling the membership over Slack's wire format:
the check, the confirmed click, the admins told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.blocks import ids
from bot.domain.model import KeyReveal, Role
from tests.slack.harness import SlackHarness, call_text
from tests.slack.stocked import (
    ADMIN,
    ADMIN2,
    AGENT,
    MEMBER2,
    MEMBERSHIP,
    PARTNER,
    WINDOWS,
    button,
    buttons,
    last_response,
    service_requests,
    stock,
)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


async def test_cancel_shows_the_check_then_the_confirmed_click_files_it_and_tells_admins(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(ADMIN2, Role.GLOBAL_ADMIN)

    ack = await h.command(AGENT, "cancel")

    assert "All three conditions hold" in ack.text, ack.text
    request = button(ack.json, ids.CANCEL_REQUEST)
    assert request["style"] == "danger"
    assert request["confirm"]["style"] == "danger"
    assert request["confirm"]["confirm"]["text"] == "Request cancellation"
    assert await service_requests(h) == []  # the check alone files nothing

    click = await h.click(AGENT, ids.CANCEL_REQUEST, request["value"])

    assert click.status == 200
    answer = await last_response(h)
    assert answer.args["replace_original"] is True
    assert "Cancellation request #" in call_text(answer)
    assert "status: open" in call_text(answer)
    filed = await service_requests(h)
    assert [(r.kind, r.status, r.created_by) for r in filed] == [("cancellation", "open", AGENT)]
    dms = await h.slack.wait_for("chat.postMessage", count=2)
    assert sorted(c.args["channel"] for c in dms) == [ADMIN, ADMIN2]
    assert all(f"<@{AGENT}> filed cancellation request" in call_text(c) for c in dms)


async def test_a_second_cancellation_while_one_is_open_is_refused_clearly(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.click(PARTNER, ids.CANCEL_REQUEST, "cancel")
    await h.settle()
    assert len(await service_requests(h)) == 1

    ack = await h.command(ADMIN, "cancel")
    assert "already open" in ack.text
    assert not [b for b in buttons(ack.json) if b["action_id"] == ids.CANCEL_REQUEST]

    await h.click(ADMIN, ids.CANCEL_REQUEST, "cancel")
    answer = await last_response(h)
    assert "already open" in call_text(answer)
    assert len(await service_requests(h)) == 1


async def test_cancel_explains_exactly_which_conditions_fail_and_since_when(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, purchase_date=date(2025, 11, 1)))
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, MEMBER2, h.clock.now()))

    ack = await h.command(PARTNER, "cancel")

    assert "refund window closed on 2025-12-01" in ack.text
    assert f"a key of *{WINDOWS.name}* was viewed on 2026-01-15 by <@{MEMBER2}>" in ack.text
    assert not [b for b in buttons(ack.json) if b["action_id"] == ids.CANCEL_REQUEST]

    click = await h.click(PARTNER, ids.CANCEL_REQUEST, "cancel")  # an old button
    assert click.status == 200
    answer = await last_response(h)
    assert "2 of the three conditions fail" in call_text(answer)
    assert "viewed on 2026-01-15" in call_text(answer)
    assert await service_requests(h) == []
