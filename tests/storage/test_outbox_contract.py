"""The outbox part of the storage contract, run against every store.

Pings, their leases and outcomes, the sweeps' watermarks, and the range
queries the reminder sweeps make. Each test runs once per implementation.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.model import Activation, ActivationStatus, Benefit, Category, RequestStatus
from bot.domain.outbox import NewPing, Ping, PingState
from storage.unit_of_work import Store

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
A, B = "owner-a", "owner-b"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ping(key: str, recipient: str = "U1", *, due: datetime | None = None) -> NewPing:
    return NewPing(key=key, recipient=recipient, kind="test", params={"n": 1}, due_at=due)


async def queue(store: Store, *pings: NewPing, when: datetime = T0) -> int:
    async with store.write() as uow:
        return await uow.outbox.enqueue(pings, at=when)


async def claim(
    store: Store, owner: str, now: datetime, *, lease: float = 2, limit: int = 100
) -> list[Ping]:
    async with store.write() as uow:
        return await uow.outbox.claim(
            owner=owner, now=now, until=now + timedelta(minutes=lease), limit=limit
        )


# -- queueing ------------------------------------------------------------------


async def test_a_ping_is_queued_once_per_key_and_recipient(store: Store) -> None:
    assert await queue(store, ping("k1"), ping("k1", "U2"), ping("k2")) == 3
    assert await queue(store, ping("k1"), ping("k1", "U2"), ping("k3")) == 1
    async with store.read() as uow:
        assert await uow.outbox.count(state=None) == 4
        assert await uow.outbox.count(state=PingState.QUEUED) == 4
        listed = await uow.outbox.pings(state=None, offset=0, limit=10)
    assert [(p.key, p.recipient) for p in listed] == [
        ("k1", "U1"),
        ("k1", "U2"),
        ("k2", "U1"),
        ("k3", "U1"),
    ]
    first = listed[0]
    assert first.kind == "test"
    assert dict(first.params) == {"n": 1}
    assert first.state is PingState.QUEUED
    assert (first.created_at, first.due_at, first.attempts) == (T0, T0, 0)


async def test_a_ping_sent_long_ago_is_still_never_queued_again(store: Store) -> None:
    await queue(store, ping("k1"))
    [p] = await claim(store, A, T0)
    async with store.write() as uow:
        assert await uow.outbox.mark_sent(p.id, at=T0, channel="D1", ts="1.0")
    assert await queue(store, ping("k1"), when=at(60 * 24 * 400)) == 0


async def test_a_queueing_transaction_that_fails_queues_nothing(store: Store) -> None:
    async def failing_change() -> None:
        async with store.write() as uow:
            await uow.outbox.enqueue([ping("k1")], at=T0)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with store.read() as uow:
        assert await uow.outbox.count(state=None) == 0


async def test_paging_the_outbox_by_state(store: Store) -> None:
    await queue(store, *(ping(f"k{i}") for i in range(5)))
    [first, *_] = await claim(store, A, T0, limit=1)
    async with store.write() as uow:
        await uow.outbox.mark_sent(first.id, at=T0, channel="D1", ts="1.0")
    async with store.read() as uow:
        assert await uow.outbox.count(state=PingState.SENT) == 1
        queued = await uow.outbox.pings(state=PingState.QUEUED, offset=1, limit=2)
        assert [p.key for p in queued] == ["k2", "k3"]
        assert await uow.outbox.pings(state=PingState.PARKED, offset=0, limit=10) == []
        assert await uow.outbox.pings(state=None, offset=0, limit=0) == []


# -- claiming --------------------------------------------------------------------


async def test_only_due_pings_are_claimed_oldest_due_first(store: Store) -> None:
    await queue(store, ping("late", due=at(10)), ping("now"), ping("soon", due=at(5)))
    claimed = await claim(store, A, at(6))
    assert [p.key for p in claimed] == ["now", "soon"]
    assert all(p.claimed_by == A and p.claimed_until == at(8) for p in claimed)


async def test_a_leased_ping_is_not_claimed_by_another_owner_until_the_lease_expires(
    store: Store,
) -> None:
    await queue(store, ping("k1"), ping("k2"))
    assert len(await claim(store, A, T0, lease=2)) == 2
    assert await claim(store, B, at(1)) == []
    taken = await claim(store, B, at(2))
    assert [p.key for p in taken] == ["k1", "k2"]
    assert all(p.claimed_by == B for p in taken)


async def test_the_claim_limit_is_respected(store: Store) -> None:
    await queue(store, *(ping(f"k{i}") for i in range(5)))
    assert len(await claim(store, A, T0, limit=2)) == 2
    assert len(await claim(store, B, T0, limit=10)) == 3
    assert await claim(store, B, T0, limit=0) == []


async def test_concurrent_claims_never_hand_out_the_same_ping_twice(store: Store) -> None:
    await queue(store, *(ping(f"k{i}") for i in range(60)))
    batches = await asyncio.gather(*(claim(store, f"o{i}", T0, limit=7) for i in range(12)))
    ids = [p.id for batch in batches for p in batch]
    assert len(ids) == 60
    assert len(set(ids)) == 60


async def test_extending_keeps_only_the_leases_still_held(store: Store) -> None:
    await queue(store, ping("k1"), ping("k2"))
    mine = await claim(store, A, T0, lease=2)
    theirs = await claim(store, B, at(3), limit=1)  # A's lease on k1 expired
    async with store.write() as uow:
        kept = await uow.outbox.extend_claims([p.id for p in mine], owner=A, until=at(10))
    assert kept == [mine[1].id]
    assert theirs[0].id == mine[0].id
    assert await claim(store, "owner-c", at(4)) == []  # k1 is B's till 5, k2 A's till 10


async def test_released_pings_are_free_again_and_can_be_postponed(store: Store) -> None:
    await queue(store, ping("k1"), ping("k2"))
    mine = await claim(store, A, T0, lease=30)
    async with store.write() as uow:
        await uow.outbox.release([mine[0].id], owner=A)
        await uow.outbox.release([mine[1].id], owner=A, due_at=at(4))
        await uow.outbox.release([mine[0].id], owner=B, due_at=at(100))  # not B's: ignored
    assert [p.key for p in await claim(store, B, at(1), lease=30)] == ["k1"]
    assert [p.key for p in await claim(store, B, at(4))] == ["k2"]
    async with store.read() as uow:
        assert all(p.attempts == 0 for p in await uow.outbox.pings(state=None, offset=0, limit=9))


# -- outcomes --------------------------------------------------------------------


async def test_a_sent_ping_records_where_slack_put_it_and_is_not_claimed_again(
    store: Store,
) -> None:
    await queue(store, ping("k1"))
    [p] = await claim(store, A, T0)
    async with store.write() as uow:
        assert await uow.outbox.mark_sent(p.id, at=at(1), channel="D1", ts="17.5")
        assert not await uow.outbox.mark_sent(p.id, at=at(2), channel="D1", ts="18.5")
    async with store.read() as uow:
        sent = await uow.outbox.get(p.id)
    assert sent is not None
    assert (sent.state, sent.sent_at, sent.channel, sent.ts, sent.attempts) == (
        PingState.SENT,
        at(1),
        "D1",
        "17.5",
        1,
    )
    assert await claim(store, B, at(60)) == []


async def test_a_started_send_is_recorded_only_by_the_lease_holder_and_handed_to_the_next(
    store: Store,
) -> None:
    await queue(store, ping("k1"))
    [p] = await claim(store, A, T0)
    assert p.send_started_at is None  # never sent: nothing to look for
    async with store.write() as uow:
        assert not await uow.outbox.mark_send_started(p.id, owner=B, at=at(1))
        assert await uow.outbox.mark_send_started(p.id, owner=A, at=at(1))
    # A dies before recording Slack's answer; B takes the ping over after the lease.
    [again] = await claim(store, B, at(3))
    assert again.send_started_at == at(1)
    async with store.write() as uow:
        assert not await uow.outbox.mark_send_started(p.id, owner=A, at=at(4))
        assert await uow.outbox.mark_send_started(p.id, owner=B, at=at(4))  # the last one
        assert await uow.outbox.mark_sent(p.id, at=at(5), channel="D1", ts="17.5")
        assert not await uow.outbox.mark_send_started(p.id, owner=B, at=at(6))  # sent
    async with store.read() as uow:
        sent = await uow.outbox.get(p.id)
    assert sent is not None
    assert (sent.state, sent.send_started_at) == (PingState.SENT, at(4))


async def test_a_failed_attempt_is_counted_and_the_ping_waits_for_its_retry(
    store: Store,
) -> None:
    await queue(store, ping("k1"))
    [p] = await claim(store, A, T0)
    async with store.write() as uow:
        assert not await uow.outbox.retry(p.id, owner=B, due_at=at(1), error="x")
        assert await uow.outbox.retry(p.id, owner=A, due_at=at(5), error="internal_error")
    assert await claim(store, A, at(4)) == []
    [again] = await claim(store, B, at(5))
    assert (again.attempts, again.last_error) == (1, "internal_error")


async def test_a_parked_ping_keeps_its_error_and_is_never_claimed(store: Store) -> None:
    await queue(store, ping("k1"))
    [p] = await claim(store, A, T0)
    async with store.write() as uow:
        assert not await uow.outbox.park(p.id, owner=B, error="x")
        assert await uow.outbox.park(p.id, owner=A, error="channel_not_found")
    async with store.read() as uow:
        parked = await uow.outbox.get(p.id)
        assert await uow.outbox.count(state=PingState.PARKED) == 1
    assert parked is not None
    assert (parked.state, parked.attempts, parked.last_error) == (
        PingState.PARKED,
        1,
        "channel_not_found",
    )
    assert await claim(store, B, at(60)) == []


async def test_a_cancelled_ping_is_never_sent(store: Store) -> None:
    await queue(store, ping("k1"))
    async with store.write() as uow:
        [p] = await uow.outbox.pings(state=None, offset=0, limit=1)
        assert await uow.outbox.cancel(p.id, reason="decided")
        assert not await uow.outbox.cancel(p.id, reason="again")
        assert not await uow.outbox.mark_sent(p.id, at=T0, channel="D1", ts="1.0")
    assert await claim(store, A, at(1)) == []


# -- watermarks ------------------------------------------------------------------


async def test_a_watermark_is_absent_until_set_and_then_moves(store: Store) -> None:
    async with store.write() as uow:
        assert await uow.outbox.get_watermark("reminders") is None
        await uow.outbox.set_watermark("reminders", T0)
        await uow.outbox.set_watermark("other", at(1))
    async with store.write() as uow:
        assert await uow.outbox.get_watermark("reminders") == T0
        await uow.outbox.set_watermark("reminders", at(5))
    async with store.read() as uow:
        assert await uow.outbox.get_watermark("reminders") == at(5)
        assert await uow.outbox.get_watermark("other") == at(1)


# -- what the sweeps ask ---------------------------------------------------------


async def test_benefits_and_active_offers_expiring_in_a_date_range(store: Store) -> None:
    d = date(2026, 3, 1)
    async with store.write() as uow:
        for i, day in enumerate([d - timedelta(days=1), d, d + timedelta(days=2), None]):
            await uow.benefits.put(
                Benefit(f"b{i}", f"Benefit {i}", Category.SOFTWARE, expires_on=day)
            )
            await uow.benefits.put(Benefit(f"o{i}", f"Offer {i}", Category.GTM))
            await uow.activations.put(
                Activation(
                    f"o{i}",
                    ActivationStatus.ACTIVE if i != 2 else ActivationStatus.PENDING,
                    "UADMIN",
                    T0,
                    expires_on=day,
                )
            )
    async with store.read() as uow:
        benefits = await uow.outbox.benefits_expiring(d, d + timedelta(days=2))
        offers = await uow.outbox.activations_expiring(d - timedelta(days=5), d + timedelta(days=5))
    assert [b.id for b in benefits] == ["b1", "b2"]
    assert [(b.id, a.benefit_id) for b, a in offers] == [("o0", "o0"), ("o1", "o1")]  # o2: pending


async def test_activations_requested_in_a_window_by_status(store: Store) -> None:
    async with store.write() as uow:
        for i in range(4):
            await uow.benefits.put(Benefit(f"t{i}", f"Support {i}", Category.TECHNICAL))
            status = ActivationStatus.ACTIVE if i == 2 else ActivationStatus.PENDING
            await uow.activations.put(Activation(f"t{i}", status, "UADMIN", at(i * 10)))
    async with store.read() as uow:
        found = await uow.outbox.activations_requested(
            status=ActivationStatus.PENDING, after=at(0), until=at(30)
        )
    assert [a.benefit_id for a in found] == ["t1", "t3"]


async def test_pending_requests_created_before_a_moment_oldest_first(store: Store) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio", Category.VISUAL_STUDIO))
        ids = [
            (
                await uow.requests.add(
                    benefit_id="vs", requester_id=f"U{i}", reason="", created_at=at(-i)
                )
            ).id
            for i in range(4)
        ]
        await uow.requests.decide(
            ids[2], status=RequestStatus.DENIED, decided_by="UADMIN", decided_at=at(1)
        )
    async with store.read() as uow:
        found = await uow.outbox.pending_requests_before(at(-1))
    assert [r.requester_id for r in found] == ["U3", "U1"]


async def test_active_assignments_made_in_a_window_of_some_categories(store: Store) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("vs", "Visual Studio", Category.VISUAL_STUDIO))
        await uow.benefits.put(Benefit("m365", "Microsoft 365", Category.SOFTWARE))
        made = []
        for i, benefit in enumerate(["vs", "m365", "vs", "vs", "vs"]):
            made.append(
                await uow.assignments.add(
                    benefit_id=benefit, user_id=f"U{i}", assigned_at=at(i), assigned_by="UADMIN"
                )
            )
        await uow.assignments.release(made[3].id, at=at(10))
    async with store.read() as uow:
        found = await uow.outbox.assignments_made(
            categories=[Category.VISUAL_STUDIO], after=at(0), until=at(4)
        )
        assert await uow.outbox.assignments_made(categories=[], after=at(-1), until=at(9)) == []
    assert [a.user_id for a in found] == ["U2", "U4"]


# -- updates that wait for their post ---------------------------------------------------


async def post_and_update(store: Store) -> tuple[Ping, Ping]:
    await queue(store, ping("post", "C1"))
    async with store.read() as uow:
        [post] = await uow.outbox.queued_with_prefix("post")
    await queue(store, NewPing(key="update", recipient="C1", kind="test", after_id=post.id))
    async with store.read() as uow:
        [update] = await uow.outbox.queued_with_prefix("update")
    return post, update


async def test_an_update_is_claimable_only_once_its_post_is_sent(store: Store) -> None:
    post, update = await post_and_update(store)
    assert update.after_id == post.id
    assert [p.id for p in await claim(store, A, T0)] == [post.id]
    assert await claim(store, B, at(1)) == []  # the post is leased: the update still waits
    async with store.write() as uow:
        assert await uow.outbox.mark_sent(post.id, at=T0, channel="C1", ts="1.1")
    assert [p.id for p in await claim(store, B, T0)] == [update.id]


@pytest.mark.parametrize("outcome", ["park", "cancel"])
async def test_a_post_parked_or_cancelled_cancels_the_updates_waiting_for_it(
    store: Store, outcome: str
) -> None:
    post, update = await post_and_update(store)
    await claim(store, A, T0)
    async with store.write() as uow:
        if outcome == "park":
            assert await uow.outbox.park(post.id, owner=A, error="channel_not_found")
        else:
            assert await uow.outbox.cancel(post.id, reason="no longer wanted")
        cancelled = await uow.outbox.get(update.id)
    assert cancelled is not None
    assert cancelled.state is PingState.CANCELLED
    assert cancelled.last_error.startswith("the message it updates was")
    assert await claim(store, B, at(10)) == []


async def test_queued_with_prefix_finds_only_queued_keys_starting_with_it(store: Store) -> None:
    await queue(store, ping("request:1:post", "U1"), ping("request:1:post", "U2"))
    await queue(store, ping("request:12:post"), ping("request:1;"), ping("approval:1:1"))
    async with store.write() as uow:
        [first, *_] = await uow.outbox.queued_with_prefix("request:1:post")
        await uow.outbox.cancel(first.id, reason="test")
        found = await uow.outbox.queued_with_prefix("request:1:")
    assert [(p.key, p.recipient) for p in found] == [("request:1:post", "U2")]


async def test_with_prefix_finds_the_keys_starting_with_it_in_one_state(store: Store) -> None:
    await queue(store, ping("activation-requested:sig:1", "C1"), ping("activation-requested:sig:2"))
    await queue(store, ping("activation-requested:sigma:1"), ping("activation-requested:si"))
    async with store.write() as uow:
        [first, second] = await uow.outbox.with_prefix(
            "activation-requested:sig:", state=PingState.QUEUED
        )
        assert await uow.outbox.mark_sent(first.id, at=at(1), channel="C1", ts="1.0001")
        sent = await uow.outbox.with_prefix("activation-requested:sig:", state=PingState.SENT)
        queued = await uow.outbox.with_prefix("activation-requested:sig:", state=PingState.QUEUED)
    assert [(p.key, p.channel, p.ts) for p in sent] == [
        ("activation-requested:sig:1", "C1", "1.0001")
    ]
    assert [p.id for p in queued] == [second.id]


async def test_with_prefix_without_a_state_finds_the_keys_starting_with_it_in_every_state(
    store: Store,
) -> None:
    await queue(store, ping("request:3:post", "C1"), ping("request:3:post", "U2"))
    await queue(store, ping("request:31:post"), ping("request:4:post"))
    async with store.write() as uow:
        [first, second] = await uow.outbox.with_prefix("request:3:")
        assert await uow.outbox.mark_sent(first.id, at=at(1), channel="C1", ts="1.0002")
        found = await uow.outbox.with_prefix("request:3:")
    assert [(p.id, p.state) for p in found] == [
        (first.id, PingState.SENT),
        (second.id, PingState.QUEUED),
    ]
