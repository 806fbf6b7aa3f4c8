"""Slack side effects survive `kill -9`: requests and decisions across real processes.

Each bot is ``python -m bot.cli.main run`` in a subprocess, its Web API pointed at a
:class:`FakeSlackWebApi` in this process, on one SQLite file. Slash commands and
clicks are signed and sent over HTTP the way Slack sends them; the bot is killed
with SIGKILL right after the replies a test waits for, and restarted at once, as a
process supervisor would. Every message names its outbox row in Slack message
metadata, so posts and updates are counted per row and per message.

Exactly once: the delivery loop records that a send began before each Slack call
and Slack's answer after it, so a kill between the two leaves one message that
Slack may have but the outbox doesn't know about. The restarted bot reads that
conversation back (the fake serves conversations.history from what it accepted)
and records the message it finds instead of sending it again: no request is
posted twice, no copy updated twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.blocks import ids
from bot.domain.clock import SystemClock
from bot.domain.model import Benefit, Category, MessageRef, Request, RequestStatus, Role
from bot.runtime.bootstrap import build_services
from storage.sqlite import open_sqlite
from tests.fakes.signing import block_actions_body, sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.harness import SIGNING_SECRET, call_text
from tests.system.test_reminder_processes import bot_env, looked_back, running_bot

ADMINS = ("UADMIN001", "UADMIN002")
BENEFIT = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=1000)
RESTART_BUDGET = 10.0  # seconds from the restart until every message is where it belongs


def member(n: int) -> str:
    return f"UMEMBER{n:04d}"


async def prepare(database: Path, *, requests: int = 0) -> list[int]:
    """The benefit, two Global admins, and ``requests`` requests filed (posts queued)."""
    store = await open_sqlite(database)
    try:
        async with store.write() as uow:
            await uow.benefits.put(BENEFIT)
        services = build_services(store, clock=SystemClock())
        for admin in ADMINS:
            await services.roles.bootstrap_grant(admin, Role.GLOBAL_ADMIN)
        filed = [
            await services.requests.request_benefit(member(n), BENEFIT.id, "for the lab")
            for n in range(requests)
        ]
    finally:
        await store.close()
    return [f.request.id for f in filed]


async def stored_requests(database: Path) -> tuple[list[Request], dict[int, list[MessageRef]]]:
    store = await open_sqlite(database)
    try:
        async with store.read() as uow:
            found = [r for r in [await uow.requests.get(i) for i in range(1, 2000)] if r]
            refs = {r.id: await uow.requests.messages(r.id) for r in found}
    finally:
        await store.close()
    return found, refs


def ok_calls(slack: FakeSlackWebApi, method: str, kind: str) -> list[RecordedCall]:
    """Successful calls of ``method`` for outbox rows of ``kind``."""
    return [
        c
        for c in slack.calls_to(method, include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
        and c.args["metadata"]["event_payload"].get("kind") == kind
    ]


def approval_posts(slack: FakeSlackWebApi) -> Counter[tuple[str, str]]:
    """How often each request was posted to each admin: ``(key, channel)`` → count."""
    return Counter(
        (str(c.args["metadata"]["event_payload"]["key"]), str(c.args["channel"]))
        for c in ok_calls(slack, "chat.postMessage", "approval_request")
    )


def copy_updates(slack: FakeSlackWebApi) -> Counter[tuple[str, str]]:
    """How often each copy was updated: ``(channel, ts)`` → count."""
    return Counter(
        (str(c.args["channel"]), str(c.args["ts"]))
        for c in ok_calls(slack, "chat.update", "request_decided_copy")
    )


async def until(done: Callable[[], bool], *, deadline: float, what: Callable[[], str]) -> None:
    loop = asyncio.get_running_loop()
    while not done():
        if loop.time() > deadline:
            pytest.fail(what())
        await asyncio.sleep(0.02)


async def send(session: aiohttp.ClientSession, port: int, body: str) -> tuple[int, str]:
    async with session.post(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers=sign(body, SIGNING_SECRET),
    ) as resp:
        return resp.status, await resp.text()


async def test_requests_acknowledged_right_before_a_kill_are_all_posted_once_after_an_immediate_restart(
    tmp_path: Path,
) -> None:
    database = tmp_path / "requests.db"
    await prepare(database)
    count, in_flight = 200, 64
    async with FakeSlackWebApi() as slack:
        env = bot_env(
            slack,
            database,
            BENEFITS_DELIVERY_LEASE_SECONDS="1",
            BENEFITS_SLACK_MESSAGES_PER_SECOND="500",
            BENEFITS_SLACK_BURST="50",
        )
        gate = asyncio.Semaphore(in_flight)
        async with running_bot(env, tmp_path) as bot, aiohttp.ClientSession() as session:
            port = int(env["PORT"])

            async def request(n: int) -> tuple[int, str]:
                body = slash_command_body(
                    text=f"request {BENEFIT.id} for the lab",
                    user_id=member(n),
                    response_url=slack.response_url(f"request-{n}"),
                )
                async with gate:
                    return await send(session, port, body)

            replies = await asyncio.gather(*(request(n) for n in range(count)))
            bot.kill()  # SIGKILL right after the last reply
            await bot.wait()
        told = [text for status, text in replies if status == 200 and "was sent" in text]
        assert len(told) == count
        before_kill = approval_posts(slack)
        posted_before_kill = sum(before_kill.values())

        loop = asyncio.get_running_loop()
        restarted = loop.time()
        async with running_bot(env, tmp_path):
            requests, _ = await stored_requests(database)
            wanted = {(f"request:{r.id}:post", admin) for r in requests for admin in ADMINS}
            await until(
                lambda: wanted <= set(approval_posts(slack)),
                deadline=restarted + RESTART_BUDGET,
                what=lambda: (
                    f"{len(wanted - set(approval_posts(slack)))} of {len(wanted)} posts missing "
                    f"{RESTART_BUDGET}s after the restart\n{slack.summary()}"
                ),
            )
            elapsed = loop.time() - restarted
            await asyncio.sleep(0.5)  # time for a stray second copy to show up
            _, refs = await stored_requests(database)
        posts = approval_posts(slack)
        print(
            f"\nkill -9 after {count} requests ({in_flight} in flight): {posted_before_kill} posts "
            f"before the kill, all {len(wanted)} posted {elapsed:.1f}s after the restart, "
            f"{sum(n - 1 for n in posts.values())} twice; {looked_back(slack)}"
        )
        assert len(requests) == count  # every request the members were told about is saved
        assert set(posts) == wanted  # every request posted to every Global admin
        assert [post for post, n in posts.items() if n > 1] == []  # none twice
        assert all(len(refs[r.id]) == len(ADMINS) for r in requests)  # every copy recorded
        # Every copy recorded is the message Slack has: the one in flight at the kill too.
        assert {(ref.channel, ref.ts) for r in requests for ref in refs[r.id]} == {
            (str(c.response["channel"]), str(c.response["ts"]))
            for c in ok_calls(slack, "chat.postMessage", "approval_request")
        }


async def test_approvals_acknowledged_right_before_a_kill_update_every_copy_once_after_an_immediate_restart(
    tmp_path: Path,
) -> None:
    database = tmp_path / "approvals.db"
    request_ids = await prepare(database, requests=100)
    async with FakeSlackWebApi() as slack:
        env = bot_env(
            slack,
            database,
            BENEFITS_DELIVERY_LEASE_SECONDS="1",
            BENEFITS_SLACK_MESSAGES_PER_SECOND="500",
            BENEFITS_SLACK_BURST="50",
        )
        # First every request is posted to both admins, and the copies recorded.
        async with running_bot(env, tmp_path):
            await until(
                lambda: len(approval_posts(slack)) == 2 * len(request_ids),
                deadline=asyncio.get_running_loop().time() + 30,
                what=lambda: f"only {len(approval_posts(slack))} posts\n{slack.summary()}",
            )
            for _ in range(200):
                _, refs = await stored_requests(database)
                if all(len(refs[i]) == len(ADMINS) for i in request_ids):
                    break
                await asyncio.sleep(0.05)
        assert all(len(refs[i]) == len(ADMINS) for i in request_ids)

        async with running_bot(env, tmp_path) as bot, aiohttp.ClientSession() as session:
            port = int(env["PORT"])
            answered = 0

            async def approve(request_id: int) -> None:
                nonlocal answered
                ref = refs[request_id][0]
                body = block_actions_body(
                    user_id=ADMINS[0],
                    action_id=ids.APPROVE,
                    value=str(request_id),
                    message={"type": "message", "ts": ref.ts, "text": "request"},
                    channel_id=ref.channel,
                    response_url=slack.response_url(f"approve-{request_id}"),
                )
                status, _ = await send(session, port, body)
                if status == 200:
                    answered += 1

            clicks = [asyncio.create_task(approve(i)) for i in request_ids]
            for finished in asyncio.as_completed(clicks):
                with contextlib.suppress(aiohttp.ClientError):
                    await finished
                if answered >= 40:
                    bot.kill()  # SIGKILL after 40 acknowledgements, the rest in flight
                    break
            await bot.wait()
            results = await asyncio.gather(*clicks, return_exceptions=True)
            assert all(r is None or isinstance(r, aiohttp.ClientError) for r in results)
        before_kill = copy_updates(slack)
        updated_before_kill = sum(before_kill.values())

        loop = asyncio.get_running_loop()
        restarted = loop.time()
        async with running_bot(env, tmp_path):
            requests, refs = await stored_requests(database)
            approved = [r for r in requests if r.status is RequestStatus.APPROVED]
            wanted = {(ref.channel, ref.ts) for r in approved for ref in refs[r.id]}
            dms = {f"decision:{r.id}" for r in approved}

            def decision_dms() -> Counter[str]:
                return Counter(
                    str(c.args["metadata"]["event_payload"]["key"])
                    for c in ok_calls(slack, "chat.postMessage", "request_decided")
                )

            await until(
                lambda: wanted <= set(copy_updates(slack)) and dms <= set(decision_dms()),
                deadline=restarted + RESTART_BUDGET,
                what=lambda: (
                    f"{len(wanted - set(copy_updates(slack)))} of {len(wanted)} copies not "
                    f"updated, {len(dms - set(decision_dms()))} DMs missing "
                    f"{RESTART_BUDGET}s after the restart\n{slack.summary()}"
                ),
            )
            elapsed = loop.time() - restarted
            await asyncio.sleep(0.5)  # time for a stray second update to show up
        updates = copy_updates(slack)
        print(
            f"\nkill -9 after 40 of {len(request_ids)} approvals: {len(approved)} approved, "
            f"{updated_before_kill} copies updated before the kill, all {len(wanted)} "
            f"{elapsed:.1f}s after the restart, {sum(n - 1 for n in updates.values())} twice; "
            f"{looked_back(slack)}"
        )
        assert len(approved) >= 40
        assert len(wanted) == len(ADMINS) * len(approved)
        assert set(updates) == wanted  # every copy of every decided request, nothing else
        assert [copy for copy, n in updates.items() if n > 1] == []  # no copy updated twice
        assert [key for key, n in decision_dms().items() if n > 1] == []  # no DM sent twice
        for call in ok_calls(slack, "chat.update", "request_decided_copy"):
            text = call_text(call)
            assert "Approve" not in text.split("\n")  # no buttons left
            assert "approved" in text.lower()
