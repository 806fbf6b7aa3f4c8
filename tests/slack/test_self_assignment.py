"""Nobody assigns a seat to themselves while another Global admin could
(docs/rules.md#nobody-assigns-themselves-a-seat), over signed slash commands.

Without the rule, a Global admin whose own request waits could walk around "nobody
decides their own request" with `assign <benefit> @self` or `reassign ... @self`.
"""

from __future__ import annotations

import pytest

from bot.domain.model import Role
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import SlackHarness, call_text

ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"
PARTNER = "UPARTNER1"
MEMBER = "UMEMBER01"


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    await harness.add_benefit("win11", "Windows 11 Enterprise", seats=3)
    await harness.grant(ADMIN)
    ack = await harness.command(ADMIN, "request win11 for my own laptop")
    assert "was sent" in ack.text, ack.text
    added = await harness.command(ADMIN, f"adduser <@{MEMBER}>")
    assert "directory" in added.text, added.text
    await harness.settle()
    harness.slack.clear()
    return harness


async def holders(h: SlackHarness) -> list[str | None]:
    async with h.bot.store.read() as uow:
        return [a.user_id for a in await uow.assignments.active("win11")]


async def actions(h: SlackHarness) -> list[str]:
    async with h.bot.store.read() as uow:
        return [e.action for e in await uow.audit.recent(1000)]


def notices(h: SlackHarness) -> list[RecordedCall]:
    return [c for c in h.slack.calls_to("chat.postMessage") if "themselves" in call_text(c)]


@pytest.mark.parametrize(
    "text",
    [f"assign win11 <@{ADMIN}|me>", f"reassign win11 <@{MEMBER}> <@{ADMIN}|me>"],
    ids=["assign", "reassign"],
)
async def test_a_global_admin_with_a_pending_request_cannot_give_themselves_the_seat(
    ready: SlackHarness, text: str
) -> None:
    h = ready
    await h.grant(ADMIN2)
    if text.startswith("reassign"):
        assert "now holds" in (await h.command(ADMIN2, f"assign win11 <@{MEMBER}>")).text
    before, seats = await h.audit_count(), await holders(h)

    ack = await h.command(ADMIN, text)

    assert ack.status == 200
    assert ack.json["response_type"] == "ephemeral"
    assert ":warning:" in ack.text
    assert "yourself" in ack.text
    assert f"<@{ADMIN2}>" in ack.text  # who can do it instead
    assert f"<@{ADMIN}>" not in ack.text
    assert await h.audit_count() == before
    assert await holders(h) == seats
    await h.settle()
    assert not h.slack.calls_to("chat.postMessage")


async def test_the_other_global_admin_may_give_them_the_seat(ready: SlackHarness) -> None:
    h = ready
    await h.grant(ADMIN2)
    ack = await h.command(ADMIN2, f"assign win11 <@{ADMIN}>")
    assert "now holds a seat" in ack.text
    assert await holders(h) == [ADMIN]
    assert "assignment.self" not in await actions(h)


@pytest.mark.parametrize("admin_channel", ["CADMINS01", None], ids=["channel", "dm"])
async def test_the_only_global_admin_may_give_themselves_a_seat_flagged_and_announced(
    ready: SlackHarness, admin_channel: str | None
) -> None:
    h = ready
    await h.grant(PARTNER, Role.MPN_PARTNER_ADMIN)

    ack = await h.command(ADMIN, f"assign win11 <@{ADMIN}>")

    assert "now holds a seat" in ack.text
    assert await holders(h) == [ADMIN]
    assert (await actions(h))[:2] == ["assignment.self", "assignment.create"]
    await h.settle()
    posted = notices(h)
    assert [c.args["channel"] for c in posted] == [admin_channel or PARTNER]
    assert "only Global admin" in call_text(posted[0])
    assert f"<@{ADMIN}>" in call_text(posted[0])
    assert (posted[0].args["parse"], posted[0].args["link_names"]) == ("none", False)


async def test_the_only_global_admin_may_reassign_a_seat_to_themselves_flagged(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    assert "now holds" in (await h.command(ADMIN, f"assign win11 <@{MEMBER}>")).text

    ack = await h.command(ADMIN, f"reassign win11 <@{MEMBER}> <@{ADMIN}>")

    assert "moved" in ack.text
    assert await holders(h) == [ADMIN]
    assert (await actions(h))[:2] == ["assignment.self", "assignment.reassign"]
    await h.settle()
    posted = notices(h)
    assert [c.args["channel"] for c in posted] == [PARTNER]
    assert f"from <@{MEMBER}>" in call_text(posted[0])
