"""Fixtures for Slack-level tests: a fake Slack and the real bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.domain.clock import FakeClock
from bot.runtime.server import start_bot
from bot.settings import Settings
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness


def make_settings(api_url: str, database: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": api_url,
        "database_url": f"sqlite:///{database}",
        "port": 0,
        "benefits_host": "127.0.0.1",
        "benefits_admin_channel": None,
        "shutdown_timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackWebApi]:
    async with FakeSlackWebApi() as fake:
        yield fake


@pytest.fixture
def admin_channel() -> str | None:
    """Override in a test module to send approval requests to a channel."""
    return None


@pytest.fixture
async def harness(
    slack: FakeSlackWebApi, tmp_path: Path, admin_channel: str | None
) -> AsyncIterator[SlackHarness]:
    clock = FakeClock()
    settings = make_settings(
        slack.api_url, tmp_path / "benefits.db", benefits_admin_channel=admin_channel
    )
    bot = await start_bot(settings, clock=clock)
    async with aiohttp.ClientSession() as session:
        h = SlackHarness(bot=bot, slack=slack, clock=clock, session=session)
        try:
            yield h
            await h.settle()
        finally:
            await bot.stop(timeout=5)
    slack.assert_no_violations()
    assert not h.ack_violations, "\n".join(h.ack_violations)
