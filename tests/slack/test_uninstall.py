"""Uninstalls and revoked tokens over Slack's wire format, on SQLite and PostgreSQL.

``app_uninstalled`` and ``tokens_revoked`` arrive as signed JSON events; the fake
Slack refuses a revoked token (``token_revoked``) as Slack does. Sending stops at
once: every queued message parked, nothing claimed, the sweep queueing nothing;
an install again (Add to Slack) or a start with a working token (``SLACK_BOT_TOKEN``)
sends what the suspension parked; after the retention period the data is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.domain.outbox import NewPing, Ping, PingState
from bot.runtime.server import RunningBot, start_bot
from tests.fakes.signing import event_body
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings, on_both_engines, running_harness
from tests.slack.harness import BOT_TOKEN, SlackHarness
from tests.slack.test_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    install,
    installed_token,
    oauth_settings,
)

ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"

database = pytest.fixture(params=["sqlite", "postgres"], name="database")(on_both_engines)


async def pings(bot: RunningBot, state: PingState | None = None) -> list[Ping]:
    async with bot.store.read() as uow:
        return await uow.outbox.pings(state=state, offset=0, limit=1000)


async def queue_later(h: SlackHarness, *keys: str, hours: int = 1) -> None:
    """Messages queued for later (not yet due when the app is uninstalled)."""
    async with h.bot.store.write() as uow:
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=key,
                    recipient=MEMBER,
                    kind="delivery_parked",  # any kind the renderer knows
                    params={
                        "ping_id": 0,
                        "about": "test",
                        "recipient": MEMBER,
                        "attempts": 5,
                        "error": "x",
                    },
                    due_at=h.clock.now() + timedelta(hours=hours),
                )
                for key in keys
            ],
            at=h.clock.now(),
        )


async def idle(bot: RunningBot) -> None:
    assert bot.reminders is not None
    async with asyncio.timeout(10):
        await bot.reminders.delivery.idle()


async def sweep(bot: RunningBot) -> int:
    assert bot.reminders is not None
    return await bot.reminders.scheduler.sweep_now(fresh=True)


def posts(slack: FakeSlackWebApi) -> int:
    return len(slack.calls_to("chat.postMessage"))


async def expiring_benefit(h: SlackHarness, days: int) -> None:
    """A benefit whose 7-day expiry reminder to the Global admins falls due later."""
    async with h.bot.store.write() as uow:
        await uow.benefits.put(
            Benefit(
                "win11",
                "Windows 11 Enterprise",
                Category.SOFTWARE,
                5,
                expires_on=(h.clock.now() + timedelta(days=days)).date(),
            )
        )


# -- token mode (SLACK_BOT_TOKEN) ---------------------------------------------------------


async def test_an_uninstall_parks_every_queued_message_and_the_sweep_queues_nothing(
    harness: SlackHarness,
) -> None:
    h = harness
    await h.grant(ADMIN)
    await expiring_benefit(h, days=10)
    assert await sweep(h.bot) == 0  # the watermark starts
    await queue_later(h, "later:1", "later:2")
    before = posts(h.slack)

    ack = await h.event({"type": "app_uninstalled"})

    assert ack.status == 200
    parked = await pings(h.bot, PingState.PARKED)
    assert sorted(p.key for p in parked) == ["later:1", "later:2"]
    assert {p.last_error for p in parked} == {"uninstalled"}
    assert await pings(h.bot, PingState.QUEUED) == []
    tenant = await h.bot.services.tenancy.current()
    assert tenant is not None
    assert (tenant.team_id, tenant.suspended_at, tenant.suspended_reason) == (
        "T0001",
        h.clock.now(),
        "uninstalled",
    )
    h.clock.advance(timedelta(days=5))  # the benefit's 7-day reminder falls due
    assert await sweep(h.bot) == 0
    await idle(h.bot)
    assert await pings(h.bot, PingState.QUEUED) == []
    assert posts(h.slack) == before


async def test_people_revoking_their_own_tokens_stops_nothing(harness: SlackHarness) -> None:
    h = harness
    await queue_later(h, "later:1")

    ack = await h.event({"type": "tokens_revoked", "tokens": {"oauth": ["UPERSON01"]}})

    assert ack.status == 200
    assert [p.key for p in await pings(h.bot, PingState.QUEUED)] == ["later:1"]
    assert not await h.bot.services.tenancy.suspended()


async def test_a_revoked_bot_token_parks_every_queued_message(harness: SlackHarness) -> None:
    h = harness
    await queue_later(h, "later:1")

    ack = await h.event(
        {"type": "tokens_revoked", "tokens": {"oauth": ["UPERSON01"], "bot": ["UBOT0001"]}}
    )

    assert ack.status == 200
    [parked] = await pings(h.bot, PingState.PARKED)
    assert parked.last_error == "token revoked"


async def test_an_uninstall_of_another_workspace_changes_nothing(harness: SlackHarness) -> None:
    h = harness
    await queue_later(h, "later:1")

    ack = await h.post(event_body({"type": "app_uninstalled"}, team_id="T0OTHER"))

    assert ack.status == 200
    assert [p.key for p in await pings(h.bot, PingState.QUEUED)] == ["later:1"]
    assert not await h.bot.services.tenancy.suspended()


async def test_a_token_revoked_mid_delivery_parks_its_messages_at_once_and_a_restart_with_a_working_token_sends_them(
    slack: FakeSlackWebApi, database: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(slack.api_url, database, benefits_delivery_poll_seconds=0.05)
    async with running_harness(slack, settings) as h:
        await h.grant(ADMIN)
        await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
        await queue_later(h, "later:1")
        # Slack takes the command (Bolt's auth.test was answered before), then the
        # token is revoked: the approval request's post is refused.
        slack.fail_next("chat.postMessage", error="token_revoked", status=200)
        caplog.set_level(logging.ERROR, logger="bot.runtime.scheduler")

        ack = await h.command(MEMBER, "request win11 for the test lab")
        assert "was sent" in ack.text, ack.text
        await slack.wait_for("chat.postMessage")
        await idle(h.bot)

        assert len(slack.calls_to("chat.postMessage")) == 1  # not tried again
        parked = await pings(h.bot, PingState.PARKED)
        assert len(parked) == 2
        assert {p.last_error for p in parked} == {"token refused: token_revoked"}
        assert await pings(h.bot, PingState.QUEUED) == []
        [line] = [r.getMessage() for r in caplog.records if "SLACK_BOT_TOKEN" in r.getMessage()]
        assert "token_revoked" in line
        assert "2 queued messages parked" in line
        assert "restart the bot" in line
        assert BOT_TOKEN not in line
    slack.clear()

    async with running_harness(slack, settings) as again:
        await slack.wait_for("chat.postMessage")
        await idle(again.bot)
        assert await pings(again.bot, PingState.PARKED) == []
        [sent] = slack.calls_to("chat.postMessage", include_failed=False)
        assert sent.args["channel"] == ADMIN
        assert not await again.bot.services.tenancy.suspended()


async def test_the_data_is_deleted_once_kept_for_the_retention_period_after_an_uninstall(
    slack: FakeSlackWebApi, database: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(slack.api_url, database, benefits_retention_days_after_uninstall=30)
    async with running_harness(slack, settings) as h:
        await h.grant(ADMIN)
        await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
        await h.event({"type": "app_uninstalled"})
        caplog.set_level(logging.WARNING, logger="bot.services.tenancy")

        h.clock.advance(timedelta(days=29))
        await sweep(h.bot)
        async with h.bot.store.read() as uow:
            assert await uow.benefits.get("win11") is not None
            assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == [ADMIN]

        h.clock.advance(timedelta(days=1))
        await sweep(h.bot)

        async with h.bot.store.read() as uow:
            assert await uow.benefits.get("win11") is None
            assert await uow.people.role_holders(Role.GLOBAL_ADMIN) == []
            assert await uow.audit.recent(10) == []
            assert await uow.tenant_state.get() is None
        [line] = [r.getMessage() for r in caplog.records if "deleted the data" in r.getMessage()]
        assert "workspace T0001" in line
        assert "retention of 30 days" in line


# -- Add to Slack (OAuth) -------------------------------------------------------------------


async def test_an_uninstall_then_an_install_again_sends_what_the_uninstall_parked_and_no_more(
    slack: FakeSlackWebApi, database: Path | str
) -> None:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(slack.api_url, database).model_copy(
        update={"benefits_delivery_poll_seconds": 0.05}
    )
    clock = FakeClock()
    bot = await start_bot(settings, clock=clock)
    async with aiohttp.ClientSession() as session:
        h = SlackHarness(bot=bot, slack=slack, clock=clock, session=session)
        try:
            page, _, _ = await install(h)
            assert page.status == 200, page.text
            first = installed_token(h)
            await idle(bot)  # the installer's welcome DM goes first
            await queue_later(h, "later:1", "later:2")
            # parked before, for a reason of its own: it stays parked
            async with bot.store.write() as uow:
                await uow.outbox.enqueue(
                    [NewPing(key="gone", recipient="UGONE0001", kind="test", params={})],
                    at=clock.now(),
                )
            async with bot.store.write() as uow:
                [gone] = await uow.outbox.claim(
                    owner="t", now=clock.now(), until=clock.now() + timedelta(minutes=1), limit=1
                )
                await uow.outbox.park(gone.id, owner="t", error="user_not_found")

            ack = await h.event({"type": "app_uninstalled"})

            assert ack.status == 200
            async with bot.store.read() as uow:
                assert await uow.installations.all() == []
            parked = {p.key: p.last_error for p in await pings(bot, PingState.PARKED)}
            assert parked == {
                "gone": "user_not_found",
                "later:1": "uninstalled",
                "later:2": "uninstalled",
            }

            page, _, _ = await install(h)

            assert page.status == 200, page.text
            assert not await bot.services.tenancy.suspended()
            queued = {p.key for p in await pings(bot, PingState.QUEUED)}
            assert queued == {"later:1", "later:2"}
            assert [p.key for p in await pings(bot, PingState.PARKED)] == ["gone"]
            slack.clear()
            clock.advance(timedelta(hours=2))
            await idle(bot)
            sent = slack.calls_to("chat.postMessage", include_failed=False)
            assert len(sent) == 2
            assert first not in {c.token for c in sent}  # the new install's token
        finally:
            await bot.stop(timeout=5)


async def test_with_add_to_slack_a_token_refused_mid_delivery_parks_until_the_bot_is_installed_again(
    slack: FakeSlackWebApi, database: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(slack.api_url, database).model_copy(
        update={"benefits_delivery_poll_seconds": 0.05}
    )
    async with running_harness(slack, settings) as h:
        page, _, _ = await install(h)
        assert page.status == 200, page.text  # the installer: the one Global admin
        await idle(h.bot)  # the installer's welcome DM goes first
        slack.clear()
        await h.add_benefit("win11", "Windows 11 Enterprise", seats=2)
        slack.fail_next("chat.postMessage", error="invalid_auth", status=200)
        caplog.set_level(logging.ERROR, logger="bot.runtime.scheduler")

        ack = await h.command(MEMBER, "request win11 for the test lab")
        assert "was sent" in ack.text, ack.text
        await slack.wait_for("chat.postMessage")
        await idle(h.bot)

        [parked] = await pings(h.bot, PingState.PARKED)
        assert parked.last_error == "token refused: invalid_auth"
        [line] = [
            r.getMessage() for r in caplog.records if "refused the bot token" in r.getMessage()
        ]
        assert "workspace T0001 (invalid_auth)" in line
        assert "installed again at /slack/install" in line

        page, _, _ = await install(h)

        assert page.status == 200, page.text
        await idle(h.bot)
        assert await pings(h.bot, PingState.PARKED) == []
        assert len(slack.calls_to("chat.postMessage", include_failed=False)) == 1
