"""The audit log over Slack's wire format: the latest entries, paging, and who may see it."""

from __future__ import annotations

import pytest

from bot.blocks import ids
from tests.slack.harness import SlackHarness, call_text
from tests.slack.stocked import ADMIN, AGENT, PARTNER, button, last_response, stock


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


async def test_audit_shows_the_latest_entries_and_pages_through_them(ready: SlackHarness) -> None:
    h = ready
    for i in range(40):
        await h.command(ADMIN, f"adduser <@UAUD{i:05d}>")

    ack = await h.command(PARTNER, "audit 40")

    assert "Latest 40 entries" in ack.text, ack.text
    assert "<@UAUD00039>" in ack.text
    assert "<@UAUD00000>" not in ack.text  # on the second page
    nxt = button(ack.json, ids.AUDIT_NEXT)

    await h.click(PARTNER, ids.AUDIT_NEXT, nxt["value"])
    page2 = await last_response(h)

    assert page2.args["replace_original"] is True
    assert "<@UAUD00000>" in call_text(page2)
    assert "page 2 of 2" in call_text(page2)


async def test_the_audit_log_is_refused_to_an_admin_agent_naming_the_roles(
    ready: SlackHarness,
) -> None:
    ack = await ready.command(AGENT, "audit")

    assert "mpn_partner_admin" in ack.text
    assert "global_admin" in ack.text
    assert "Audit log" not in ack.text
