"""The playground's stand-in workspace answers as Slack does, and the page's requests reach
the real bot signed; no browser needed (tests/playground/test_browser.py uses one)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.main import main
from bot.playground.clock import MovableClock
from bot.playground.run import ADMIN_CHANNEL, CAST, Playground, start_playground
from bot.playground.workspace import Channel, Person, Workspace
from tests.fakes.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
ADA = Person("U0ADA00001", "Ada", "member")
BEN = Person("U0BEN00001", "Ben", "member")
TOKEN = "xoxb-playground-test"


@pytest.fixture
async def workspace() -> AsyncIterator[Workspace]:
    space = Workspace(
        people=[ADA, BEN],
        channels=[Channel("C0GENERAL1", "general")],
        signing_secret="s" * 32,
        clock=MovableClock(datetime(2026, 12, 1, 10, tzinfo=UTC)),
    )
    await space.start()
    try:
        yield space
    finally:
        await space.stop()


def client(space: Workspace) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=space.api_url, retry_handlers=[])


async def test_a_message_over_block_kits_limits_is_refused_as_slack_refuses_it(
    workspace: Workspace,
) -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    with pytest.raises(SlackApiError) as refused:
        await client(workspace).chat_postMessage(channel=ADA.id, text="hi", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    shown = workspace.snapshot()
    assert shown["messages"][workspace.dm_channel_for(ADA.id)] == []
    call = shown["calls"][-1]
    assert call["ok"] is False
    assert call["error"] == "invalid_blocks"
    assert any("150" in error for error in call["errors"])


async def test_a_burst_of_messages_to_one_conversation_is_answered_ratelimited(
    workspace: Workspace,
) -> None:
    api = client(workspace)
    for n in range(5):
        await api.chat_postMessage(channel="C0GENERAL1", text=f"message {n}")
    with pytest.raises(SlackApiError) as refused:
        await api.chat_postMessage(channel="C0GENERAL1", text="one too many")
    assert refused.value.response.status_code == 429
    assert refused.value.response["error"] == "ratelimited"
    assert int(refused.value.response.headers["Retry-After"]) >= 1
    await api.chat_postMessage(channel=ADA.id, text="another conversation is not slowed")


async def test_a_modal_needs_a_trigger_the_workspace_gave_in_the_last_three_seconds(
    workspace: Workspace,
) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Hello"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
    }
    api = client(workspace)
    with pytest.raises(SlackApiError) as unknown:
        await api.views_open(trigger_id="123.456.abc", view=view)
    assert unknown.value.response["error"] == "invalid_trigger_id"
    trigger = workspace._new_trigger(ADA.id)
    workspace._triggers[trigger] = (ADA.id, workspace._triggers[trigger][1] - 3.5)
    with pytest.raises(SlackApiError) as expired:
        await api.views_open(trigger_id=trigger, view=view)
    assert expired.value.response["error"] == "expired_trigger_id"
    opened = await api.views_open(trigger_id=workspace._new_trigger(ADA.id), view=view)
    shown = workspace.snapshot()
    assert [v["id"] for v in shown["modals"][ADA.id]] == [opened["view"]["id"]]
    assert BEN.id not in shown["modals"]


async def test_an_ephemeral_message_is_kept_for_its_recipient_only(workspace: Workspace) -> None:
    await client(workspace).chat_postEphemeral(channel="C0GENERAL1", user=BEN.id, text="psst")
    shown = workspace.snapshot()
    assert [(e["user"], e["channel"], e["text"]) for e in shown["ephemerals"]] == [
        (BEN.id, "C0GENERAL1", "psst")
    ]
    assert shown["messages"]["C0GENERAL1"] == []


async def test_the_home_tab_keeps_its_view_id_when_published_again(workspace: Workspace) -> None:
    api = client(workspace)
    home: dict[str, Any] = {"type": "home", "blocks": []}
    first = await api.views_publish(user_id=ADA.id, view=home)
    again = await api.views_publish(user_id=ADA.id, view=home)
    assert first["view"]["id"] == again["view"]["id"]
    with pytest.raises(SlackApiError) as unknown:
        await api.views_publish(user_id="U0NOBODY01", view=home)
    assert unknown.value.response["error"] == "user_not_found"


async def test_the_clock_moves_only_forward_by_what_the_page_asks(workspace: Workspace) -> None:
    async with aiohttp.ClientSession() as http:
        for hours in (0, -5, "soon", 24 * 401):
            async with http.post(f"{workspace.base_root}/ui/clock", json={"hours": hours}) as r:
                assert r.status == 400, hours
        async with http.post(f"{workspace.base_root}/ui/clock", json={"hours": 48}) as r:
            assert r.status == 200
            moved = await r.json()
    assert moved["now"].startswith("2026-12-03T10:00")


@pytest.fixture
async def playground() -> AsyncIterator[Playground]:
    started = await start_playground(port=0, start=datetime(2026, 12, 1, 10, tzinfo=UTC))
    try:
        yield started
    finally:
        await started.stop()


async def ui(playground: Playground, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{playground.workspace.base_root}/ui/{path}", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_a_command_typed_on_the_page_reaches_the_bot_signed_and_its_answer_only_the_typist(
    playground: Playground,
) -> None:
    ada = CAST[0][0].id
    dm = playground.workspace.dm_channel_for(ada)
    answer = await ui(playground, "command", {"user": ada, "channel": dm, "text": "/benefits help"})
    assert answer == {"ok": True}
    shown = playground.workspace.snapshot()
    replies = [e for e in shown["ephemerals"] if e["channel"] == dm]
    assert [e["user"] for e in replies] == [ada]
    assert "/benefits" in str(replies[0]["blocks"] or replies[0]["text"])
    assert not any("failed with the error" in e["text"] for e in shown["ephemerals"])


async def test_a_command_other_than_benefits_is_not_sent_to_the_bot(
    playground: Playground,
) -> None:
    ada = CAST[0][0].id
    answer = await ui(playground, "command", {"user": ada, "text": "/giphy cats"})
    assert answer["ok"] is False
    assert "not a command" in answer["error"]
    assert playground.workspace.snapshot()["ephemerals"] == []


async def test_a_click_on_approve_reaches_the_bot_and_the_message_is_updated_in_place(
    playground: Playground,
) -> None:
    ada, gloria = CAST[0][0].id, CAST[1][0].id
    await ui(
        playground,
        "command",
        {"user": ada, "text": "/benefits request windows-server-2025-standard build server"},
    )
    space = playground.workspace

    def posted() -> list[dict[str, Any]]:
        return space.messages(ADMIN_CHANNEL.id)

    await wait_until(lambda: len(posted()) == 1, what="the approval request in the channel")
    message = posted()[0]
    approve = next(
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("style") == "primary"
    )
    action = {
        "action_id": approve["action_id"],
        "block_id": next(
            b.get("block_id", "") for b in message["blocks"] if b["type"] == "actions"
        ),
        "type": "button",
        "value": approve["value"],
        "text": approve["text"],
    }
    source = {"kind": "message", "channel": ADMIN_CHANNEL.id, "ts": message["ts"]}
    answer = await ui(playground, "action", {"user": gloria, "source": source, "action": action})
    assert answer["ok"] is True
    await wait_until(
        lambda: "Approved" in str(posted()[0]["blocks"]), what="the request marked approved"
    )
    assert [m["ts"] for m in posted()] == [message["ts"]]
    await wait_until(
        lambda: len(_besides_seat_checks(space.messages(ada))) == 1,
        what="the outcome in the member's DM",
    )


async def test_moving_the_clock_runs_the_reminder_sweep_on_the_moved_time(
    playground: Playground,
) -> None:
    ada = CAST[0][0].id
    assert _besides_seat_checks(playground.workspace.messages(ada)) == []
    await ui(playground, "clock", {"hours": 59 * 24})  # 2027-01-29 10:00
    await wait_until(
        lambda: any("30 days" in str(m) for m in playground.workspace.messages(ada)),
        what="the 30-day expiry reminder of Windows 11 Enterprise in Ada's DM",
        seen=lambda: playground.workspace.messages(ada),
    )


def test_scripts_start_without_slack_tokens_starts_the_playground_and_says_so(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "start"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = next((line for line in process.stdout if "playground" in line), "")
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert first.startswith("no Slack tokens: starting the playground at http://127.0.0.1:"), first
    assert "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN" in first


async def test_the_page_and_its_files_are_served_from_the_package(workspace: Workspace) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(workspace.page_url) as page:
            assert page.status == 200
            html = await page.text()
        for script in ("vendor/slack-to-html.js", "blockkit.js", "app.js", "style.css"):
            assert f"/static/{script}" in html
            async with http.get(f"{workspace.base_root}/static/{script}") as asset:
                assert asset.status == 200, script
        async with http.get(f"{workspace.base_root}/static/../run.py") as escape:
            assert escape.status == 404
    assert "http" not in html.replace("http-equiv", "")  # no CDN: nothing loads from elsewhere


async def test_a_stopped_workspace_ends_the_pages_event_stream(workspace: Workspace) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{workspace.base_root}/ui/events") as stream,
    ):
        first = await asyncio.wait_for(stream.content.readline(), 5)
        assert first.startswith(b"data: {")


async def test_a_malformed_request_from_the_page_is_refused_and_sends_nothing(
    playground: Playground,
) -> None:
    ada = CAST[0][0].id
    space = playground.workspace
    await wait_until(  # the bot's start-up looks up the two holders known by email
        lambda: len(space.calls_to("users.lookupByEmail")) == 2, what="the start-up lookups"
    )
    await wait_until(  # and its first sweep asks Ada whether she still uses her seat
        lambda: len(space.messages(ada)) == 1, what="the start-up seat check"
    )
    before = len(space.calls)
    bodies: list[dict[str, Any]] = [
        {"user": "U0NOBODY01", "text": "/benefits help"},
        {"user": ada, "action": "approve", "source": {}},
        {"user": ada, "action": {"action_id": "x"}, "source": [], "state": {}},
        {"user": ada, "action": {"action_id": "x"}, "source": {"kind": "message", "ts": "1"}},
    ]
    async with aiohttp.ClientSession() as http:
        for path, body in zip(("command", "action", "action", "action"), bodies, strict=True):
            async with http.post(f"{playground.workspace.base_root}/ui/{path}", json=body) as r:
                assert r.status in (400, 409), (path, body, r.status)
        async with http.post(f"{playground.workspace.base_root}/ui/command", data="not json") as r:
            assert r.status == 400
    await asyncio.sleep(0.2)  # a request the bot had received would have been answered by now
    assert len(space.calls) == before
    shown = space.snapshot()
    assert (shown["ephemerals"], shown["modals"]) == ([], {})


def test_the_playgrounds_clock_only_moves_forward() -> None:
    clock = MovableClock(datetime(2026, 12, 1, 10, tzinfo=UTC))
    clock.advance(timedelta(days=2))
    assert clock.now() >= datetime(2026, 12, 3, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(timedelta(hours=-1))


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--start", "tomorrow"], "is not a date"),
        (["--port", "70000"], "is not a port number"),
        (["--port", "web"], "is not a port number"),
    ],
)
def test_the_playground_command_refuses_a_bad_option_in_one_line(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["playground", *arguments])
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err


def _besides_seat_checks(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages other than the idle-seat check ("still using it?"), which Ada gets at
    the start: the inventory's seats were assigned long before the playground's today."""
    return [m for m in messages if "seat_check" not in str(m.get("metadata", ""))]
