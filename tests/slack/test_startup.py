"""Start-up against Slack: the bot token is checked with auth.test before the bot says it
is healthy; a token Slack refuses stops start-up with one line, an unreachable Slack is
asked again with a doubling wait while /healthz answers 503."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.server import EVENTS_PATH, RunningBot, start_bot
from bot.runtime.slack_check import MAX_WAIT_SECONDS, verify_bot_token
from bot.settings import SettingsError
from tests.fakes.signing import sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

CHECK_LOGGER = "bot.runtime.slack_check"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def first_attempt_failed(
    caplog: pytest.LogCaptureFixture, starting: asyncio.Task[RunningBot]
) -> None:
    """Wait until the check logged its first failed attempt (start_bot still waiting)."""
    while not any(r.name == CHECK_LOGGER for r in caplog.records):
        assert not starting.done(), "start_bot returned before Slack answered"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("invalid_auth", "copy the Bot User OAuth Token (xoxb-…) again"),
        ("not_authed", "set SLACK_BOT_TOKEN to the Bot User OAuth Token"),
        ("token_revoked", "reinstall the app to your workspace"),
        ("token_expired", "reinstall the app to your workspace"),
        ("account_inactive", "reinstall the app to your workspace"),
        ("team_access_not_granted", "check the Bot User OAuth Token"),
    ],
)
async def test_a_token_slack_refuses_stops_start_up_with_one_line_saying_what_to_do(
    slack: FakeSlackWebApi, tmp_path: Path, error: str, says: str
) -> None:
    slack.reject_token(BOT_TOKEN, error)
    port = free_port()
    settings = make_settings(slack.api_url, tmp_path / "b.db", port=port)

    with pytest.raises(SettingsError) as refused:
        await start_bot(settings)

    [line] = refused.value.lines
    assert "\n" not in line
    assert "SLACK_BOT_TOKEN" in line
    assert f"({error})" in line
    assert says in line
    assert BOT_TOKEN not in line
    # Nothing was started: no listener, nothing sent but the check itself.
    assert not await listening(port)
    assert [call.method for call in slack.calls] == ["auth.test"]


async def test_in_socket_mode_a_refused_token_opens_no_socket(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    slack.reject_token(BOT_TOKEN, "token_revoked")
    settings = make_settings(
        slack.api_url, tmp_path / "b.db", slack_app_token="xapp-1-test", slack_signing_secret=None
    )

    with pytest.raises(SettingsError, match="token_revoked"):
        await start_bot(settings)

    assert slack.calls_to("apps.connections.open") == []


async def test_an_api_url_that_is_not_slacks_stops_start_up_naming_the_setting(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    settings = make_settings(slack.base_root + "/not-the-api/", tmp_path / "b.db")

    with pytest.raises(SettingsError) as refused:
        await start_bot(settings)

    [line] = refused.value.lines
    assert line.startswith(f"SLACK_API_URL ({slack.base_root}/not-the-api/) answered")
    assert "HTTP 404" in line


async def test_while_slack_is_unreachable_health_and_requests_get_503_then_the_bot_serves(
    slack: FakeSlackWebApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack.disconnect_next("auth.test", times=1_000_000)
    port = free_port()
    settings = make_settings(
        slack.api_url, tmp_path / "b.db", port=port, benefits_slack_retry_seconds=0.05
    )
    starting = asyncio.create_task(start_bot(settings))
    bot: RunningBot | None = None
    try:
        async with aiohttp.ClientSession() as session:
            await first_attempt_failed(caplog, starting)
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                early = (resp.status, await resp.json())
            body = slash_command_body(
                text="help", user_id="UMEMBER01", response_url=slack.response_url("early")
            )
            async with session.post(
                f"http://127.0.0.1:{port}{EVENTS_PATH}",
                data=body,
                headers=sign(body, SIGNING_SECRET),
            ) as resp:
                early_command = resp.status
            assert not starting.done()
            slack.clear_failures()  # Slack is reachable again
            bot = await asyncio.wait_for(starting, timeout=30)
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                ready = (resp.status, await resp.json())
    finally:
        if bot is None:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            await bot.stop(timeout=5)

    shown = ("status", "database", "slack")
    assert early[0] == 503
    assert {k: early[1][k] for k in shown} == {
        "status": "unavailable",
        "database": True,
        "slack": False,
    }
    assert early_command == 503  # not Bolt's 500 with a traceback
    assert ready[0] == 200
    assert {k: ready[1][k] for k in shown} == {"status": "ok", "database": True, "slack": True}
    assert ready[1]["store"]["engine"] == "sqlite"
    assert ready[1]["roles"] == {"reminder-sweep": True}  # SQLite: every process sweeps
    assert not any(r.exc_info for r in caplog.records)
    assert slack.calls_to("auth.test", include_failed=False)


async def test_a_start_up_cancelled_while_waiting_for_slack_leaves_nothing_open(
    slack: FakeSlackWebApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack.disconnect_next("auth.test", times=1_000_000)
    port = free_port()
    settings = make_settings(slack.api_url, tmp_path / "b.db", port=port)
    starting = asyncio.create_task(start_bot(settings))
    await first_attempt_failed(caplog, starting)
    assert await listening(port)

    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting

    assert not await listening(port)


class Enough(Exception):
    """Ends a check that would otherwise go on asking."""


async def test_each_attempt_is_one_log_line_and_the_wait_doubles(
    slack: FakeSlackWebApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    # The connection drops twice, then Slack answers 503, then it accepts the token.
    slack.disconnect_next("auth.test", times=2)
    slack.fail_next("auth.test", "service_unavailable", status=503)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])

    answer = await verify_bot_token(client, first_wait=2, sleep=sleep)

    assert answer["user_id"] == slack.bot_user_id
    assert waits == [2, 4, 8]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [
        f"Slack is not reachable at {slack.api_url} (Server disconnected); "
        "asking again in 2 s (attempt 1)",
        f"Slack is not reachable at {slack.api_url} (Server disconnected); "
        "asking again in 4 s (attempt 2)",
        f"Slack is not reachable at {slack.api_url} (HTTP 503, service_unavailable); "
        "asking again in 8 s (attempt 3)",
    ]
    assert not any(r.exc_info for r in caplog.records)


async def test_the_wait_between_attempts_stops_growing_at_a_minute(
    slack: FakeSlackWebApi,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 9:
            raise Enough

    slack.disconnect_next("auth.test", times=100)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])

    with pytest.raises(Enough):
        await verify_bot_token(client, first_wait=2, sleep=sleep)

    assert waits == [2, 4, 8, 16, 32, MAX_WAIT_SECONDS, 60, 60, 60]


async def test_a_rate_limited_check_waits_as_long_as_slack_asks(
    slack: FakeSlackWebApi,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    slack.fail_next("auth.test", "ratelimited", status=429, retry_after=7)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[])

    answer = await verify_bot_token(client, first_wait=1, sleep=sleep)

    assert waits == [7]
    assert answer["team"] == slack.team
