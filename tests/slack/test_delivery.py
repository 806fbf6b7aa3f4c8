"""The delivery loop against a fake Slack: once each, paced, through 429s and errors.

The loop runs on a SQLite outbox with the real Web API client pointed at
:class:`FakeSlackWebApi`; every message carries its ping in Slack message
metadata, so deliveries are counted per ping key.

Pacing is checked in virtual time: the loop and the fake Slack read one
:class:`VirtualTime`, which moves only when the loop waits, so a slow machine
changes nothing and the spacing of the recorded calls is exact.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import FakeClock
from bot.domain.model import Role
from bot.domain.outbox import NewPing, Ping, PingState
from bot.runtime.delivery import ChannelPacer, Delivery
from bot.services.outbox import OutboxService
from bot.services.reminders import Kind, ReminderRules
from storage.sqlite import SqliteStore, open_sqlite
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.harness import BOT_TOKEN

ADMIN = "UADMIN001"


class VirtualTime:
    """Monotonic seconds that pass only when the delivery loop waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def wait(self, wake: asyncio.Event, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let the rest of the test's loop run


@pytest.fixture
def virtual() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def slack(virtual: VirtualTime) -> AsyncIterator[FakeSlackWebApi]:
    # The fake's rate limits and the time it records calls at are virtual too.
    async with FakeSlackWebApi(clock=virtual.monotonic) as fake:
        yield fake


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_sqlite(tmp_path / "delivery.db")
    async with opened.write() as uow:
        await uow.people.grant_role(ADMIN, Role.GLOBAL_ADMIN, at=FakeClock().now())
    yield opened
    await opened.close()


@pytest.fixture
async def client(slack: FakeSlackWebApi) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(
            token=BOT_TOKEN, base_url=slack.api_url, session=session, retry_handlers=[]
        )


def make(
    store: SqliteStore,
    client: AsyncWebClient,
    clock: FakeClock,
    *,
    rate: float = 50.0,
    burst: int = 50,
    rules: ReminderRules | None = None,
    virtual: VirtualTime | None = None,
) -> Delivery:
    """A loop pacing in real time, or in ``virtual`` time when given."""
    service = OutboxService(store, clock=clock, rules=rules)
    if virtual is None:
        return Delivery(service, client, lease=60, batch=100, poll=0.05, rate=rate, burst=burst)
    return Delivery(
        service,
        client,
        lease=60,
        batch=100,
        poll=0.05,
        rate=rate,
        burst=burst,
        monotonic=virtual.monotonic,
        wait=virtual.wait,
    )


async def queue(store: SqliteStore, clock: FakeClock, users: int, each: int) -> list[str]:
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
    async with store.write() as uow:
        await uow.outbox.enqueue(pings, at=clock.now())
    return [p.key for p in pings]


def delivered_keys(slack: FakeSlackWebApi) -> Counter[str]:
    return Counter(
        c.args["metadata"]["event_payload"]["key"]
        for c in slack.calls_to("chat.postMessage", include_failed=False)
        if isinstance(c.args.get("metadata"), dict)
    )


async def all_pings(store: SqliteStore) -> list[Ping]:
    async with store.read() as uow:
        return await uow.outbox.pings(state=None, offset=0, limit=10_000)


async def test_every_ping_is_sent_once_as_a_dm_with_its_ts_recorded(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    keys = await queue(store, clock, users=4, each=3)
    stats = await make(store, client, clock).drain(timeout=20)
    assert stats.sent == 12
    assert delivered_keys(slack) == Counter(keys)
    pings = await all_pings(store)
    assert {p.state for p in pings} == {PingState.SENT}
    post = slack.calls_to("chat.postMessage")[0]
    by_key = {p.key: p for p in pings}
    sent = by_key[post.args["metadata"]["event_payload"]["key"]]
    assert (sent.channel, sent.ts) == (post.response["channel"], post.response["ts"])
    assert post.args["channel"] == sent.recipient
    assert "membership" in post.args["text"]
    slack.assert_no_violations()


async def test_each_send_waits_for_the_gate_which_is_told_when_its_ping_was_claimed(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    keys = await queue(store, clock, users=2, each=2)
    open_gate = asyncio.Event()
    first_asked = asyncio.Event()
    asked: list[float] = []

    async def gate(since: float) -> None:
        asked.append(since)
        first_asked.set()
        await open_gate.wait()

    service = OutboxService(store, clock=clock)
    delivery = Delivery(
        service, client, lease=60, batch=100, poll=0.05, rate=50, burst=50, gate=gate
    )
    started = asyncio.get_running_loop().time()
    draining = asyncio.create_task(delivery.drain(timeout=20))
    await asyncio.wait_for(first_asked.wait(), timeout=10)
    await asyncio.sleep(0.1)
    assert slack.calls_to("chat.postMessage") == []  # nothing sent while the gate is shut
    open_gate.set()
    stats = await draining
    assert stats.sent == 4
    assert delivered_keys(slack) == Counter(keys)
    assert len(asked) == 4  # once before each send
    assert all(started <= since <= asyncio.get_running_loop().time() for since in asked)
    assert len(set(asked)) == 1  # all four came in one claim


async def test_answers_429_with_retry_after_are_honoured_and_nothing_is_sent_twice(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi, virtual: VirtualTime
) -> None:
    clock = FakeClock()
    keys = await queue(store, clock, users=5, each=4)
    slack.fail_next("chat.postMessage", retry_after=1, times=3)
    stats = await make(store, client, clock, virtual=virtual).drain(timeout=10)
    assert stats.ratelimited == slack.ratelimited_count == 3
    posts = slack.calls_to("chat.postMessage")
    refused = [c for c in posts if c.status == 429]
    assert len(refused) == 3
    for answer in refused:  # the blocked channel waited its Retry-After, by the loop's clock
        channel = answer.args["channel"]
        later = posts[posts.index(answer) + 1 :]
        [retry, *_] = [c for c in later if c.args["channel"] == channel]
        assert retry.at >= answer.at + 1.0, f"{channel} was tried again too soon"
        assert _key(retry) == _key(answer)  # the same ping, retried
    assert delivered_keys(slack) == Counter(keys)
    assert {p.state for p in await all_pings(store)} == {PingState.SENT}
    assert all(p.attempts == 1 for p in await all_pings(store))  # a 429 is not an attempt


async def test_a_slack_that_rate_limits_each_channel_gets_every_ping_once(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi, virtual: VirtualTime
) -> None:
    clock = FakeClock()
    keys = await queue(store, clock, users=3, each=5)
    slack.rate_limit("chat.postMessage", per_channel_per_second=2.0, burst=2)
    # The loop's own pacing is set too fast on purpose, so Slack must refuse some.
    delivery = make(store, client, clock, rate=20.0, burst=5, virtual=virtual)
    stats = await delivery.drain(timeout=10)
    assert slack.ratelimited_count > 0
    assert stats.ratelimited == slack.ratelimited_count
    assert delivered_keys(slack) == Counter(keys)


async def test_pacing_per_channel_keeps_within_slacks_limit_without_a_single_429(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi, virtual: VirtualTime
) -> None:
    clock = FakeClock()
    keys = await queue(store, clock, users=4, each=5)
    slack.rate_limit("chat.postMessage", per_channel_per_second=4.0, burst=2)
    started = virtual.now
    await make(store, client, clock, rate=4.0, burst=2, virtual=virtual).drain(timeout=10)
    assert slack.ratelimited_count == 0
    assert delivered_keys(slack) == Counter(keys)
    # After a burst of 2, each channel gets one message per 1/4 s: its k-th message
    # (from 0) no sooner than (k - 1) / 4 s after its first. A loop that sent
    # without waiting for a token would post all five at the same virtual instant.
    for user in range(4):
        times = [
            c.at for c in slack.calls_to("chat.postMessage") if c.args["channel"] == f"U{user:04d}"
        ]
        assert len(times) == 5
        for k in range(2, 5):
            assert times[k] - times[0] >= (k - 1) / 4.0, f"U{user:04d}: {times}"
    assert virtual.now - started >= (5 - 2) / 4.0  # 3 of each channel's 5 waited for a token


async def test_an_unknown_user_parks_the_ping_at_once_and_the_admins_are_told(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    await queue(store, clock, users=1, each=1)
    slack.fail_next("chat.postMessage", error="user_not_found", status=200)
    stats = await make(store, client, clock).drain(timeout=20)
    assert (stats.parked, stats.sent) == (1, 1)
    states = {p.kind: p for p in await all_pings(store)}
    parked = states[Kind.MEMBERSHIP_ENDING]
    assert (parked.state, parked.last_error, parked.attempts) == (
        PingState.PARKED,
        "user_not_found",
        1,
    )
    notice = states[Kind.DELIVERY_PARKED]
    assert (notice.state, notice.recipient) == (PingState.SENT, ADMIN)
    [told] = [c for c in slack.calls_to("chat.postMessage", include_failed=False)]
    assert told.args["channel"] == ADMIN
    assert "U0000" in told.args["text"]
    assert "user_not_found" in told.args["text"]


async def test_a_transient_error_is_retried_after_its_backoff_and_then_delivered(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    [key] = await queue(store, clock, users=1, each=1)
    slack.fail_next("chat.postMessage", error="internal_error", status=200, times=2)
    rules = ReminderRules(backoff=timedelta(seconds=30))
    delivery = make(store, client, clock, rules=rules)
    stats = await delivery.drain(timeout=10)
    assert (stats.retried, stats.sent) == (1, 0)  # not due again until the backoff passed
    clock.advance(timedelta(seconds=30))
    await delivery.drain(timeout=10)
    assert stats.retried == 2
    clock.advance(timedelta(seconds=59))
    await delivery.drain(timeout=10)
    assert stats.sent == 0
    clock.advance(timedelta(seconds=1))
    await delivery.drain(timeout=10)
    assert stats.sent == 1
    [ping] = await all_pings(store)
    assert (ping.state, ping.attempts, ping.last_error) == (PingState.SENT, 3, "internal_error")
    assert delivered_keys(slack) == Counter([key])


async def test_a_stopped_loop_hands_its_unsent_pings_back_at_once(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    await queue(store, clock, users=1, each=6)
    slack.rate_limit("chat.postMessage", per_channel_per_second=1.0, burst=1)
    delivery = make(store, client, clock, rate=1.0, burst=1)
    task = asyncio.create_task(delivery.run())
    await slack.wait_for("chat.postMessage", 1)
    delivery.stop()
    await asyncio.wait_for(task, 5)
    pings = await all_pings(store)
    assert sum(p.state is PingState.SENT for p in pings) == 1
    assert all(p.claimed_until is None for p in pings if p.state is PingState.QUEUED)
    other = make(store, client, clock, rate=100.0)
    async with store.write() as uow:  # another sender can take them straight away
        taken = await uow.outbox.claim(
            owner=other.owner, now=clock.now(), until=clock.now() + timedelta(minutes=1), limit=9
        )
    assert len(taken) == 5


async def test_idle_returns_once_every_ping_queued_before_it_has_been_sent(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = FakeClock()
    delivery = make(store, client, clock)
    task = asyncio.create_task(delivery.run())
    try:
        async with asyncio.timeout(10):
            await delivery.idle()  # an empty outbox: idle at the first look
            keys = await queue(store, clock, users=3, each=2)  # nobody wakes the loop
            await delivery.idle()
        # Checked at once, without waiting for calls: idle means all of them were sent.
        assert delivered_keys(slack) == Counter(keys)
        assert {p.state for p in await all_pings(store)} == {PingState.SENT}
    finally:
        delivery.stop()
        await asyncio.wait_for(task, 5)


def test_the_pacer_allows_a_burst_then_one_message_per_interval() -> None:
    now = [100.0]
    pacer = ChannelPacer(rate=1.0, burst=3, monotonic=lambda: now[0])
    for _ in range(3):
        assert pacer.ready_at("D1") == 0.0  # now
        pacer.took("D1")
    assert pacer.ready_at("D1") == pytest.approx(101.0, abs=0.01)
    assert pacer.ready_at("D2") == 0.0  # channels are independent
    now[0] = 101.01
    pacer.took("D1")
    assert pacer.ready_at("D1") == pytest.approx(102.01, abs=0.01)
    pacer.blocked("D1", 5.0)
    assert pacer.ready_at("D1") == pytest.approx(106.01, abs=0.01)


def _key(call: RecordedCall) -> str:
    return str(call.args["metadata"]["event_payload"]["key"])


# -- never twice: a send that may have reached Slack is looked for first ------------------


def now_clock() -> FakeClock:
    """The outbox's clock at the real time, as Slack's ``ts`` are (the fake's follow it)."""
    return FakeClock(datetime.now(UTC))


async def test_a_post_slack_accepted_before_its_sender_died_is_recorded_and_never_posted_again(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = now_clock()
    [key] = await queue(store, clock, users=1, each=1)
    slack.stall_next("chat.postMessage")  # Slack takes the post; its answer never arrives
    first = make(store, client, clock)
    sending = asyncio.create_task(first.run())
    [accepted] = await slack.wait_for("chat.postMessage")
    sending.cancel()  # the sender dies before it could record Slack's answer
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    [ping] = await all_pings(store)
    assert (ping.state, ping.send_started_at) == (PingState.QUEUED, clock.now())

    second = make(store, client, clock)
    assert (await second.drain(timeout=10)).sent == 0  # the dead sender's lease still holds it
    clock.advance(timedelta(seconds=61))  # the lease (60 s) runs out
    stats = await second.drain(timeout=10)

    assert (stats.found_in_slack, stats.sent, stats.unverified) == (1, 1, 0)
    assert delivered_keys(slack) == Counter([key])  # posted once, by the dead sender
    [sent] = await all_pings(store)
    assert (sent.state, sent.channel, sent.ts) == (
        PingState.SENT,
        accepted.response["channel"],
        accepted.response["ts"],
    )
    [opened] = slack.calls_to("conversations.open")
    assert opened.args["users"] == "U0000"  # the DM's channel, to read it
    [looked] = slack.calls_to("conversations.history")
    assert looked.args["channel"] == "D0000"
    assert looked.args["include_all_metadata"] == "1"
    assert float(looked.args["oldest"]) <= float(accepted.response["ts"])


async def test_a_post_that_never_reached_slack_is_looked_for_then_posted_once(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = now_clock()
    [key] = await queue(store, clock, users=1, each=1)
    slack.disconnect_next("chat.postMessage")  # the connection drops; Slack never saw it
    delivery = make(store, client, clock, rules=ReminderRules(backoff=timedelta(seconds=30)))
    stats = await delivery.drain(timeout=10)
    assert (stats.retried, stats.sent) == (1, 0)
    assert slack.calls_to("chat.postMessage") == []
    clock.advance(timedelta(seconds=30))

    stats = await delivery.drain(timeout=10)

    assert (stats.found_in_slack, stats.sent) == (0, 1)
    assert len(slack.calls_to("conversations.history")) == 1  # looked, found nothing
    assert delivered_keys(slack) == Counter([key])
    [post] = slack.calls_to("chat.postMessage")
    [sent] = await all_pings(store)
    assert (sent.state, sent.ts) == (PingState.SENT, post.response["ts"])


async def test_a_post_whose_answer_was_lost_in_a_timeout_is_found_and_not_posted_again(
    store: SqliteStore, slack: FakeSlackWebApi
) -> None:
    clock = now_clock()
    [key] = await queue(store, clock, users=1, each=1)
    slack.stall_next("chat.postMessage")  # Slack posts it, the answer is late: a timeout
    # As the bot's own delivery client: the session's timeout ends a call Slack doesn't answer.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
        impatient = AsyncWebClient(
            token=BOT_TOKEN, base_url=slack.api_url, session=session, retry_handlers=[], timeout=1
        )
        delivery = make(store, impatient, clock, rules=ReminderRules(backoff=timedelta(seconds=30)))
        stats = await delivery.drain(timeout=10)
        assert (stats.retried, stats.sent) == (1, 0)  # a timeout: maybe sent, maybe not
        clock.advance(timedelta(seconds=30))
        stats = await delivery.drain(timeout=10)
    assert (stats.found_in_slack, stats.sent) == (1, 1)
    assert delivered_keys(slack) == Counter([key])
    [post] = slack.calls_to("chat.postMessage")
    [sent] = await all_pings(store)
    assert (sent.state, sent.ts, sent.attempts) == (PingState.SENT, post.response["ts"], 2)


async def test_an_app_that_may_not_read_history_sends_again_rather_than_never(
    store: SqliteStore, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    clock = now_clock()
    [key] = await queue(store, clock, users=1, each=1)
    slack.disconnect_next("chat.postMessage")
    slack.fail_next("conversations.history", error="missing_scope", status=200)
    delivery = make(store, client, clock, rules=ReminderRules(backoff=timedelta(seconds=30)))
    await delivery.drain(timeout=10)
    clock.advance(timedelta(seconds=30))

    stats = await delivery.drain(timeout=10)

    assert (stats.unverified, stats.sent) == (1, 1)
    assert delivered_keys(slack) == Counter([key])
