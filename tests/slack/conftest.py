"""Fixtures for Slack-level tests: a fake Slack and the real bot over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.domain.clock import FakeClock
from bot.runtime.server import start_bot
from bot.settings import Settings
from tests.fakes.web_api import FakeSlackWebApi
from tests.postgres import empty_schema
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness


def make_settings(api_url: str, database: Path | str, **overrides: object) -> Settings:
    """Settings for a bot on ``database``: a SQLite file's path, or a database URL."""
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": api_url,
        "database_url": database if isinstance(database, str) else f"sqlite:///{database}",
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
async def database(tmp_path: Path) -> Path | str:
    """Where the bot keeps its data: a SQLite file (a module may ask for PostgreSQL too,
    with :func:`on_both_engines`)."""
    return tmp_path / "benefits.db"


async def on_both_engines(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A ``database`` fixture body for modules that run on SQLite and PostgreSQL."""
    if request.param == "postgres":
        return await empty_schema()
    return tmp_path / "benefits.db"


@pytest.fixture
async def harness(
    slack: FakeSlackWebApi, database: Path | str, admin_channel: str | None
) -> AsyncIterator[SlackHarness]:
    settings = make_settings(slack.api_url, database, benefits_admin_channel=admin_channel)
    async with running_harness(slack, settings) as h:
        yield h


@asynccontextmanager
async def running_harness(
    slack: FakeSlackWebApi, settings: Settings
) -> AsyncIterator[SlackHarness]:
    """The bot started with ``settings`` on a fake clock, and a harness to talk to it;
    at the end it settles, stops, and the Block Kit checks of Slack's side and of the
    acknowledgements must have found nothing."""
    clock = FakeClock()
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
