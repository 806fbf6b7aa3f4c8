"""Reminders as people get them: DMs from the running bot, across stops and starts.

The real bot (``start_bot``) runs over HTTP with a fake clock; its reminder
scheduler and delivery loop talk to the fake Slack like everything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    Level,
    MarketingContact,
    Membership,
    Role,
    SupportKind,
)
from bot.runtime.server import RunningBot, start_bot
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.conftest import make_settings
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"
PARTNER = "UPARTNER1"
CONTACT = "UCONTACT1"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
OFFER = Benefit("gold-core", "Gold core", Category.GTM)
SUPPORT = Benefit(
    "incidents",
    "Product support incidents",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
MEMBERSHIP = Membership(Level.GOLD, date(2025, 6, 1), date(2026, 5, 31), "partner@contoso.com")


def reminder_posts(slack: FakeSlackWebApi, kind: str | None = None) -> list[RecordedCall]:
    return [
        c
        for c in slack.calls_to("chat.postMessage", include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
        and (kind is None or c.args["metadata"]["event_payload"]["kind"] == kind)
    ]


def button_ids(call: RecordedCall) -> list[tuple[str, str]]:
    return [
        (e["action_id"], str(e.get("value", "")))
        for b in call.args.get("blocks", [])
        if b.get("type") in ("actions", "section")
        for e in (b.get("elements") or ([b["accessory"]] if "accessory" in b else []))
        if e.get("type") == "button"
    ]


async def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def sweep(bot: RunningBot) -> int:
    assert bot.reminders is not None
    return await bot.reminders.scheduler.sweep_now()


# -- across a stop and a start -------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "benefits.db"


@pytest.fixture
async def starter(
    slack: FakeSlackWebApi, database: Path
) -> AsyncIterator[Callable[[FakeClock], Awaitable[RunningBot]]]:
    started: list[RunningBot] = []

    async def start(clock: FakeClock) -> RunningBot:
        bot = await start_bot(
            make_settings(slack.api_url, database, benefits_delivery_poll_seconds=0.05),
            clock=clock,
        )
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.stop(timeout=5)
    slack.assert_no_violations()


async def test_a_threshold_crossed_while_the_bot_was_stopped_is_sent_once_after_start(
    slack: FakeSlackWebApi, starter: Callable[[FakeClock], Awaitable[RunningBot]]
) -> None:
    clock = FakeClock(T0)
    bot = await starter(clock)
    async with bot.store.write() as uow:
        await uow.benefits.put(OFFER)
        await uow.activations.put(
            Activation(OFFER.id, ActivationStatus.ACTIVE, ADMIN, T0, expires_on=date(2026, 3, 1))
        )
        await uow.marketing_contact.put(
            MarketingContact(CONTACT, "mkt@contoso.com", "+31201234567", "en", ADMIN, T0)
        )
        await uow.people.grant_role(ADMIN, Role.GLOBAL_ADMIN, at=T0)
    await sweep(bot)  # the watermark: nothing is due on 15 January
    await bot.stop(timeout=5)
    assert reminder_posts(slack) == []

    clock.set(datetime(2026, 2, 22, 11, 0, tzinfo=UTC))  # 7 days before 1 March, 09:00, passed
    bot = await starter(clock)
    await wait_until(lambda: len(reminder_posts(slack)) == 2)
    posts = reminder_posts(slack, "offer_expiring")
    assert sorted(p.args["channel"] for p in posts) == [ADMIN, CONTACT]
    text = call_text(posts[0])
    assert "*Gold core* ends in 7 days, on 2026-03-01" in text
    assert (ids.DETAILS, OFFER.id) in button_ids(posts[0])
    await sweep(bot)
    await bot.stop(timeout=5)

    bot = await starter(clock)  # started again: nothing new is due
    await sweep(bot)
    await asyncio.sleep(0.3)
    assert len(reminder_posts(slack)) == 2


# -- with the harness: one bot, a fake clock -----------------------------------------


async def test_a_request_waiting_a_day_reminds_the_admin_who_approves_from_the_reminder(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
    await h.grant(ADMIN)
    await sweep(h.bot)
    ack = await h.command(MEMBER, "request win11 for the test lab")
    assert "was sent" in ack.text
    await h.settle()

    h.clock.advance(timedelta(hours=24))
    assert await sweep(h.bot) == 1
    [reminder] = await h.slack.wait_for(
        "chat.postMessage",
        where=lambda c: (
            isinstance(c.args.get("metadata"), dict)
            and c.args["metadata"]["event_payload"]["kind"] == "approval_waiting"
        ),
    )
    assert reminder.args["channel"] == ADMIN
    assert "has waited 24 hours for a Global admin" in call_text(reminder)
    assert "for the test lab" in call_text(reminder)
    request_id = next(v for a, v in button_ids(reminder) if a == ids.APPROVE)
    assert (ids.DENY, request_id) in button_ids(reminder)

    ack = await h.click(ADMIN, ids.APPROVE, request_id)
    assert ack.status == 200
    await h.settle()
    assert await h.seats_used("win11") == 1
    updated = [
        c for c in h.slack.calls_to("chat.update") if c.args["ts"] == reminder.response["ts"]
    ]
    assert len(updated) == 1  # the reminder shows the outcome in place, without buttons
    assert button_ids(updated[0]) == []

    h.clock.advance(timedelta(days=3))
    assert await sweep(h.bot) == 0  # decided: no more reminders


async def test_completing_an_activation_tells_the_requester_the_contact_and_the_admins(
    harness: SlackHarness,
) -> None:
    h = harness
    async with h.bot.store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        await uow.benefits.put(OFFER)
        await uow.benefits.put(SUPPORT)
        await uow.marketing_contact.put(
            MarketingContact(CONTACT, "mkt@contoso.com", "+31201234567", "en", ADMIN, T0)
        )
    await h.grant(ADMIN, Role.GLOBAL_ADMIN)
    await h.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    activation = h.bot.services.activation
    assert activation is not None
    await activation.activate(PARTNER, OFFER.id)
    await activation.complete(ADMIN, OFFER.id, expires_on="2026-09-30")
    await wait_until(lambda: len(reminder_posts(h.slack, "activation_completed")) == 3)
    posts = {p.args["channel"]: p for p in reminder_posts(h.slack, "activation_completed")}
    assert sorted(posts) == [ADMIN, CONTACT, PARTNER]
    assert "*Gold core* is active now" in call_text(posts[CONTACT])
    assert "until 2026-09-30" in call_text(posts[CONTACT])
    assert "marketing contact" in call_text(posts[CONTACT])
    assert "You asked for this activation" in call_text(posts[PARTNER])

    await activation.activate(ADMIN, SUPPORT.id)
    await activation.complete(PARTNER, SUPPORT.id, access_id="AX-1234", contract_id="CT-9876")
    await wait_until(lambda: len(reminder_posts(h.slack, "activation_completed")) == 5)
    support = [
        p
        for p in reminder_posts(h.slack, "activation_completed")
        if "Product support incidents" in call_text(p)
    ]
    assert sorted(p.args["channel"] for p in support) == [ADMIN, PARTNER]  # no contact
    assert "AX-1234" in call_text(support[0])
    assert "CT-9876" in call_text(support[0])


async def test_a_link_button_on_a_reminder_is_acknowledged(harness: SlackHarness) -> None:
    ack = await harness.click(ADMIN, ids.REMINDER_LINK, "partner_center")
    assert ack.status == 200


async def test_the_outbox_survives_in_sqlite_across_bot_instances(
    slack: FakeSlackWebApi, starter: Callable[[FakeClock], Awaitable[RunningBot]]
) -> None:
    clock = FakeClock(T0)
    bot = await starter(clock)
    async with bot.store.write() as uow:
        await uow.membership.put(
            Membership(Level.SILVER, date(2025, 3, 1), date(2026, 2, 14), "p@contoso.com")
        )
        await uow.people.grant_role(PARTNER, Role.MPN_PARTNER_ADMIN, at=T0)
    clock.set(datetime(2026, 1, 15, 9, 30, tzinfo=UTC))  # 30 days before 14 February
    assert await sweep(bot) == 1
    await wait_until(lambda: len(reminder_posts(slack, "membership_ending")) == 1)
    [post] = reminder_posts(slack, "membership_ending")
    assert post.args["channel"] == PARTNER
    assert "The membership ends in 30 days, on 2026-02-14" in call_text(post)
    assert "Renew it in Partner Center" in call_text(post)
    link = [
        e
        for b in post.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.REMINDER_LINK
    ]
    assert link[0]["url"].startswith("https://partner.microsoft.com/")
