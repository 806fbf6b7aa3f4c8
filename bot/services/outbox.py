"""The outbox's delivery records: what the delivery loop and the renderer ask of it.

Sweeps, event sinks and services queue pings (:mod:`bot.services.reminders`,
:mod:`bot.services.notices`); :class:`bot.runtime.delivery.Delivery` sends
them and records each step here, each one write:

* **leases** — :meth:`OutboxService.claim` leases due pings to one sender,
  :meth:`~OutboxService.extend` renews the lease, :meth:`~OutboxService.release`
  hands pings back on a clean stop;
* **before sending** — :meth:`~OutboxService.still_wanted` cancels a ping that no
  longer makes sense (its request was decided), :meth:`~OutboxService.skip` one
  that has nothing to send, and :meth:`~OutboxService.send_started` marks the
  attempt so a sender taking over after a crash looks in Slack first;
* **after** — :meth:`~OutboxService.delivered` records Slack's channel and ``ts``
  (a copy of a request joins the request's messages),
  :meth:`~OutboxService.failed` retries with backoff or parks the ping and tells
  the admins.

:meth:`~OutboxService.get` reads the post an update refers to, and
:meth:`~OutboxService.listing` pages the outbox for ``benefits-bot reminders``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.model import ActivationStatus, MessageRef, Page, RequestStatus, Role
from bot.domain.outbox import ParamValue, Ping, PingState
from bot.services.notices import Notice, moment_key
from bot.services.reminders import As, Kind, ReminderRules, pings
from storage.unit_of_work import Store


class OutboxService:
    """Records the delivery of queued pings: leases, sends, failures, and reads."""

    def __init__(self, store: Store, *, clock: Clock, rules: ReminderRules | None = None) -> None:
        self._store = store
        self._clock = clock
        self.rules = rules or ReminderRules()  # the delivery limits: attempts, backoff

    async def claim(self, *, owner: str, limit: int, lease: timedelta) -> list[Ping]:
        """Lease up to ``limit`` due pings to ``owner``."""
        async with self._store.write(concurrent=True) as uow:
            now = self._clock.now()
            return await uow.outbox.claim(owner=owner, now=now, until=now + lease, limit=limit)

    async def extend(self, ping_ids: Sequence[int], *, owner: str, lease: timedelta) -> list[int]:
        """Renew ``owner``'s leases; the ids it still holds."""
        if not ping_ids:
            return []
        async with self._store.write(concurrent=True) as uow:
            until = self._clock.now() + lease
            return await uow.outbox.extend_claims(ping_ids, owner=owner, until=until)

    async def release(self, ping_ids: Sequence[int], *, owner: str) -> None:
        """Hand pings back unsent (a clean stop); another sender may take them at once."""
        if ping_ids:
            async with self._store.write(concurrent=True) as uow:
                await uow.outbox.release(ping_ids, owner=owner)

    async def still_wanted(self, ping: Ping) -> bool:
        """Whether the ping still makes sense now; if not, it is cancelled."""
        reason = await self._obsolete(ping)
        if reason is None:
            return True
        async with self._store.write() as uow:
            await uow.outbox.cancel(ping.id, reason=reason)
        return False

    async def skip(self, ping: Ping, *, reason: str) -> None:
        """Cancel a ping that turned out to have nothing to send (and its updates)."""
        async with self._store.write() as uow:
            await uow.outbox.cancel(ping.id, reason=reason)

    async def _obsolete(self, ping: Ping) -> str | None:
        if ping.kind == Notice.ACTIVATION_REQUESTED:
            async with self._store.read() as uow:
                activation = await uow.activations.get(str(ping.params.get("benefit_id")))
            if (
                activation is None
                or activation.status is not ActivationStatus.PENDING
                or moment_key(activation.requested_at) != ping.params.get("requested_at")
            ):
                return "the activation is no longer pending"
        elif ping.kind == Kind.APPROVAL_WAITING:
            async with self._store.read() as uow:
                request = await uow.requests.get(_int(ping.params.get("request_id")))
            if request is None or request.status is not RequestStatus.PENDING:
                return "the request was decided"
        elif ping.kind == Kind.ACTIVATION_PENDING:
            async with self._store.read() as uow:
                activation = await uow.activations.get(str(ping.params.get("benefit_id")))
            if activation is None or activation.status is not ActivationStatus.PENDING:
                return "the activation is no longer pending"
        return None

    async def send_started(self, ping: Ping, *, owner: str) -> bool:
        """Record that ``owner`` is about to send the ping to Slack; False when it
        may not (no longer queued, or another sender holds it now).

        Whoever takes the ping over after a crash then finds this mark and
        looks for the message in Slack before sending it again.
        """
        async with self._store.write(concurrent=True) as uow:
            return await uow.outbox.mark_send_started(ping.id, owner=owner, at=self._clock.now())

    async def delivered(self, ping: Ping, *, channel: str, ts: str, final: bool = False) -> bool:
        """Record that Slack accepted the ping; False when it was no longer queued.

        An approval request, and a reminder about a pending request, join the
        request's messages, so a decision updates them in place like every other
        copy. ``final``: the message already shows what its queued updates would
        (a request decided before its post went out), so they are cancelled.

        A concurrent write: a copy of a request locks the request's row first, so
        a decision (which locks it too) sees the copy either still queued (and
        queues its update after it) or sent and among the request's messages.
        """
        copy_of = None
        if ping.kind in (Kind.APPROVAL_WAITING, Notice.APPROVAL_REQUEST):
            copy_of = _int(ping.params.get("request_id"))
        async with self._store.write(concurrent=True) as uow:
            request = None if copy_of is None else await uow.requests.get(copy_of, lock=True)
            marked = await uow.outbox.mark_sent(
                ping.id, at=self._clock.now(), channel=channel, ts=ts
            )
            if marked and request is not None:
                await uow.requests.add_messages(request.id, [MessageRef(channel, ts)])
            if marked and final:
                await uow.outbox.cancel_updates_of(
                    ping.id, reason="the post already showed the outcome"
                )
        return marked

    async def get(self, ping_id: int) -> Ping | None:
        """One ping as stored (the post an update refers to)."""
        async with self._store.read() as uow:
            return await uow.outbox.get(ping_id)

    async def failed(
        self, ping: Ping, *, owner: str, error: str, permanent: bool = False
    ) -> PingState:
        """Record a failed attempt: retry later with backoff, or park and tell the admins.

        A ping is parked after ``max_attempts`` failures, or at once when the
        error can't go away by itself (e.g. the user no longer exists).
        """
        attempts = ping.attempts + 1
        async with self._store.write() as uow:
            now = self._clock.now()
            if not permanent and attempts < self.rules.max_attempts:
                due = now + self.rules.backoff_after(attempts)
                await uow.outbox.retry(ping.id, owner=owner, due_at=due, error=error)
                return PingState.QUEUED
            if await uow.outbox.park(ping.id, owner=owner, error=error) and (
                ping.kind not in (Kind.DELIVERY_PARKED, Notice.HOME)
            ):
                admins = [
                    u
                    for u in await uow.people.role_holders(Role.GLOBAL_ADMIN)
                    if u != ping.recipient
                ]
                notice: dict[str, ParamValue] = {
                    "ping_id": ping.id,
                    "about": ping.kind,
                    "recipient": ping.recipient,
                    "attempts": attempts,
                    "error": error,
                }
                await uow.outbox.enqueue(
                    pings(f"parked:{ping.id}", Kind.DELIVERY_PARKED, _as_admins(admins), notice),
                    at=now,
                )
        return PingState.PARKED

    # -- listing -----------------------------------------------------------------

    async def listing(
        self, *, state: PingState | None, page: int = 0, page_size: int = 50
    ) -> Page[Ping]:
        """One page of the outbox, oldest first (``page`` from 0)."""
        page_size = max(page_size, 1)
        async with self._store.read() as uow:
            total = await uow.outbox.count(state=state)
            last = max((total - 1) // page_size, 0)
            page = min(max(page, 0), last)
            items = await uow.outbox.pings(state=state, offset=page * page_size, limit=page_size)
        return Page(items=items, page=page, page_size=page_size, total=total)


def _as_admins(users: Iterable[str]) -> list[tuple[str, As]]:
    return [(u, As.ADMIN) for u in users]


def _int(value: ParamValue) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else -1
