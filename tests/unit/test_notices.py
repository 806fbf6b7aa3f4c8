"""Every message a change owes is queued in the outbox in the change's own transaction.

The services queue a kind and the ids it is about (:mod:`bot.services.notices`);
nothing is sent here. What is queued is read back from storage.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import Event
from bot.domain.model import Benefit, Category, MessageRef, Role, SupportKind
from bot.domain.outbox import Ping, PingState
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.services.core import EventBus
from bot.services.notices import Notice
from storage.sqlite import SqliteStore
from storage.unit_of_work import UnitOfWork
from tests.unit.conftest import (
    ADMIN,
    ADMIN2,
    MEMBER,
    MEMBER2,
    MEMBERSHIP,
    VS_ENT,
    VS_PRO,
    AddBenefits,
)

PARTNER_ADMIN = "UPARTNER1"
CHANNEL = "CADMINS01"
SIG_CLOUD = Benefit(
    "sig-cloud",
    "Signature cloud support",
    Category.TECHNICAL,
    support_kind=SupportKind.SIGNATURE_CLOUD,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)


async def outbox(store: SqliteStore, kind: Notice | None = None) -> list[Ping]:
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=None, offset=0, limit=1000)
    return [p for p in pings if kind is None or p.kind == kind]


@pytest.fixture
async def two_admins(services: Services, add_benefits: AddBenefits) -> Services:
    await services.roles.grant(ADMIN, ADMIN2, Role.GLOBAL_ADMIN)
    await services.roles.grant(ADMIN, PARTNER_ADMIN, Role.MPN_PARTNER_ADMIN)
    await add_benefits(SIG_CLOUD, ADVISORY)
    return services


# -- approval requests ----------------------------------------------------------------


async def test_without_an_admin_channel_a_request_is_queued_to_each_global_admin_by_dm(
    two_admins: Services, store: SqliteStore
) -> None:
    created = await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "for the lab")

    posts = await outbox(store, Notice.APPROVAL_REQUEST)
    assert sorted(p.recipient for p in posts) == sorted([ADMIN, ADMIN2])
    assert {p.key for p in posts} == {f"request:{created.request.id}:post"}
    assert all(p.params == {"request_id": created.request.id} for p in posts)
    assert all(p.state is PingState.QUEUED and p.after_id is None for p in posts)


async def test_with_an_admin_channel_a_request_is_queued_to_that_channel_once(
    two_admins: Services, store: SqliteStore
) -> None:
    two_admins.admin_channel = CHANNEL
    await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "for the lab")
    assert [p.recipient for p in await outbox(store, Notice.APPROVAL_REQUEST)] == [CHANNEL]


async def test_a_request_whose_post_cannot_be_queued_is_not_saved(
    two_admins: Services, store: SqliteStore
) -> None:
    async def broken(uow: UnitOfWork, event: Event) -> None:
        raise RuntimeError("outbox unavailable")

    two_admins.events.subscribe_all(broken)
    with pytest.raises(RuntimeError):
        await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "for the lab")
    async with store.read() as uow:
        assert await uow.requests.pending(MEMBER, VS_ENT.id) is None
    assert await outbox(store) == []


# -- decisions --------------------------------------------------------------------------


async def test_a_decision_updates_posted_copies_by_their_ts_and_queued_ones_after_their_post(
    two_admins: Services, store: SqliteStore
) -> None:
    created = await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "for the lab")
    request_id = created.request.id
    first, second = sorted(await outbox(store, Notice.APPROVAL_REQUEST), key=lambda p: p.id)
    async with store.write() as uow:  # the first copy is posted; the second still queued
        await uow.outbox.mark_sent(first.id, at=FakeClock().now(), channel="D0ADMIN1", ts="1.1")
        await uow.requests.add_messages(request_id, [MessageRef("D0ADMIN1", "1.1")])

    await two_admins.requests.deny(ADMIN, request_id, "Not this quarter")

    updates = {p.key: p for p in await outbox(store, Notice.REQUEST_DECIDED_COPY)}
    posted = updates[f"request:{request_id}:decided:D0ADMIN1:1.1"]
    assert (posted.recipient, posted.after_id) == ("D0ADMIN1", None)
    assert (posted.params["channel"], posted.params["ts"]) == ("D0ADMIN1", "1.1")
    queued = updates[f"request:{request_id}:decided:{second.id}"]
    assert (queued.recipient, queued.after_id) == (second.recipient, second.id)
    assert len(updates) == 2


async def test_an_update_is_not_handed_out_before_its_post_is_sent(
    two_admins: Services, store: SqliteStore, clock: FakeClock
) -> None:
    created = await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "")
    await two_admins.requests.approve(ADMIN, created.request.id)
    lease = timedelta(minutes=1)

    claimed = await two_admins.outbox.claim(owner="a", limit=100, lease=lease)
    assert Notice.REQUEST_DECIDED_COPY not in {p.kind for p in claimed}
    posts = [p for p in claimed if p.kind == Notice.APPROVAL_REQUEST]
    assert len(posts) == 2
    await two_admins.outbox.delivered(posts[0], channel="D1", ts="1.1")

    [update] = await two_admins.outbox.claim(owner="a", limit=100, lease=lease)
    assert (update.kind, update.after_id) == (Notice.REQUEST_DECIDED_COPY, posts[0].id)


async def test_a_post_that_already_showed_the_decision_cancels_its_update(
    two_admins: Services, store: SqliteStore
) -> None:
    created = await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "")
    await two_admins.requests.approve(ADMIN, created.request.id)
    claimed = await two_admins.outbox.claim(owner="a", limit=100, lease=timedelta(minutes=1))
    post = next(p for p in claimed if p.kind == Notice.APPROVAL_REQUEST)

    await two_admins.outbox.delivered(post, channel="D1", ts="1.1", final=True)

    [update] = [
        p for p in await outbox(store, Notice.REQUEST_DECIDED_COPY) if p.after_id == post.id
    ]
    assert update.state is PingState.CANCELLED
    assert update.last_error == "the post already showed the outcome"


async def test_a_parked_post_cancels_the_update_waiting_for_it(
    two_admins: Services, store: SqliteStore
) -> None:
    created = await two_admins.requests.request_benefit(MEMBER, VS_ENT.id, "")
    await two_admins.requests.approve(ADMIN, created.request.id)
    claimed = await two_admins.outbox.claim(owner="a", limit=100, lease=timedelta(minutes=1))
    post = next(p for p in claimed if p.kind == Notice.APPROVAL_REQUEST)

    state = await two_admins.outbox.failed(post, owner="a", error="user_not_found", permanent=True)

    assert state is PingState.PARKED
    [update] = [
        p for p in await outbox(store, Notice.REQUEST_DECIDED_COPY) if p.after_id == post.id
    ]
    assert update.state is PingState.CANCELLED
    assert update.last_error == "the message it updates was parked"


# -- activations, cancellations, advisory hours ---------------------------------------


async def test_an_activation_queues_its_mark_active_post_to_the_requester_or_the_channel(
    two_admins: Services, store: SqliteStore
) -> None:
    await two_admins.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    [post] = await outbox(store, Notice.ACTIVATION_REQUESTED)
    assert (post.recipient, post.params["benefit_id"]) == (PARTNER_ADMIN, SIG_CLOUD.id)

    async with store.write() as uow:  # the delivery loop posted it to the requester's DM
        assert await uow.outbox.mark_sent(post.id, at=post.due_at, channel="D0PARTNER", ts="9.9")

    two_admins.admin_channel = CHANNEL  # the update goes where the message is, not here
    await two_admins.activation.complete(
        ADMIN,
        SIG_CLOUD.id,
        access_id="A1",
        contract_id="C1",
        message=MessageRef("D0PARTNER", "9.9"),
    )
    [update] = await outbox(store, Notice.ACTIVATION_COMPLETED_COPY)
    assert (update.recipient, update.params["ts"], update.after_id) == ("D0PARTNER", "9.9", None)


async def test_marking_active_from_a_message_that_was_not_its_post_queues_no_update(
    two_admins: Services, store: SqliteStore
) -> None:
    await two_admins.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    [post] = await outbox(store, Notice.ACTIVATION_REQUESTED)
    async with store.write() as uow:
        assert await uow.outbox.mark_sent(post.id, at=post.due_at, channel="D0PARTNER", ts="9.9")

    await two_admins.activation.complete(
        ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1", message=MessageRef(CHANNEL, "1.1")
    )

    assert await outbox(store, Notice.ACTIVATION_COMPLETED_COPY) == []


async def test_marking_active_from_a_list_queues_no_update(
    two_admins: Services, store: SqliteStore
) -> None:
    await two_admins.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    await two_admins.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    assert await outbox(store, Notice.ACTIVATION_COMPLETED_COPY) == []


async def test_a_filed_cancellation_queues_a_dm_to_each_global_admin(
    two_admins: Services, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:  # bought 10 days ago: within the refund window
        await uow.membership.put(
            replace(MEMBERSHIP, purchase_date=clock.now().date() - timedelta(days=10))
        )
    filed = await two_admins.cancellation.request_cancellation(ADMIN)
    dms = await outbox(store, Notice.CANCELLATION_FILED)
    assert sorted(p.recipient for p in dms) == sorted([ADMIN, ADMIN2])
    assert all(p.params["request_id"] == filed.request.id for p in dms)
    assert all(p.params["deadline"] == filed.check.refund_window_ends.isoformat() for p in dms)


async def test_advisory_hours_queue_a_notice_to_each_global_admin_or_the_channel(
    two_admins: Services, store: SqliteStore
) -> None:
    first = await two_admins.support.file_advisory(MEMBER, 6, "Azure landing zone")
    notices = await outbox(store, Notice.ADVISORY_FILED)
    assert sorted(p.recipient for p in notices) == sorted([ADMIN, ADMIN2])
    assert notices[0].params["hours_left"] == first.hours_left
    assert notices[0].params["topic"] == "Azure landing zone"

    two_admins.admin_channel = CHANNEL
    await two_admins.support.file_advisory(MEMBER2, 2, "Teams rollout")
    assert [p.recipient for p in await outbox(store, Notice.ADVISORY_FILED)][2:] == [CHANNEL]


# -- requests saved by an older version -------------------------------------------------


async def test_requests_saved_before_the_outbox_are_queued_once_at_start_up(
    store: SqliteStore, clock: FakeClock
) -> None:
    older = build_services(store, clock=clock, events=EventBus())  # queued nothing
    await older.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    never_posted = await older.requests.request_benefit(MEMBER, VS_ENT.id, "")
    posted = await older.requests.request_benefit(MEMBER, VS_PRO.id, "")
    await older.requests.add_request_messages(posted.request.id, [MessageRef("D1", "1.1")])
    decided = await older.requests.request_benefit(MEMBER2, VS_ENT.id, "")
    await older.requests.deny(ADMIN, decided.request.id, "no")
    services = build_services(store, clock=clock)

    assert await services.notices.queue_unannounced() == 1
    posts = await outbox(store, Notice.APPROVAL_REQUEST)
    assert [(p.key, p.recipient) for p in posts] == [
        (f"request:{never_posted.request.id}:post", ADMIN)
    ]
    assert await services.notices.queue_unannounced() == 0  # once, in any process
    assert len(await outbox(store, Notice.APPROVAL_REQUEST)) == 1
