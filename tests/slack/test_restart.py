"""A request saved just before the bot stopped still reaches the admins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.server import start_bot
from storage.sqlite import open_sqlite
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.conftest import make_settings

ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"


async def test_a_request_the_bot_saved_but_never_posted_is_posted_after_a_restart(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    database = tmp_path / "restart.db"
    clock = FakeClock()
    # The bot filed the request, then died before posting it: no message recorded.
    store = await open_sqlite(database)
    try:
        async with store.write() as uow:
            await uow.benefits.put(Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, 2))
        services = build_services(store, clock=clock)
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        created = await services.requests.request_benefit(MEMBER, "win11", "for the lab")
    finally:
        await store.close()
    clock.advance(timedelta(minutes=5))

    bot = await start_bot(make_settings(slack.api_url, database), clock=clock)
    try:
        posted = await slack.wait_for(
            "chat.postMessage", where=lambda c: c.args.get("channel") == ADMIN
        )
        buttons = [
            e for b in posted[0].args["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]
        assert [e["action_id"] for e in buttons] == [ids.APPROVE, ids.DENY]
        assert buttons[0]["value"] == str(created.request.id)
        await bot.services.background.drain(5)
        assert await bot.services.requests.request_messages(created.request.id)
    finally:
        await bot.stop()

    # Posted once: a second start finds nothing left to announce.
    bot = await start_bot(make_settings(slack.api_url, database), clock=clock)
    try:
        await bot.services.background.drain(5)
    finally:
        await bot.stop()
    approvals = [
        c
        for c in slack.calls_to("chat.postMessage")
        if any(b.get("type") == "actions" for b in c.args.get("blocks", []))
    ]
    assert len(approvals) == 1
