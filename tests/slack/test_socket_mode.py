"""Socket Mode: the same bot, its requests arriving as envelopes over a websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.runtime.server import RunningBot, start_bot
from tests.fakes.blockkit import block_kit_violations
from tests.fakes.signing import block_actions_payload, slash_command_payload
from tests.fakes.socket_mode import FakeSocketModeServer
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings
from tests.slack.harness import call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"


@pytest.fixture
async def socket_server() -> AsyncIterator[FakeSocketModeServer]:
    async with FakeSocketModeServer() as server:
        yield server


@pytest.fixture
async def socket_bot(
    slack: FakeSlackWebApi, socket_server: FakeSocketModeServer, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    slack.socket_url = socket_server.url
    settings = make_settings(
        slack.api_url,
        tmp_path / "socket.db",
        slack_app_token="xapp-1-A0001-test-socket",
        slack_signing_secret=None,
    )
    bot = await start_bot(settings, clock=FakeClock())
    try:
        await socket_server.wait_connected()
        yield bot
    finally:
        await bot.stop(timeout=5)
    slack.assert_no_violations()


async def test_socket_mode_opens_its_connection_through_apps_connections_open(
    socket_bot: RunningBot, slack: FakeSlackWebApi
) -> None:
    opened = slack.calls_to("apps.connections.open")
    assert opened
    assert opened[0].token == "xapp-1-A0001-test-socket"


async def test_a_slash_command_envelope_is_acknowledged_with_its_envelope_id_and_reply(
    socket_bot: RunningBot, socket_server: FakeSocketModeServer, slack: FakeSlackWebApi
) -> None:
    await socket_bot.services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    async with socket_bot.store.write() as uow:
        await uow.benefits.put(Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, 2))
    envelope = await socket_server.send_envelope(
        "slash_commands",
        slash_command_payload(
            text="request win11 for testing",
            user_id=MEMBER,
            response_url=slack.response_url("sm-cmd"),
        ),
    )
    ack = await socket_server.wait_ack(envelope)
    assert ack["envelope_id"] == envelope
    payload = ack["payload"]
    assert payload["response_type"] == "ephemeral"
    assert "was sent" in payload["text"]
    assert not block_kit_violations(payload, surface="message")

    posted = await slack.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == ADMIN)
    request_id = next(
        e["value"]
        for b in posted[0].args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    )
    click = await socket_server.send_envelope(
        "interactive",
        block_actions_payload(
            user_id=ADMIN,
            action_id=ids.APPROVE,
            value=request_id,
            response_url=slack.response_url("sm-click"),
        ),
    )
    clicked = await socket_server.wait_ack(click)
    assert clicked["envelope_id"] == click
    updated = await slack.wait_for("chat.update")
    assert f"Approved by <@{ADMIN}>" in call_text(updated[0])
    async with socket_bot.store.read() as uow:
        assert await uow.assignments.count_active("win11") == 1


async def test_the_health_check_reports_the_socket_in_socket_mode(
    socket_bot: RunningBot, socket_server: FakeSocketModeServer
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{socket_bot.port}/healthz") as resp,
    ):
        assert resp.status == 200
        body = await resp.json()
    assert body["socket"] is True
    assert body["database"] is True


async def test_http_requests_are_not_served_in_socket_mode(socket_bot: RunningBot) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{socket_bot.port}/slack/events", data=b"x") as resp,
    ):
        assert resp.status in (404, 405)
