"""Notices from the outbox to a fake Slack: posted once, updated in order, rendered when sent.

The real services queue what a change owes; a :class:`Delivery` with the real
:class:`Renderer` sends it with the Web API client pointed at
:class:`FakeSlackWebApi`, which checks every payload against Block Kit's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, MessageRef, Role, SupportKind
from bot.domain.outbox import Ping, PingState
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.runtime.delivery import Delivery
from bot.runtime.notices import Outgoing, Renderer, Skip
from bot.services.notices import Notice
from storage.sqlite import SqliteStore, open_sqlite
from tests.fakes.web_api import FakeSlackWebApi, RecordedCall
from tests.slack.harness import BOT_TOKEN, call_text
from tests.unit.conftest import MEMBERSHIP

ADMIN, ADMIN2, MEMBER = "UADMIN001", "UADMIN002", "UMEMBER01"
WIN11 = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=5)
SIG_CLOUD = Benefit(
    "sig-cloud",
    "Signature cloud support",
    Category.TECHNICAL,
    support_kind=SupportKind.SIGNATURE_CLOUD,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackWebApi]:
    async with FakeSlackWebApi() as fake:
        yield fake


@pytest.fixture
async def client(slack: FakeSlackWebApi) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(
            token=BOT_TOKEN, base_url=slack.api_url, session=session, retry_handlers=[]
        )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_sqlite(tmp_path / "notices.db")
    async with opened.write() as uow:
        await uow.benefits.put(WIN11)
    yield opened
    await opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def services(store: SqliteStore, clock: FakeClock) -> Services:
    built = build_services(store, clock=clock)
    for admin in (ADMIN, ADMIN2):
        await built.roles.bootstrap_grant(admin, Role.GLOBAL_ADMIN)
    return built


def delivery(
    services: Services, client: AsyncWebClient, render: Renderer | None = None
) -> Delivery:
    return Delivery(
        services.outbox,
        client,
        render=render or Renderer(services),
        lease=60,
        batch=100,
        poll=0.05,
        rate=100.0,
        burst=100,
    )


def calls(slack: FakeSlackWebApi, kind: str) -> list[RecordedCall]:
    """Successful posts and updates of outbox rows of ``kind``, in the order Slack got them."""
    return [
        c
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.update")
        and not c.failed
        and isinstance(c.args.get("metadata"), dict)
        and c.args["metadata"]["event_payload"]["kind"] == kind
    ]


def buttons(call: RecordedCall) -> list[str]:
    return [
        e["action_id"]
        for b in call.args.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_each_global_admin_gets_the_request_by_dm_and_each_copy_is_updated_by_its_own_ts(
    services: Services, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    created = await services.requests.request_benefit(MEMBER, WIN11.id, "for the lab")
    await delivery(services, client).drain(timeout=10)
    posts = calls(slack, Notice.APPROVAL_REQUEST)
    assert sorted(p.args["channel"] for p in posts) == [ADMIN, ADMIN2]
    assert all(buttons(p) == [ids.APPROVE, ids.DENY] for p in posts)
    refs = await services.requests.request_messages(created.request.id)
    assert sorted(r.ts for r in refs) == sorted(p.response["ts"] for p in posts)

    await services.requests.approve(ADMIN, created.request.id)
    await delivery(services, client).drain(timeout=10)

    updates = calls(slack, Notice.REQUEST_DECIDED_COPY)
    assert sorted((u.args["channel"], u.args["ts"]) for u in updates) == sorted(
        (r.channel, r.ts) for r in refs
    )
    assert all(buttons(u) == [] and "Approved" in call_text(u) for u in updates)
    [dm] = calls(slack, "request_decided")
    assert dm.args["channel"] == MEMBER
    slack.assert_no_violations()


async def test_a_decision_while_the_post_is_in_flight_updates_it_only_after_it_was_posted(
    services: Services, client: AsyncWebClient, slack: FakeSlackWebApi
) -> None:
    services.admin_channel = "CADMINS01"
    created = await services.requests.request_benefit(MEMBER, WIN11.id, "for the lab")
    renderer = Renderer(services)

    class DecidingMidway(Renderer):
        """Renders the post while pending, then the decision lands before Slack answers."""

        async def __call__(self, ping: Ping) -> Outgoing | Skip:
            rendered = await renderer(ping)
            if ping.kind == Notice.APPROVAL_REQUEST:
                await services.requests.deny(ADMIN, created.request.id, "Not this quarter")
            return rendered

    await delivery(services, client, DecidingMidway(services)).drain(timeout=10)

    post, update = calls(slack, Notice.APPROVAL_REQUEST) + calls(slack, Notice.REQUEST_DECIDED_COPY)
    assert slack.calls.index(post) < slack.calls.index(update)  # never before its post
    assert buttons(post) == [ids.APPROVE, ids.DENY]
    assert (update.args["channel"], update.args["ts"]) == (
        post.response["channel"],
        post.response["ts"],
    )
    assert buttons(update) == []
    assert "Not this quarter" in call_text(update)
    assert len(slack.calls_to("chat.update")) == 1
    slack.assert_no_violations()


async def test_a_request_decided_before_its_post_went_out_is_posted_decided_and_never_updated(
    services: Services, client: AsyncWebClient, slack: FakeSlackWebApi, store: SqliteStore
) -> None:
    created = await services.requests.request_benefit(MEMBER, WIN11.id, "for the lab")
    await services.requests.approve(ADMIN2, created.request.id)

    await delivery(services, client).drain(timeout=10)

    posts = calls(slack, Notice.APPROVAL_REQUEST)
    assert sorted(p.args["channel"] for p in posts) == [ADMIN, ADMIN2]
    assert all(buttons(p) == [] and "Approved" in call_text(p) for p in posts)
    assert slack.calls_to("chat.update") == []
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=None, offset=0, limit=100)
    updates = [p for p in pings if p.kind == Notice.REQUEST_DECIDED_COPY]
    assert len(updates) == 2
    assert {p.state for p in updates} == {PingState.CANCELLED}
    assert len(await services.requests.request_messages(created.request.id)) == 2


async def test_a_post_slack_refuses_for_good_is_parked_and_its_update_cancelled_not_sent(
    services: Services, client: AsyncWebClient, slack: FakeSlackWebApi, store: SqliteStore
) -> None:
    services.admin_channel = "CGONE0001"
    created = await services.requests.request_benefit(MEMBER, WIN11.id, "for the lab")
    slack.fail_next("chat.postMessage", error="channel_not_found", status=200)
    renderer = Renderer(services)

    class DecidingMidway(Renderer):
        async def __call__(self, ping: Ping) -> Outgoing | Skip:
            rendered = await renderer(ping)
            if ping.kind == Notice.APPROVAL_REQUEST:
                await services.requests.approve(ADMIN, created.request.id)
            return rendered

    await delivery(services, client, DecidingMidway(services)).drain(timeout=10)

    assert slack.calls_to("chat.update") == []
    async with store.read() as uow:
        pings = {p.kind: p for p in await uow.outbox.pings(state=None, offset=0, limit=100)}
    assert pings[Notice.APPROVAL_REQUEST].state is PingState.PARKED
    assert pings[Notice.REQUEST_DECIDED_COPY].state is PingState.CANCELLED
    # The Global admins hear that it could not be posted.
    parked = calls(slack, "delivery_parked")
    assert sorted(c.args["channel"] for c in parked) == [ADMIN, ADMIN2]


async def test_activation_cancellation_and_advisory_notices_are_sent_from_the_outbox(
    services: Services,
    client: AsyncWebClient,
    slack: FakeSlackWebApi,
    store: SqliteStore,
    clock: FakeClock,
) -> None:
    async with store.write() as uow:
        bought = clock.now().date() - timedelta(days=10)
        await uow.membership.put(replace(MEMBERSHIP, purchase_date=bought))
        await uow.benefits.put(SIG_CLOUD)
        await uow.benefits.put(ADVISORY)
    await services.activation.activate(ADMIN, SIG_CLOUD.id)
    filed = await services.cancellation.request_cancellation(ADMIN)
    await services.support.file_advisory(MEMBER, 6, "Azure landing zone")

    await delivery(services, client).drain(timeout=10)

    [pending] = calls(slack, Notice.ACTIVATION_REQUESTED)
    assert pending.args["channel"] == ADMIN  # no admin channel: the requester's DM
    assert buttons(pending) == [ids.MARK_ACTIVE]
    cancellations = calls(slack, Notice.CANCELLATION_FILED)
    assert sorted(c.args["channel"] for c in cancellations) == [ADMIN, ADMIN2]
    assert all(f"cancellation request #{filed.request.id}" in call_text(c) for c in cancellations)
    advisory = calls(slack, Notice.ADVISORY_FILED)
    assert sorted(c.args["channel"] for c in advisory) == [ADMIN, ADMIN2]
    assert all("Azure landing zone" in call_text(c) for c in advisory)

    # Marked active from that message: the message shows the outcome, without the button.
    ref = MessageRef(pending.response["channel"], pending.response["ts"])
    await services.activation.complete(
        ADMIN, SIG_CLOUD.id, access_id="1234567", contract_id="SR-1", message=ref
    )
    await delivery(services, client).drain(timeout=10)
    [update] = calls(slack, Notice.ACTIVATION_COMPLETED_COPY)
    assert (update.args["channel"], update.args["ts"]) == (ref.channel, ref.ts)
    assert buttons(update) == []
    assert "1234567" in call_text(update)
    slack.assert_no_violations()


async def test_a_pending_activation_completed_before_its_post_went_out_is_not_posted(
    services: Services, client: AsyncWebClient, slack: FakeSlackWebApi, store: SqliteStore
) -> None:
    async with store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        await uow.benefits.put(SIG_CLOUD)
    await services.activation.activate(ADMIN, SIG_CLOUD.id)
    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")

    await delivery(services, client).drain(timeout=10)

    assert calls(slack, Notice.ACTIVATION_REQUESTED) == []  # no stale Mark active button
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=PingState.CANCELLED, offset=0, limit=10)
    assert [p.kind for p in pings] == [Notice.ACTIVATION_REQUESTED]


async def test_an_update_slack_applied_before_its_sender_died_is_recorded_not_sent_again(
    services: Services,
    client: AsyncWebClient,
    slack: FakeSlackWebApi,
    clock: FakeClock,
    store: SqliteStore,
) -> None:
    created = await services.requests.request_benefit(MEMBER, WIN11.id, "for the lab")
    await delivery(services, client).drain(timeout=10)
    await services.requests.approve(ADMIN, created.request.id)
    slack.stall_next("chat.update")  # Slack updates the copy; the answer never arrives
    first = delivery(services, client)
    sending = asyncio.create_task(first.run())
    [applied] = await slack.wait_for("chat.update")
    sending.cancel()  # the sender dies before recording it
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    clock.advance(timedelta(seconds=61))  # its lease runs out

    stats = await delivery(services, client).drain(timeout=10)

    assert stats.found_in_slack == 1
    updates = calls(slack, Notice.REQUEST_DECIDED_COPY)
    refs = await services.requests.request_messages(created.request.id)
    assert sorted((u.args["channel"], u.args["ts"]) for u in updates) == sorted(
        (r.channel, r.ts) for r in refs
    )  # each copy updated once: the one Slack had applied was not sent again
    [looked] = slack.calls_to("conversations.history")
    assert looked.args["channel"] == applied.args["channel"]
    assert looked.args["oldest"] == looked.args["latest"] == applied.args["ts"]
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=10)
    assert pings == []
