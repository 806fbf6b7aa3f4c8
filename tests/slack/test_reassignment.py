"""Reassigning a Visual Studio subscription over Slack's wire format:
the 90-day rule, the directory, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.slack.harness import SlackHarness
from tests.slack.stocked import ADMIN, MEMBER, MEMBER2, NEWBIE, VS, holders, service_requests, stock


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    return await stock(harness)


async def test_reassign_before_90_days_says_when_it_becomes_possible(ready: SlackHarness) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=30))

    ack = await h.command(ADMIN, f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}>")

    assert "2026-04-15" in ack.text, ack.text
    assert await holders(h, VS.id) == [MEMBER]


async def test_reassign_after_90_days_moves_the_subscription(ready: SlackHarness) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    audit_before = await h.audit_count()

    ack = await h.command(
        ADMIN, f'reassign "Visual Studio Enterprise" <@{MEMBER}|mia> <@{MEMBER2}>'
    )

    assert f"moved from <@{MEMBER}> to <@{MEMBER2}>" in ack.text, ack.text
    assert await holders(h, VS.id) == [MEMBER2]
    assert await h.audit_count() == audit_before + 1


async def test_reassign_to_someone_not_in_the_directory_says_who_must_add_them(
    ready: SlackHarness,
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))

    ack = await h.command(ADMIN, f"reassign vs-ent <@{MEMBER}> <@{NEWBIE}>")

    assert "User management admin or Global admin must add them" in ack.text
    assert "adduser" in ack.text
    assert await holders(h, VS.id) == [MEMBER]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"reassign vs-ent <@{MEMBER}>", "Usage: `/benefits reassign <benefit> @from @to`"),
        (f"reassign <@{MEMBER}> <@{MEMBER2}>", "Usage"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}> <@{ADMIN}>", "Usage"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER2}> please", "Usage"),
        (f"reassign vs-ent @mia <@{MEMBER2}>", "Slack's @ suggestions"),
        (f"reassign no-such-thing <@{MEMBER}> <@{MEMBER2}>", "No benefit matches"),
        (f"reassign {'x' * 150} <@{MEMBER}> <@{MEMBER2}>", "too long"),
        (f"reassign incidents <@{MEMBER}> <@{MEMBER2}>", "no seat to reassign"),
        (f"reassign vs-ent <@{MEMBER}> <@{MEMBER}>", "two different people"),
        ("audit many", "takes a number of entries"),
        ("audit 500", "1 to 200"),
        ("audit 0", "1 to 200"),
        ("cancel now", "Usage: `/benefits cancel`"),
        ("activate m365-business", "not a usage-based cloud credit"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_writes_nothing(
    ready: SlackHarness, text: str, says: str
) -> None:
    h = ready
    await h.command(ADMIN, f"assign vs-ent <@{MEMBER}>")
    h.clock.advance(timedelta(days=91))
    audit_before = await h.audit_count()

    ack = await h.command(ADMIN, text)

    assert says in ack.text, ack.text
    assert await h.audit_count() == audit_before
    assert await holders(h, VS.id) == [MEMBER]
    assert await service_requests(h) == []
