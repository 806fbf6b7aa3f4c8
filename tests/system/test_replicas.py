"""Three replicas of the bot on one PostgreSQL database keep every promise one bot keeps.

Each replica is ``python -m bot.cli.main run`` in a subprocess on a port of its
own, all on one PostgreSQL schema (see :mod:`tests.postgres`), their Web API
pointed at one :class:`FakeSlackWebApi` in this process. Slack's requests are
signed and spread over the replicas round-robin by port by :class:`Balancer`,
which, like a load balancer, tries the next replica when one refuses the
connection. Replicas are killed with SIGKILL, or stopped with SIGTERM and
started again, in the middle of the work. Every message names its outbox row in
Slack message metadata, so posts are counted per row and per channel.

Counts are kept small (CI runs these on two cores); the shapes are the point.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from bot.blocks import ids
from bot.domain.clock import FakeClock, SystemClock
from bot.domain.model import Benefit, Category, RequestStatus, Role
from bot.domain.outbox import NewPing
from bot.runtime.bootstrap import build_services
from bot.services.reminders import Kind
from storage.postgres import migrate_postgres, open_postgres
from tests.fakes.signing import block_actions_body, sign, slash_command_body
from tests.fakes.waiting import wait_until
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.postgres import fresh_schema
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, call_text
from tests.system.test_cli import clean_env
from tests.system.test_reminder_processes import ROOT, free_port, wait_healthy

ADMINS = ("UADMIN001", "UADMIN002")
REPLICAS = 3
POOL_SIZE = 4


def member(n: int) -> str:
    return f"UMEMBER{n:04d}"


# -- the database -----------------------------------------------------------------------


@asynccontextmanager
async def database() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL schema; its URL."""
    async with fresh_schema() as url:
        await migrate_postgres(url)
        yield url


async def prepare(url: str, benefit: Benefit, *, requests: int = 0) -> list[int]:
    """The benefit, two Global admins and ``requests`` pending requests (posts queued)."""
    store = await open_postgres(url, pool_size=2)
    try:
        async with store.write() as uow:
            await uow.benefits.put(benefit)
        services = build_services(store, clock=SystemClock())
        for admin in ADMINS:
            await services.roles.bootstrap_grant(admin, Role.GLOBAL_ADMIN)
        filed = [
            await services.requests.request_benefit(member(n), benefit.id, "for the lab")
            for n in range(requests)
        ]
    finally:
        await store.close()
    return [f.request.id for f in filed]


async def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def status_counts(url: str) -> Counter[str]:
    rows = await query(url, "SELECT status, count(*) FROM requests GROUP BY status")
    return Counter({str(r[0]): int(r[1]) for r in rows})


async def seats_used(url: str, benefit_id: str) -> int:
    store = await open_postgres(url, pool_size=2)
    try:
        async with store.read() as uow:
            return await uow.assignments.count_active(benefit_id)
    finally:
        await store.close()


# -- the replicas ---------------------------------------------------------------------


def replica_env(slack: FakeSlackWebApi, url: str, **extra: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=url,
        BENEFITS_DATABASE_POOL_SIZE=str(POOL_SIZE),
        PORT=str(free_port()),
        BENEFITS_HOST="127.0.0.1",
        BENEFITS_LOG_LEVEL="WARNING",
        BENEFITS_DELIVERY_POLL_SECONDS="0.1",
        PYTHONPATH=str(ROOT),
        **extra,
    )


class Replica:
    """One ``benefits-bot run`` process; started, killed or stopped, and started again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = int(env["PORT"])
        self.process: asyncio.subprocess.Process | None = None
        self.exits: list[int] = []

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli.main",
            "run",
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        await wait_healthy(self.port, self.process)

    async def kill(self) -> None:
        """SIGKILL: nothing released, nothing recorded."""
        assert self.process is not None
        self.process.kill()
        await self._reap()

    async def stop(self) -> None:
        """SIGTERM, and wait until it has finished its in-flight work and exited."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await self._reap()

    async def _reap(self) -> None:
        assert self.process is not None
        _, err = await asyncio.wait_for(self.process.communicate(), timeout=30)
        code = self.process.returncode
        assert code is not None
        self.exits.append(code)
        if code not in (0, -signal.SIGKILL):
            pytest.fail(f"replica on port {self.port} exited with {code}:\n{err.decode()[-3000:]}")

    async def health(self, session: aiohttp.ClientSession) -> dict[str, Any] | None:
        """The /healthz JSON, or None when the replica does not answer."""
        try:
            async with session.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                body: dict[str, Any] = await resp.json()
                return body
        except aiohttp.ClientConnectionError:
            return None


@asynccontextmanager
async def replicas(slack: FakeSlackWebApi, url: str, **extra: str) -> AsyncIterator[list[Replica]]:
    """:data:`REPLICAS` replicas, started one after the other; each stopped (SIGTERM) at the end."""
    group = [Replica(replica_env(slack, url, **extra)) for _ in range(REPLICAS)]
    async with AsyncExitStack() as stack:
        for replica in group:
            await replica.start()
            stack.push_async_callback(_stop_if_running, replica)
        yield group


async def _stop_if_running(replica: Replica) -> None:
    if replica.process is not None and replica.process.returncode is None:
        await replica.stop()


class Balancer:
    """Round-robin by port; a refused connection, or a replica answering 503 while it
    starts, is tried on the next replica, as a health-checking load balancer would (any
    other answer or failure is the caller's to see)."""

    def __init__(self, session: aiohttp.ClientSession, ports: list[int]) -> None:
        self._session = session
        self._ports = ports
        self._next = itertools.cycle(range(len(ports)))
        self.refused = 0
        self.reset = 0  # connections reset before any answer, sent again
        self.starting = 0  # answered 503 "starting" (token not yet checked): tried elsewhere
        self.served: Counter[int] = Counter()

    async def send(self, body: str, *, to: int | None = None, retry: int = 0) -> tuple[int, str]:
        """POST a signed body (to replica ``to``, or the next one); (status, text).

        ``retry`` sets Slack's ``X-Slack-Retry-Num`` header, as Slack's retries carry.
        """
        headers = dict(sign(body, SIGNING_SECRET))
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        first = next(self._next) if to is None else to
        for attempt in range(len(self._ports) * 20):
            port = self._ports[(first + attempt) % len(self._ports)]
            try:
                async with self._session.post(
                    f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
                ) as resp:
                    text = await resp.text()
                    if resp.status == 503 and '"starting"' in text:
                        # Just started, Slack has not yet accepted its token: it did
                        # nothing with the request, and a health-checking balancer
                        # would not have routed it there. Try the next replica.
                        self.starting += 1
                    else:
                        self.served[port] += 1
                        return resp.status, text
            except aiohttp.ClientConnectorError:  # connection refused: that replica is down
                self.refused += 1
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # Reset before any answer: a connection the kernel had queued when the
                # replica closed its listening socket (docs/scaling.md, "The rolling
                # restart's one gap"); the bot never read the request. Slack shows the
                # person an error and they send it again: so does this client.
                self.reset += 1
            if attempt % len(self._ports) == len(self._ports) - 1:
                await asyncio.sleep(0.05)  # all down for a moment: as a balancer waits
        pytest.fail("no replica accepted the connection")


def connection_per_request() -> aiohttp.ClientSession:
    """A client that opens a connection per request, as a balancer's health-checked
    upstreams see it: a stopping replica refuses new connections, never drops one."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True, limit=64))


# -- what Slack saw ---------------------------------------------------------------------


def ok_calls(slack: FakeSlackWebApi, method: str, kind: str) -> list[RecordedCall]:
    return [
        c
        for c in slack.calls_to(method, include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
        and c.args["metadata"]["event_payload"].get("kind") == kind
    ]


def per_row(slack: FakeSlackWebApi, method: str, kind: str) -> Counter[tuple[str, str]]:
    """How often each outbox row of ``kind`` reached Slack: ``(key, channel)`` → count."""
    return Counter(
        (str(c.args["metadata"]["event_payload"]["key"]), str(c.args["channel"]))
        for c in ok_calls(slack, method, kind)
    )


def answered_at(slack: FakeSlackWebApi, prefix: str = "request-") -> dict[str, str]:
    """What each response URL named ``prefix…`` was sent, by name."""
    return {
        str(c.args.get("_name")): call_text(c)
        for c in slack.calls_to("response_url")
        if str(c.args.get("_name", "")).startswith(prefix)
    }


def responses(slack: FakeSlackWebApi, containing: str) -> list[str]:
    return [t for c in slack.calls_to("response_url") if containing in (t := call_text(c))]


def would_be_429s(slack: FakeSlackWebApi, *, rate: float, burst: int) -> int:
    return sum(
        slack.would_be_ratelimited(
            "chat.postMessage", per_channel_per_second=rate, burst=burst
        ).values()
    )


# -- the tests --------------------------------------------------------------------------


async def test_n_seats_and_more_approve_clicks_spread_over_three_replicas_assign_exactly_n_seats() -> (
    None
):
    seats, clicks = 5, 12
    benefit = Benefit("vs-ent", "Visual Studio Enterprise", Category.SOFTWARE, seats=seats)
    async with database() as url, FakeSlackWebApi() as slack:
        request_ids = await prepare(url, benefit, requests=clicks)
        fast = {"BENEFITS_SLACK_MESSAGES_PER_SECOND": "500", "BENEFITS_SLACK_BURST": "50"}
        async with (
            replicas(slack, url, **fast) as group,
            connection_per_request() as session,
        ):
            await wait_until(
                lambda: (
                    len(per_row(slack, "chat.postMessage", "approval_request"))
                    == len(ADMINS) * clicks
                ),
                timeout=30,
                what="every request posted to both admins",
                seen=slack.summary,
            )
            balancer = Balancer(session, [r.port for r in group])
            bodies = [
                block_actions_body(
                    user_id=ADMINS[n % 2],
                    action_id=ids.APPROVE,
                    value=str(request_id),
                    response_url=slack.response_url(f"approve-{request_id}"),
                )
                for n, request_id in enumerate(request_ids)
            ]
            answers = await asyncio.gather(*(balancer.send(body) for body in bodies))
            assert [status for status, _ in answers] == [200] * clicks
            await wait_until(
                lambda: (
                    len(responses(slack, "No seat")) == clicks - seats
                    and len(ok_calls(slack, "chat.postMessage", "request_decided")) == seats
                ),
                timeout=30,
                what=f"{clicks - seats} refusals and {seats} decision DMs",
                seen=slack.summary,
            )
            health = await group[0].health(session)
            await asyncio.sleep(0.3)  # time for a stray second effect to show up
        assert set(balancer.served) == {r.port for r in group}  # all three took clicks
        assert await seats_used(url, benefit.id) == seats
        counts = await status_counts(url)
        assert counts[RequestStatus.APPROVED.value] == seats
        assert counts[RequestStatus.PENDING.value] == clicks - seats
        assert len(responses(slack, "No seat")) == clicks - seats
        dms = Counter(
            str(c.args["channel"]) for c in ok_calls(slack, "chat.postMessage", "request_decided")
        )
        assert len(dms) == seats
        assert max(dms.values()) == 1
        assert all(r.exits == [0] for r in group)  # SIGTERM: every replica stopped cleanly
        assert health is not None
        assert health["store"]["engine"] == "postgresql"
        pool = health["store"]["pool"]
        assert pool["max"] == POOL_SIZE
        assert pool["in_use"] + pool["free"] == pool["size"] <= POOL_SIZE


async def test_one_click_delivered_to_two_replicas_at_once_and_retried_on_a_third_has_one_effect() -> (
    None
):
    benefit = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=100)
    pending = 10
    async with database() as url, FakeSlackWebApi() as slack:
        request_ids = await prepare(url, benefit, requests=pending)
        fast = {"BENEFITS_SLACK_MESSAGES_PER_SECOND": "500", "BENEFITS_SLACK_BURST": "50"}
        async with (
            replicas(slack, url, **fast) as group,
            connection_per_request() as session,
        ):
            balancer = Balancer(session, [r.port for r in group])
            await wait_until(
                lambda: (
                    len(per_row(slack, "chat.postMessage", "approval_request"))
                    == len(ADMINS) * pending
                ),
                timeout=30,
                what="every request posted to both admins",
                seen=slack.summary,
            )

            async def delivered_thrice(n: int, request_id: int) -> list[int]:
                body = block_actions_body(
                    user_id=ADMINS[0],
                    action_id=ids.APPROVE,
                    value=str(request_id),
                    response_url=slack.response_url(f"approve-{request_id}"),
                )
                # The same payload on two replicas at the same moment, then Slack's retry
                # on the third.
                twice = await asyncio.gather(
                    balancer.send(body, to=n % REPLICAS),
                    balancer.send(body, to=(n + 1) % REPLICAS),
                )
                retried = await balancer.send(body, to=(n + 2) % REPLICAS, retry=1)
                return [status for status, _ in [*twice, retried]]

            statuses = await asyncio.gather(
                *(delivered_thrice(n, r) for n, r in enumerate(request_ids))
            )
            assert statuses == [[200, 200, 200]] * pending
            await wait_until(
                lambda: (
                    len(responses(slack, "already approved")) == 2 * pending
                    and len(per_row(slack, "chat.update", "request_decided_copy"))
                    == len(ADMINS) * pending
                ),
                timeout=30,
                what="two refusals per request and every copy updated",
                seen=slack.summary,
            )
            await asyncio.sleep(0.3)  # time for a stray second effect to show up
        assert await seats_used(url, benefit.id) == pending  # one seat per request
        assert (await status_counts(url))[RequestStatus.APPROVED.value] == pending
        dms = per_row(slack, "chat.postMessage", "request_decided")
        assert len(dms) == pending
        assert set(dms.values()) == {1}
        updates = per_row(slack, "chat.update", "request_decided_copy")
        assert set(updates.values()) == {1}  # each copy updated once


async def queue_pings(url: str, *, users: int, each: int) -> set[str]:
    store = await open_postgres(url, pool_size=2)
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


def ping_counts(slack: FakeSlackWebApi) -> Counter[str]:
    return Counter(
        key
        for key, _ in per_row(slack, "chat.postMessage", Kind.MEMBERSHIP_ENDING.value).elements()
        if key.startswith("test:")
    )


async def test_kill_9_of_one_replica_mid_300_messages_delivers_every_one_duplicating_at_most_one_per_kill() -> (
    None
):
    rate = 2.0  # per channel and process: 30 channels keep the stream flowing for seconds
    async with database() as url, FakeSlackWebApi() as slack:
        await prepare(url, Benefit("win11", "Windows 11", Category.SOFTWARE, seats=10))
        settings = {
            "BENEFITS_DELIVERY_LEASE_SECONDS": "2",
            "BENEFITS_DELIVERY_BATCH": "20",
            "BENEFITS_SLACK_MESSAGES_PER_SECOND": str(rate),
            "BENEFITS_SLACK_BURST": "1",
        }
        async with replicas(slack, url, **settings) as group:
            keys = await queue_pings(url, users=30, each=10)  # 300 messages
            kills = 0
            for victim, kill_after in ((0, 80), (1, 170)):
                await wait_until(
                    lambda n=kill_after: len(ping_counts(slack)) >= n,  # type: ignore[misc]
                    timeout=60,
                    what=f"{kill_after} messages",
                    seen=slack.summary,
                )
                await group[victim].kill()  # SIGKILL while the stream flows
                kills += 1
                assert len(ping_counts(slack)) < len(keys), "the kill came too late"
                await group[victim].start()  # the supervisor starts it again
            await wait_until(
                lambda: set(ping_counts(slack)) == keys,
                timeout=90,
                what="every message",
                seen=lambda: f"{len(ping_counts(slack))} of {len(keys)}",
            )
        counts = ping_counts(slack)
        duplicates = sum(n - 1 for n in counts.values())
        owners = await query(
            url, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE key LIKE 'test:%'"
        )
        unsent = await query(
            url, "SELECT count(*) FROM outbox WHERE key LIKE 'test:%' AND state <> 'sent'"
        )
        extra = would_be_429s(slack, rate=rate, burst=1)
        print(
            f"\n{REPLICAS} replicas, {len(keys)} messages, {kills} kills: all delivered, "
            f"{duplicates} duplicated, sent by {owners[0][0]} senders; "
            f"{extra} would-be 429s at {rate:g} msg/s per channel"
        )
        assert set(counts) == keys  # none lost
        assert duplicates <= kills  # at most the one in flight at each kill
        assert unsent[0][0] == 0
        assert owners[0][0] >= 2  # the work was spread over replicas


async def test_a_rolling_restart_under_steady_load_loses_no_request_and_drops_no_acknowledgement() -> (
    None
):
    benefit = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=10_000)
    async with database() as url, FakeSlackWebApi() as slack:
        await prepare(url, benefit)
        fast = {"BENEFITS_SLACK_MESSAGES_PER_SECOND": "500", "BENEFITS_SLACK_BURST": "50"}
        async with (
            replicas(slack, url, **fast) as group,
            connection_per_request() as session,
        ):
            balancer = Balancer(session, [r.port for r in group])
            numbers = itertools.count()
            answers: list[tuple[int, str]] = []
            errors: list[str] = []
            loading = True

            async def client() -> None:
                while loading:
                    n = next(numbers)
                    body = slash_command_body(
                        text=f"request {benefit.id} for the lab",
                        user_id=member(n),
                        response_url=slack.response_url(f"request-{n}"),
                    )
                    try:
                        answers.append(await balancer.send(body))
                    except aiohttp.ClientError as error:
                        errors.append(f"{type(error).__name__}: {error}")
                    await asyncio.sleep(0.02)

            clients = [asyncio.create_task(client()) for _ in range(4)]
            await asyncio.sleep(0.5)
            for replica in group:  # one at a time: stop (draining), start again
                await replica.stop()
                await asyncio.sleep(0.3)  # requests meanwhile go to the other two
                await replica.start()
            await asyncio.sleep(0.5)
            loading = False
            await asyncio.gather(*clients)
            # With receipts (on by default on PostgreSQL) the answer comes at the
            # request's response URL once it was carried out, not in the acknowledgement,
            # and the request is saved only then: wait for every answer before counting.
            await wait_until(
                lambda: len(answered_at(slack)) >= len([a for a in answers if not a[1]]),
                timeout=60,
                what="every request acknowledged with nothing answered at its response URL",
            )
            stored = await query(url, "SELECT id FROM requests")
            wanted = {(f"request:{r[0]}:post", admin) for r in stored for admin in ADMINS}
            await wait_until(
                lambda: wanted <= set(per_row(slack, "chat.postMessage", "approval_request")),
                timeout=60,
                what="every answered request posted to both admins",
                seen=lambda: (
                    f"{len(wanted - set(per_row(slack, 'chat.postMessage', 'approval_request')))} missing"
                ),
            )
            await asyncio.sleep(0.3)
        posts = per_row(slack, "chat.postMessage", "approval_request")
        told = [text for status, text in answers if status == 200 and "was sent" in text]
        told += [text for text in answered_at(slack).values() if "was sent" in text]
        print(
            f"\nrolling restart of {REPLICAS} replicas under load: {len(answers)} requests "
            f"answered, {balancer.refused} connections refused and {balancer.reset} reset, "
            f"each sent again; {len(errors)} other errors; {len(posts)} posts, "
            f"{sum(n - 1 for n in posts.values())} twice"
        )
        assert errors == []  # nothing but refused or reset connections, which were retried
        assert [a for a in answers if a[0] != 200] == []
        assert len(told) == len(answers) > 50  # every request answered "was sent"
        assert len(stored) == len(answers)  # and saved
        assert set(posts) == wanted
        assert max(posts.values()) == 1
        assert all(r.exits[:1] == [0] for r in group)  # each drained and exited 0 on SIGTERM


async def file_backdated(url: str, benefit: Benefit, due: list[datetime], after: timedelta) -> None:
    """One pending request per moment in ``due``, filed ``after`` before it, so that its
    approval reminder falls due at that moment."""
    store = await open_postgres(url, pool_size=2)
    try:
        for n, moment in enumerate(due):
            services = build_services(store, clock=FakeClock(moment - after))
            await services.requests.request_benefit(member(100 + n), benefit.id, "for the lab")
    finally:
        await store.close()


async def test_the_reminder_sweep_runs_on_one_replica_and_another_takes_over_when_it_is_killed() -> (
    None
):
    after = timedelta(hours=1)  # an approval reminder is due an hour after the request
    benefit = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=100)
    async with database() as url, FakeSlackWebApi() as slack:
        await prepare(url, benefit)
        # Reminders fall due one every 0.4 s, from 4 s from now: across the kill below.
        now = datetime.now(UTC)
        due = [now + timedelta(seconds=4 + 0.4 * n) for n in range(15)]
        await file_backdated(url, benefit, due, after)
        settings = {
            "BENEFITS_APPROVAL_REMINDER_HOURS": "1",
            "BENEFITS_SWEEP_INTERVAL_SECONDS": "1",  # due moments pass between sweeps
            "BENEFITS_DELIVERY_LEASE_SECONDS": "2",  # the killed replica's claims come back
            "BENEFITS_SLACK_MESSAGES_PER_SECOND": "500",
            "BENEFITS_SLACK_BURST": "50",
        }
        async with (
            replicas(slack, url, **settings) as group,
            aiohttp.ClientSession() as session,
        ):

            async def sweepers() -> list[int]:
                found = []
                for i, replica in enumerate(group):
                    health = await replica.health(session)
                    if health is not None and health["roles"]["reminder-sweep"]:
                        found.append(i)
                return found

            holders: list[list[int]] = []

            async def one_sweeper() -> bool:
                holders.append(await sweepers())
                return len(holders[-1]) == 1

            await wait_until(one_sweeper, timeout=10, what="one replica sweeping")
            for _ in range(10):  # and only one, look after look
                assert len(await sweepers()) == 1
                await asyncio.sleep(0.05)
            first = holders[-1][0]
            await wait_until(
                lambda: len(ok_calls(slack, "chat.postMessage", Kind.APPROVAL_WAITING.value)) > 0,
                timeout=15,
                what="the first approval reminders",
                seen=slack.summary,
            )
            await group[first].kill()  # the sweeping replica dies
            killed_at = datetime.now(UTC)
            await wait_until(one_sweeper, timeout=10, what="another replica sweeping")
            took_over_at = datetime.now(UTC)
            second = holders[-1][0]
            wanted = {(f"approval:{n + 1}:1", admin) for n in range(len(due)) for admin in ADMINS}
            await wait_until(
                lambda: (
                    wanted <= set(per_row(slack, "chat.postMessage", Kind.APPROVAL_WAITING.value))
                ),
                timeout=30,
                what="every approval reminder",
                seen=slack.summary,
            )
            await asyncio.sleep(0.5)  # time for a stray second copy to show up
        sent = per_row(slack, "chat.postMessage", Kind.APPROVAL_WAITING.value)
        duplicates = sum(n - 1 for n in sent.values())
        unswept = sum(1 for moment in due if killed_at < moment <= took_over_at)
        print(
            f"\nsweep: replica {first} swept, was killed, replica {second} took over in "
            f"{(took_over_at - killed_at).total_seconds():.2f}s ({unswept} requests fell due "
            f"meanwhile); {len(wanted)} reminders due, {len(sent)} sent, {duplicates} twice"
        )
        assert second != first
        assert set(sent) == wanted  # nothing due was lost
        assert duplicates <= 1  # at most the one the killed replica had in flight
