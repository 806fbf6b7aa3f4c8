"""Offboarding: what a person who left held goes back (docs/rules.md#offboarding).

Slack says a person left in two ways: a ``user_change`` event with ``deleted:
true``, and the daily reconciliation against ``users.list`` for the events
the bot missed while it was down (the runtime pages through Slack and hands
the statuses to :meth:`OffboardingService.reconcile`). Either way the
departure is recorded once (storage keeps one open departure per person, so
a replayed event or the reconciliation after the event does nothing), and,
when the person held anything, one message listing it is queued for the
Global admins in the same transaction: to the admin channel, or by DM.

Reclaiming frees the seats, withdraws the pending requests and revokes the
roles, each audited, in one transaction that reads what the person holds at
that moment, so an approval racing with it either came first (and its seat
is freed too) or finds the request withdrawn. A Visual Studio subscription
is freed, never handed to someone else here (docs/rules.md#visual-studio-90-days).
A marketing contact who left counts as missing until replaced: offers can't
be activated meanwhile (:mod:`bot.services.activation`). A person who comes
back gets nothing back by themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.domain.clock import Clock
from bot.domain.events import RequestDecided
from bot.domain.model import (
    Assignment,
    Benefit,
    Category,
    Conflict,
    InvalidInput,
    NotFound,
    Request,
    RequestStatus,
    Role,
)
from bot.domain.offboarding import Offboarding, OffboardingState, Source
from bot.domain.outbox import NewPing, ParamValue, PingState
from bot.domain.permissions import Action
from bot.domain.visual_studio import reassignable_from
from bot.i18n.translate import N_
from bot.services.core import audit, ensure_changeable, require
from bot.services.notices import NoticeService, moment_key
from storage.unit_of_work import Store, UnitOfWork

SLACK = "slack"  # the actor of what Slack told the bot
RECONCILE = "offboarding-reconcile"  # the watermark of the daily reconciliation


# One text per outcome, so that no state word is left untranslated.
ALREADY_DECIDED: Final[dict[OffboardingState, str]] = {
    OffboardingState.RECLAIMED: N_(
        "The offboarding of {left_user} was already decided: everything was reclaimed; nothing changed."
    ),
    OffboardingState.KEPT: N_(
        "The offboarding of {left_user} was already decided: everything was kept; nothing changed."
    ),
}
ALREADY_RETURNED: Final = N_(
    "{left_user} is back, so their offboarding is closed; nothing changed."
)


class OffboardingNotice(enum.StrEnum):
    """The outbox kinds of offboarding; :mod:`bot.runtime.upkeep` renders them."""

    POST = "offboarding"  # the list of what a person held, with Reclaim all / Keep
    COPY = "offboarding_copy"  # an update of a posted copy after a decision


class ItemKind(enum.StrEnum):
    SEAT = "seat"
    REQUEST = "request"
    ROLE = "role"


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to reclaim: a seat (assignment id), a request (id) or a role (name)."""

    kind: ItemKind
    ref: str

    @property
    def value(self) -> str:
        return f"{self.kind.value}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> Item:
        kind, _, ref = text.partition(":")
        try:
            return cls(ItemKind(kind), ref)
        except ValueError:
            raise InvalidInput("That choice is not one the bot offered.") from None


@dataclass(frozen=True, slots=True)
class HeldSeat:
    assignment: Assignment
    benefit: Benefit
    reassignable_from: datetime | None = None  # Visual Studio before its 90 days

    @property
    def item(self) -> Item:
        return Item(ItemKind.SEAT, str(self.assignment.id))


@dataclass(frozen=True, slots=True)
class OffboardingView:
    """A departure and what the person holds now."""

    offboarding: Offboarding
    seats: tuple[HeldSeat, ...]
    requests: tuple[tuple[Request, Benefit], ...]
    roles: tuple[Role, ...]
    marketing_contact: bool  # they are the marketing contact: flagged missing

    @property
    def empty(self) -> bool:
        return not (self.seats or self.requests or self.roles or self.marketing_contact)

    @property
    def items(self) -> list[Item]:
        return (
            [s.item for s in self.seats]
            + [Item(ItemKind.REQUEST, str(r.id)) for r, _ in self.requests]
            + [Item(ItemKind.ROLE, role.value) for role in self.roles]
        )


def post_prefix(offboarding_id: int) -> str:
    return f"offboarding:{offboarding_id}:post"


class OffboardingService:
    """Records departures and returns, lists what was held, reclaims or keeps it."""

    def __init__(self, store: Store, *, clock: Clock, notices: NoticeService) -> None:
        self._store = store
        self._clock = clock
        self._notices = notices

    # -- what Slack says ---------------------------------------------------------

    async def user_left(self, user_id: str, *, source: Source = Source.EVENT) -> bool:
        """Record that Slack deactivated ``user_id``; True when this is news.

        Someone the bot never knew (no seat, request, role, directory entry, nor
        marketing contact) is not recorded.
        """
        async with self._store.write() as uow:
            return await self._left(uow, user_id, source)

    async def _left(self, uow: UnitOfWork, user_id: str, source: Source) -> bool:
        if not await _known(uow, user_id):
            return False
        now = self._clock.now()
        started = await uow.offboardings.start(user_id, at=now, source=source)
        if started is None:
            return False
        await audit(uow, now, SLACK, "offboarding.start", f"user:{user_id}", source.value)
        view = await _view(uow, started, now)
        if view.empty:
            return True
        targets = await self._admins_where(uow, user_id)
        await uow.outbox.enqueue(
            [
                NewPing(
                    key=post_prefix(started.id),
                    recipient=target,
                    kind=OffboardingNotice.POST.value,
                    params={"offboarding_id": started.id, "user_id": user_id},
                )
                for target in targets
            ],
            at=now,
        )
        return True

    async def user_returned(self, user_id: str) -> bool:
        """Slack reactivated ``user_id``: their departure ends; nothing comes back."""
        async with self._store.write() as uow:
            return await self._returned(uow, user_id)

    async def _returned(self, uow: UnitOfWork, user_id: str) -> bool:
        now = self._clock.now()
        if not await uow.offboardings.returned(user_id, at=now):
            return False
        await audit(uow, now, SLACK, "offboarding.return", f"user:{user_id}")
        return True

    async def reconcile(self, deleted: Mapping[str, bool]) -> int:
        """Compare with Slack's directory (user id → deactivated); new departures.

        Everyone deactivated whose departure is not recorded is offboarded as
        if the event had come; everyone recorded as gone whom Slack lists as
        active has come back.
        """
        async with self._store.write() as uow:
            gone = set(await uow.offboardings.departed())
            found = 0
            for user_id, is_deleted in deleted.items():
                if is_deleted and user_id not in gone:
                    found += await self._left(uow, user_id, Source.RECONCILIATION)
                elif not is_deleted and user_id in gone:
                    await self._returned(uow, user_id)
            await uow.outbox.set_watermark(RECONCILE, self._clock.now())
        return found

    async def reconciliation_due(self, every: timedelta) -> bool:
        """Whether ``every`` has passed since the last complete reconciliation."""
        async with self._store.read() as uow:
            last = await uow.outbox.get_watermark(RECONCILE)
        return last is None or self._clock.now() - last >= every

    # -- the admins' decision -------------------------------------------------------

    async def view(self, offboarding_id: int) -> OffboardingView:
        async with self._store.read() as uow:
            return await _view(uow, await _get(uow, offboarding_id), self._clock.now())

    async def reclaim(
        self, actor: str, offboarding_id: int, item: Item | None = None
    ) -> OffboardingView:
        """Reclaim one item, or (``item`` None) everything, and close the offboarding."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await require(uow, actor, Action.DECIDE)
            offboarding = await _open(uow, offboarding_id)
            view = await _view(uow, offboarding, now)
            chosen = view.items if item is None else [item]
            if item is not None and item not in view.items:
                raise Conflict(
                    "That was already reclaimed, or {left_user} no longer holds it.",
                    left_user=offboarding.user_id,
                )
            if any(i.kind is not ItemKind.ROLE for i in chosen):
                await ensure_changeable(uow)
            for one in chosen:
                await self._reclaim(uow, actor, view, one, now)
            if item is None:
                await uow.offboardings.decide(
                    offboarding.id, state=OffboardingState.RECLAIMED, by=actor, at=now
                )
                await audit(uow, now, actor, "offboarding.reclaim", f"user:{offboarding.user_id}")
            await self._update_copies(uow, offboarding.id, now)
            current = await _get(uow, offboarding.id)
            return await _view(uow, current, now)

    async def keep(self, actor: str, offboarding_id: int) -> OffboardingView:
        """Leave everything as it is and close the offboarding."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await require(uow, actor, Action.DECIDE)
            offboarding = await _open(uow, offboarding_id)
            await uow.offboardings.decide(
                offboarding.id, state=OffboardingState.KEPT, by=actor, at=now
            )
            await audit(uow, now, actor, "offboarding.keep", f"user:{offboarding.user_id}")
            await self._update_copies(uow, offboarding.id, now)
            return await _view(uow, await _get(uow, offboarding.id), now)

    async def _reclaim(
        self, uow: UnitOfWork, actor: str, view: OffboardingView, item: Item, now: datetime
    ) -> None:
        user_id = view.offboarding.user_id
        subject = f"user:{user_id}"
        if item.kind is ItemKind.SEAT:
            seat = next(s for s in view.seats if s.item == item)
            await uow.assignments.release(seat.assignment.id, at=now)
            detail = f"{seat.benefit.id}: offboarding"
            if seat.reassignable_from is not None:
                detail += f"; freed, not reassigned (90 days end {seat.reassignable_from.date()})"
            await audit(uow, now, actor, "assignment.release", subject, detail)
        elif item.kind is ItemKind.REQUEST:
            request, benefit = next((r, b) for r, b in view.requests if str(r.id) == item.ref)
            await uow.requests.decide(
                request.id,
                status=RequestStatus.CLOSED,
                decided_by=actor,
                decided_at=now,
                note="withdrawn: the requester left",
            )
            await audit(uow, now, actor, "request.withdraw", f"request:{request.id}", benefit.id)
            decided = await uow.requests.get(request.id)
            assert decided is not None
            # Every copy of the request is updated; the requester, gone, gets no DM.
            await self._notices.on_request_decided(uow, RequestDecided(decided, benefit, now))
        else:
            role = Role(item.ref)
            await uow.people.revoke_role(user_id, role)
            await audit(uow, now, actor, "role.revoke", subject, f"{role.value}: offboarding")

    async def _update_copies(self, uow: UnitOfWork, offboarding_id: int, now: datetime) -> None:
        """Every copy shows the new state: posted ones by ``ts``, queued ones after posting."""
        params: dict[str, ParamValue] = {"offboarding_id": offboarding_id}
        stamp = moment_key(now)
        sent = await uow.outbox.with_prefix(post_prefix(offboarding_id), state=PingState.SENT)
        queued = await uow.outbox.queued_with_prefix(post_prefix(offboarding_id))
        updates = [
            NewPing(
                key=f"offboarding:{offboarding_id}:update:{stamp}:{post.id}",
                recipient=post.channel or post.recipient,
                kind=OffboardingNotice.COPY.value,
                params={**params, "channel": post.channel, "ts": post.ts},
            )
            for post in sent
        ] + [
            NewPing(
                key=f"offboarding:{offboarding_id}:update:{stamp}:{post.id}",
                recipient=post.recipient,
                kind=OffboardingNotice.COPY.value,
                params=params,
                after_id=post.id,
            )
            for post in queued
        ]
        await uow.outbox.enqueue(updates, at=now)

    async def _admins_where(self, uow: UnitOfWork, user_id: str) -> list[str]:
        channel = await self._notices.channel_in(uow)
        if channel:
            return [channel]
        return [u for u in await uow.people.role_holders(Role.GLOBAL_ADMIN) if u != user_id]


async def is_departed(uow: UnitOfWork, user_id: str) -> bool:
    """Whether Slack deactivated ``user_id`` and they did not come back."""
    return await uow.offboardings.current(user_id) is not None


async def _known(uow: UnitOfWork, user_id: str) -> bool:
    if await uow.people.get_user(user_id) is not None or await uow.people.roles_of(user_id):
        return True
    if await uow.assignments.of_user(user_id):
        return True
    if await uow.requests.of_user(user_id, status=RequestStatus.PENDING):
        return True
    contact = await uow.marketing_contact.get()
    return contact is not None and contact.user_id == user_id


async def _get(uow: UnitOfWork, offboarding_id: int) -> Offboarding:
    found = await uow.offboardings.get(offboarding_id)
    if found is None:
        raise NotFound("That offboarding no longer exists.")
    return found


async def _open(uow: UnitOfWork, offboarding_id: int) -> Offboarding:
    offboarding = await _get(uow, offboarding_id)
    if offboarding.state is not OffboardingState.OPEN or offboarding.returned_at is not None:
        raise Conflict(
            ALREADY_RETURNED
            if offboarding.returned_at is not None
            else ALREADY_DECIDED[offboarding.state],
            left_user=offboarding.user_id,
        )
    return offboarding


async def _view(uow: UnitOfWork, offboarding: Offboarding, now: datetime) -> OffboardingView:
    user_id = offboarding.user_id
    seats: list[HeldSeat] = []
    for assignment in await uow.assignments.of_user(user_id):
        benefit = await uow.benefits.get(assignment.benefit_id)
        if benefit is None:
            continue
        until = reassignable_from(assignment.assigned_at)
        vs_early = benefit.category is Category.VISUAL_STUDIO and now < until
        seats.append(HeldSeat(assignment, benefit, until if vs_early else None))
    requests: list[tuple[Request, Benefit]] = []
    for request in await uow.requests.of_user(user_id, status=RequestStatus.PENDING):
        benefit = await uow.benefits.get(request.benefit_id)
        if benefit is not None:
            requests.append((request, benefit))
    held = await uow.people.roles_of(user_id)
    roles = tuple(r for r in Role if r in held)
    contact = await uow.marketing_contact.get()
    return OffboardingView(
        offboarding=offboarding,
        seats=tuple(seats),
        requests=tuple(requests),
        roles=roles,
        marketing_contact=contact is not None and contact.user_id == user_id,
    )
