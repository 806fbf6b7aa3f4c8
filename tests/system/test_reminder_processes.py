"""Reminders across real processes: `benefits-bot run` killed, restarted, doubled.

Each bot is ``python -m bot.cli run`` in a subprocess, its Web API pointed at a
:class:`FakeSlackWebApi` in this process, on one SQLite file. Pings are queued
straight into the outbox; every message names its ping in Slack message
metadata, so deliveries are counted per ping key; the fake serves the messages it
accepted back through conversations.history, as Slack does, so a restarted bot can
find the one in flight at a kill instead of sending it again.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.domain.outbox import NewPing, PingState
from bot.services.reminders import Kind
from storage.sqlite import open_sqlite
from tests.fakes.waiting import wait_until
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.system.test_cli import clean_env

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_env(slack: FakeSlackWebApi, database: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=f"sqlite:///{database}",
        PORT=str(free_port()),
        BENEFITS_HOST="127.0.0.1",
        BENEFITS_LOG_LEVEL="WARNING",
        BENEFITS_DELIVERY_POLL_SECONDS="0.1",
        **extra,
    )


@asynccontextmanager
async def running_bot(env: dict[str, str], cwd: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``benefits-bot run`` until the block ends (SIGTERM), or until the test kills it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "run",
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_healthy(int(env["PORT"]), process)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        if process.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"the bot exited with {process.returncode}:\n{err.decode()[-3000:]}")


async def wait_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.returncode is not None:
                pytest.fail(f"the bot exited early with {process.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail("the bot did not become healthy")


async def queue_pings(database: Path, *, users: int, each: int) -> set[str]:
    store = await open_sqlite(database)
    pings = [
        NewPing(
            key=f"test:{user}:{n}",
            recipient=f"U{user:04d}",
            kind=Kind.MEMBERSHIP_ENDING.value,
            params={"level": "gold", "ends_on": "2026-12-31", "days_left": 30},
        )
        for user in range(users)
        for n in range(each)
    ]
    try:
        async with store.write() as uow:
            await uow.outbox.enqueue(pings, at=datetime.now(UTC))
    finally:
        await store.close()
    return {p.key for p in pings}


def ok_posts(slack: FakeSlackWebApi) -> list[RecordedCall]:
    return [
        c
        for c in slack.calls_to("chat.postMessage", include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
        and str(c.args["metadata"]["event_payload"]["key"]).startswith("test:")
    ]


def per_key(slack: FakeSlackWebApi) -> Counter[str]:
    return Counter(str(c.args["metadata"]["event_payload"]["key"]) for c in ok_posts(slack))


def looked_back(slack: FakeSlackWebApi) -> str:
    """How often a bot read a conversation back before sending a ping a second time."""
    return f"{len(slack.calls_to('conversations.history'))} conversation(s) read back"


async def wait_delivered(slack: FakeSlackWebApi, count: int, *, timeout: float) -> None:
    """Until ``count`` distinct test pings were posted successfully."""
    await wait_until(
        lambda: len(per_key(slack)) >= count,
        timeout=timeout,
        what=f"{count} distinct pings",
        seen=lambda: f"{len(per_key(slack))}\n{slack.summary()}",
    )


async def test_sigkill_mid_delivery_then_restart_delivers_every_ping_exactly_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "kill.db"
    async with FakeSlackWebApi() as slack:
        env = bot_env(
            slack,
            database,
            BENEFITS_DELIVERY_LEASE_SECONDS="2",
            BENEFITS_SLACK_MESSAGES_PER_SECOND="8",
            BENEFITS_SLACK_BURST="1",
        )
        async with running_bot(env, tmp_path):
            pass  # the schema exists now
        keys = await queue_pings(database, users=20, each=10)  # 200 pings
        kills = 0
        for kill_after in (50, 120):  # kill twice while the ping stream is flowing
            async with running_bot(env, tmp_path) as bot:
                await wait_delivered(slack, kill_after, timeout=60)
                bot.kill()  # SIGKILL: no chance to release or record anything
                await bot.wait()
                kills += 1
            assert len(per_key(slack)) < len(keys), "the kill came too late to test anything"
        async with running_bot(env, tmp_path):
            await wait_delivered(slack, len(keys), timeout=90)
        counts = per_key(slack)
        duplicates = sum(n - 1 for n in counts.values())
        print(
            f"\nSIGKILL test: {len(keys)} pings, {kills} kills, {len(counts)} delivered, "
            f"{duplicates} duplicated; {looked_back(slack)}"
        )
        assert set(counts) == keys  # none lost
        assert duplicates == 0  # the one in flight at each kill was found, not sent again
        store = await open_sqlite(database)
        try:
            async with store.read() as uow:
                assert await uow.outbox.count(state=PingState.SENT) == len(keys)
        finally:
            await store.close()


async def test_two_bot_processes_on_one_database_deliver_each_ping_once(tmp_path: Path) -> None:
    database = tmp_path / "two.db"
    async with FakeSlackWebApi() as slack:
        settings = {
            "BENEFITS_DELIVERY_BATCH": "10",
            "BENEFITS_SLACK_MESSAGES_PER_SECOND": "4",
            "BENEFITS_SLACK_BURST": "1",
        }
        first, second = bot_env(slack, database, **settings), bot_env(slack, database, **settings)
        async with running_bot(first, tmp_path), running_bot(second, tmp_path):
            keys = await queue_pings(database, users=50, each=4)
            await wait_delivered(slack, len(keys), timeout=60)
        # Both processes have exited now (SIGTERM lets each finish the message in
        # flight, and the fake records a call before answering it), so every copy
        # either of them sent is counted here; no waiting for stray copies.
        counts = per_key(slack)
        assert set(counts) == keys
        assert max(counts.values()) == 1
        store = await open_sqlite(database)
        try:
            async with store.read() as uow:
                sent = await uow.outbox.pings(state=PingState.SENT, offset=0, limit=1000)
        finally:
            await store.close()
        assert len(sent) == len(keys)
        assert len({p.claimed_by for p in sent}) == 2  # both processes took part
