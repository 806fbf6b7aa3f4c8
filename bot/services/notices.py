"""Notices: the Slack messages a change owes, queued in the outbox with the change.

Every message the bot must post or update because something changed goes
through the outbox (:mod:`bot.domain.outbox`), queued by a sink of the domain
event in the transaction that made the change, and sent by the delivery loop:

=====================  ============================================================
RequestCreated         the approval request: to the admin channel, or by DM to
                       each Global admin (one post each)
RequestDecided         every copy of the request updated: copies already posted
                       by their channel and ``ts``; copies still queued by an
                       update that waits for the post (``after_id``)
RequestWithdrawn       every copy updated the same way, showing the withdrawal
ActivationRequested    the pending activation with its Mark active button: to the
                       admin channel, or the requester's DM
ActivationCompleted    the message it was marked active from, updated
CancellationRequested  a DM to each Global admin
AdvisoryRequested      the admin channel, or each Global admin by DM
=====================  ============================================================

A notice carries its kind and the ids it is about, never Slack payloads: the
delivery side renders it when it is sent, from the state of that moment, so a
request decided while its post was still queued is posted already decided.
This module knows no Slack; the runtime renders (:mod:`bot.runtime.notices`).
"""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.domain.clock import Clock
from bot.domain.events import (
    ActivationCompleted,
    ActivationRequested,
    AdvisoryRequested,
    CancellationRequested,
    RequestCreated,
    RequestDecided,
    RequestWithdrawn,
    SeatSelfAssigned,
)
from bot.domain.limits import USER_ID
from bot.domain.model import Role
from bot.domain.outbox import NewPing, ParamValue, PingState
from bot.services.core import EventBus
from storage.unit_of_work import Store, UnitOfWork


class Notice(enum.StrEnum):
    """What a notice is; the runtime has one rendering for each."""

    APPROVAL_REQUEST = "approval_request"  # post
    REQUEST_DECIDED_COPY = "request_decided_copy"  # update of a copy of the request
    ACTIVATION_REQUESTED = "activation_requested"  # post: the Mark active button
    ACTIVATION_COMPLETED_COPY = "activation_completed_copy"  # update of that message
    CANCELLATION_FILED = "cancellation_filed"  # post (DM)
    ADVISORY_FILED = "advisory_filed"  # post
    SEAT_SELF_ASSIGNED = "seat_self_assigned"  # post
    HOME = "home"  # views.publish of a person's Home (bot.services.home), debounced


UPDATES = frozenset({Notice.REQUEST_DECIDED_COPY, Notice.ACTIVATION_COMPLETED_COPY})
"""Kinds that update a message already posted (``chat.update``), not post one."""


def request_post_prefix(request_id: int) -> str:
    """The key prefix of every post of request ``request_id`` that shows its buttons."""
    return f"request:{request_id}:post"


def activation_post_prefix(benefit_id: str) -> str:
    """The keys of the messages that ask an admin to mark ``benefit_id`` active."""
    return f"activation-requested:{benefit_id}:"


def approval_reminder_prefix(request_id: int) -> str:
    """The key prefix of the reminders about request ``request_id`` (see reminders)."""
    return f"approval:{request_id}:"


SEEN_JUST_NOW: Final = 1.0  # seconds a transaction's reading of the admin channel is used


class NoticeService:
    """The event sinks that queue notices, to the admin channel or each Global admin.

    ``admin_channel`` is the one ``BENEFITS_ADMIN_CHANNEL`` sets: it wins over the one a
    Global admin chose in Slack (kept in the database, :mod:`bot.services.setup`).
    """

    def __init__(self, store: Store, *, clock: Clock, admin_channel: str | None = None) -> None:
        self._store = store
        self._clock = clock
        self.admin_channel = admin_channel
        self._chosen: str | None = None  # the channel chosen in Slack, as last read
        self._chosen_version: int | None = None  # the store's version it was read at
        self._seen_at: float | None = None  # when a transaction last read it (monotonic)

    async def channel_in(self, uow: UnitOfWork) -> str | None:
        """The admin channel as ``uow`` sees it: the setting's, else the one chosen in Slack."""
        if self.admin_channel:
            return self.admin_channel
        chosen = await uow.settings.admin_channel()
        self._chosen, self._chosen_version, self._seen_at = chosen, None, time.monotonic()
        return chosen

    def forget_channel(self) -> None:
        """The admin channel was just chosen: read it again next time."""
        self._chosen_version = self._seen_at = None

    async def current_channel(self) -> str | None:
        """The admin channel now, for what listeners say; the one chosen in Slack is read
        again only once the store's version changed (another replica may choose one).
        Right after a change queued a notice (which read the channel in its own
        transaction, a moment ago) that reading is used: no round trip."""
        if self.admin_channel:
            return self.admin_channel
        if self._seen_at is not None and time.monotonic() - self._seen_at < SEEN_JUST_NOW:
            return self._chosen
        version = await self._store.version()
        if version != self._chosen_version:
            async with self._store.read() as uow:
                self._chosen = await uow.settings.admin_channel()
            self._chosen_version = version
        return self._chosen

    async def queue_unannounced(self, *, batch: int = 500) -> int:
        """Queue the posts of pending requests that have none: requests filed by a
        version of the bot that posted them after the acknowledgement and was
        stopped first. Run at start-up; idempotent, so any process may run it."""
        queued = 0
        while True:
            async with self._store.write() as uow:
                # Any age: a request with no post queued can't have one on its way.
                missed = await uow.requests.unannounced(
                    created_before=self._clock.now() + timedelta(days=1), limit=batch
                )
                for request in missed:
                    benefit = await uow.benefits.get(request.benefit_id)
                    if benefit is not None:
                        await self.on_request_created(uow, RequestCreated(request, benefit))
            queued += len(missed)
            if len(missed) < batch:
                return queued

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(RequestCreated, self.on_request_created)
        bus.subscribe(RequestDecided, self.on_request_decided)
        bus.subscribe(RequestWithdrawn, self.on_request_withdrawn)
        bus.subscribe(ActivationRequested, self.on_activation_requested)
        bus.subscribe(ActivationCompleted, self.on_activation_completed)
        bus.subscribe(CancellationRequested, self.on_cancellation_requested)
        bus.subscribe(AdvisoryRequested, self.on_advisory_requested)
        bus.subscribe(SeatSelfAssigned, self.on_seat_self_assigned)

    async def _admins_where(self, uow: UnitOfWork) -> list[str]:
        """The admin channel, or else every Global admin (by DM)."""
        channel = await self.channel_in(uow)
        if channel:
            return [channel]
        return await uow.people.role_holders(Role.GLOBAL_ADMIN)

    async def on_request_created(self, uow: UnitOfWork, event: RequestCreated) -> None:
        """Post the approval request where the Global admins decide it."""
        request = event.request
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=request_post_prefix(request.id),
                    recipient=target,
                    kind=Notice.APPROVAL_REQUEST.value,
                    params={"request_id": request.id},
                )
                for target in await self._admins_where(uow)
            ],
            at=event.request.created_at,
        )

    async def on_request_decided(self, uow: UnitOfWork, event: RequestDecided) -> None:
        """Update every copy of the request: posted ones now, queued ones after their post."""
        request_id = event.request.id
        params: dict[str, ParamValue] = {"request_id": request_id}
        # Every post and reminder of the request, once: whom each sent copy went to (so its
        # update reads in their language), and which are still queued (updated after them).
        copies = await uow.outbox.with_prefix(request_post_prefix(request_id))
        copies += await uow.outbox.with_prefix(approval_reminder_prefix(request_id))
        readers = {(p.channel, p.ts): p.recipient for p in copies if p.state is PingState.SENT}
        updates = [
            NewPing(
                key=f"request:{request_id}:decided:{ref.channel}:{ref.ts}",
                recipient=ref.channel,
                kind=Notice.REQUEST_DECIDED_COPY.value,
                params={
                    **params,
                    "channel": ref.channel,
                    "ts": ref.ts,
                    "reader": readers.get((ref.channel, ref.ts), ref.channel),
                },
            )
            for ref in await uow.requests.messages(request_id)
        ]
        queued = [p for p in copies if p.state is PingState.QUEUED]
        updates += [
            NewPing(
                key=f"request:{request_id}:decided:{post.id}",
                recipient=post.recipient,
                kind=Notice.REQUEST_DECIDED_COPY.value,
                params=params,
                after_id=post.id,
            )
            for post in queued
        ]
        await uow.outbox.enqueue(updates, at=event.at)

    async def on_request_withdrawn(self, uow: UnitOfWork, event: RequestWithdrawn) -> None:
        """Every copy of a withdrawn request shows it was withdrawn, as after a decision."""
        await self.on_request_decided(uow, RequestDecided(event.request, event.benefit, event.at))

    async def on_activation_requested(self, uow: UnitOfWork, event: ActivationRequested) -> None:
        """Post the pending activation, with Mark active, to the admin channel or the requester."""
        activation = event.activation
        target = await self.channel_in(uow) or activation.requested_by
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=activation_post_prefix(event.benefit.id)
                    + moment_key(activation.requested_at),
                    recipient=target,
                    kind=Notice.ACTIVATION_REQUESTED.value,
                    params={
                        "benefit_id": event.benefit.id,
                        "requested_at": moment_key(activation.requested_at),
                    },
                )
            ],
            at=activation.requested_at,
        )

    async def on_activation_completed(self, uow: UnitOfWork, event: ActivationCompleted) -> None:
        """Show the outcome in the message it was marked active from.

        Which message that is comes from the form's hidden field, so it is checked
        against the outbox: only a pending-activation message this bot posted for
        this benefit is ever updated.
        """
        ref = event.message
        if ref is None or not ref.channel or not ref.ts:
            return
        posted = await uow.outbox.with_prefix(
            activation_post_prefix(event.benefit.id), state=PingState.SENT
        )
        post = next((p for p in posted if (p.channel, p.ts) == (ref.channel, ref.ts)), None)
        if post is None:
            return
        completed = event.activation.completed_at or event.activation.requested_at
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"activation-completed:{event.benefit.id}:{moment_key(completed)}:{ref.ts}",
                    recipient=ref.channel,
                    kind=Notice.ACTIVATION_COMPLETED_COPY.value,
                    params={
                        "benefit_id": event.benefit.id,
                        "channel": ref.channel,
                        "ts": ref.ts,
                        "reader": post.recipient,  # whose language the post was in
                    },
                )
            ],
            at=completed,
        )

    async def on_cancellation_requested(
        self, uow: UnitOfWork, event: CancellationRequested
    ) -> None:
        """A DM to every Global admin: they submit it in Partner Center."""
        request = event.request
        params: dict[str, ParamValue] = {
            "request_id": request.id,
            "created_by": request.created_by,
            "purchased": event.purchased.isoformat(),
            "deadline": event.refund_window_ends.isoformat(),
        }
        admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"cancellation:{request.id}",
                    recipient=admin,
                    kind=Notice.CANCELLATION_FILED.value,
                    params=params,
                )
                for admin in admins
                if USER_ID.match(admin)
            ],
            at=request.created_at,
        )

    async def on_advisory_requested(self, uow: UnitOfWork, event: AdvisoryRequested) -> None:
        """Tell the admins: the admin channel, or each Global admin by DM."""
        request = event.request
        params: dict[str, ParamValue] = {
            "request_id": request.id,
            "requester": request.user_id,
            "hours": request.hours,
            "topic": request.topic,
            "hours_left": event.hours_left,
            "hours_total": event.hours_total,
        }
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"advisory:{request.id}",
                    recipient=target,
                    kind=Notice.ADVISORY_FILED.value,
                    params=params,
                )
                for target in await self._admins_where(uow)
            ],
            at=request.created_at,
        )

    async def on_seat_self_assigned(self, uow: UnitOfWork, event: SeatSelfAssigned) -> None:
        """Tell the admins: the admin channel, or the other Global and MPN partner admins by DM."""
        assignment = event.assignment
        params: dict[str, ParamValue] = {
            "holder": assignment.user_id,
            "benefit": event.benefit.name,
            "from_user": event.from_user,
        }
        channel = await self.channel_in(uow)
        targets = [channel] if channel else list(event.admins)
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=f"self-assigned:{assignment.id}",
                    recipient=target,
                    kind=Notice.SEAT_SELF_ASSIGNED.value,
                    params=params,
                )
                for target in targets
            ],
            at=assignment.assigned_at,
        )


def moment_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
