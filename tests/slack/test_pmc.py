"""A membership still managed in the Partner Membership Center, over Slack's wire format:
every command that would change a benefit points to PMC and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.blocks import ids
from tests.slack.harness import SlackHarness, call_text
from tests.slack.stocked import (
    ADMIN,
    ADVISORY,
    AGENT,
    CREDIT,
    MEMBER,
    MEMBER2,
    MEMBERSHIP,
    PARTNER,
    VS,
    WINDOWS,
    holders,
    last_response,
    service_requests,
    stock,
)


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


PMC_COMMANDS = {
    "request": (MEMBER, "request win11 for the lab"),
    "assign": (ADMIN, f"assign win11 <@{MEMBER2}>"),
    "unassign": (ADMIN, f"unassign vs-ent <@{MEMBER}>"),
    "reassign": (ADMIN, f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}>"),
    "activate a credit": (MEMBER2, "activate azure-monthly"),
    "activate a gated credit": (MEMBER2, "activate azure-gated"),
    "cancel": (AGENT, "cancel"),
    "activate a technical benefit": (PARTNER, "activate incidents"),
    "activate an offer": (PARTNER, "activate gold-core"),
    "set the marketing contact": (PARTNER, "contact"),
    "file advisory hours": (MEMBER, "advisory 2 migration planning"),
}


@pytest.mark.parametrize("command", list(PMC_COMMANDS))
async def test_in_pmc_every_changing_command_points_to_pmc_and_changes_nothing(
    ready: SlackHarness, command: str
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    async with h.bot.store.write() as uow:
        await uow.membership.put(
            replace(MEMBERSHIP, managed_in_pmc=True, purchase_date=h.clock.now().date())
        )
    audit_before = await h.audit_count()
    user, text = PMC_COMMANDS[command]

    ack = await h.command(user, text)

    assert "Partner Membership Center" in ack.text, ack.text
    assert "Partner Frontline" in ack.text
    assert await h.audit_count() == audit_before
    assert await holders(h, VS.id) == [MEMBER]
    assert await holders(h, WINDOWS.id) == []
    assert await holders(h, CREDIT.id) == []
    assert await service_requests(h) == []
    async with h.bot.store.read() as uow:
        assert await uow.activations.all() == []
        assert await uow.advisory.hours_used(ADVISORY.id) == 0


async def test_in_pmc_the_cancel_button_files_nothing(ready: SlackHarness) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, managed_in_pmc=True))

    await h.click(AGENT, ids.CANCEL_REQUEST, "cancel")

    assert "Partner Membership Center" in call_text(await last_response(h))
    assert await service_requests(h) == []
