"""A request saved just before the bot stopped still reaches the admins, once.

Since every post is queued in the outbox with the request, a restart delivers
what a stop cut off; requests saved by an older version (which posted after the
acknowledgement and queued nothing) are queued by the start-up safety net.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, MessageRef, Role
from bot.runtime.bootstrap import build_services
from bot.runtime.server import RunningBot, start_bot
from bot.services.requests import RequestCreated
from storage.sqlite import open_sqlite
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.conftest import make_settings

ADMIN = "UADMIN001"
MEMBER = "UMEMBER01"


async def file_request_offline(database: Path, clock: FakeClock, *, old_version: bool) -> int:
    """File a request with no bot running: as if the bot died right after saving it.

    ``old_version``: as a version before the outbox saved it (nothing queued).
    """
    store = await open_sqlite(database)
    try:
        async with store.write() as uow:
            await uow.benefits.put(Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, 2))
        services = build_services(store, clock=clock)
        await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
        created: RequestCreated = await services.requests.request_benefit(
            MEMBER, "win11", "for the lab"
        )
    finally:
        await store.close()
    if old_version:
        with closing(sqlite3.connect(database)) as raw, raw:
            raw.execute("DELETE FROM outbox")
    return created.request.id


def approval_posts(slack: FakeSlackWebApi) -> list[RecordedCall]:
    return [
        c
        for c in slack.calls_to("chat.postMessage", include_failed=False)
        if any(b.get("type") == "actions" for b in c.args.get("blocks", []))
    ]


async def wait_recorded(bot: RunningBot, request_id: int) -> list[MessageRef]:
    for _ in range(500):
        refs = await bot.services.requests.request_messages(request_id)
        if refs:
            return refs
        await asyncio.sleep(0.01)
    raise AssertionError("the post was never recorded")


async def restart_posts_it_once(
    slack: FakeSlackWebApi, database: Path, clock: FakeClock, *, old_version: bool
) -> None:
    request_id = await file_request_offline(database, clock, old_version=old_version)
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
        assert buttons[0]["value"] == str(request_id)
        [ref] = await wait_recorded(bot, request_id)
        assert ref.ts == posted[0].response["ts"]
    finally:
        await bot.stop()

    # Posted once: a second start finds nothing left to post.
    bot = await start_bot(make_settings(slack.api_url, database), clock=clock)
    try:
        await bot.services.background.drain(5)
        await asyncio.sleep(0.3)
    finally:
        await bot.stop()
    assert len(approval_posts(slack)) == 1


async def test_a_request_the_bot_saved_but_never_posted_is_posted_after_a_restart(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    await restart_posts_it_once(slack, tmp_path / "restart.db", FakeClock(), old_version=False)


async def test_a_request_saved_by_a_version_before_the_outbox_is_posted_after_the_upgrade(
    slack: FakeSlackWebApi, tmp_path: Path
) -> None:
    await restart_posts_it_once(slack, tmp_path / "upgrade.db", FakeClock(), old_version=True)
