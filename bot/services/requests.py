"""Requests for a seat: filing one, and a Global admin approving or denying it.

A member files a request; a Global admin other than the requester decides it
(docs/rules.md). Approval assigns the seat in the same transaction, and both
decisions raise :class:`bot.domain.events.RequestDecided`, whose sinks (the
requester's DM, the update of every copy) queue in the outbox with the decision;
filing raises :class:`bot.domain.events.RequestCreated`, whose sink queues the
posts to the admins. Where each copy was posted is remembered, so every copy
can be updated in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from bot.domain import events
from bot.domain.clock import Clock
from bot.domain.model import (
    Assignment,
    AuditEntry,
    Benefit,
    Conflict,
    Forbidden,
    InvalidInput,
    MessageRef,
    NotFound,
    Request,
    RequestStatus,
    Role,
)
from bot.domain.permissions import Action
from bot.domain.validation import check_reason
from bot.i18n.translate import N_
from bot.services.core import (
    EventBus,
    audit,
    ensure_changeable,
    ensure_in_directory,
    find_benefit,
    find_leading_benefit,
    require,
    seats_left,
)
from bot.services.credits import check_cloud_credit
from storage.unit_of_work import Store, UnitOfWork

WITHDRAWN = "withdrawn by the requester"
"""The note of a request its requester withdrew (status closed)."""


# One text per outcome, so that no status word is left untranslated.
NO_LONGER_WAITING: Final[dict[RequestStatus, str]] = {
    RequestStatus.APPROVED: N_("Request #{request_id} is no longer waiting: it was approved."),
    RequestStatus.DENIED: N_("Request #{request_id} is no longer waiting: it was denied."),
    RequestStatus.CLOSED: N_("Request #{request_id} is no longer waiting: it was withdrawn."),
}


@dataclass(frozen=True, slots=True)
class RequestCreated:
    request: Request
    benefit: Benefit
    seats_left: int | None
    approvers: list[str]


@dataclass(frozen=True, slots=True)
class Decision:
    request: Request
    benefit: Benefit
    assignment: Assignment | None
    messages: list[MessageRef]
    seats_left: int | None


class RequestService:
    """Filing, approving and denying requests, and where their messages are."""

    def __init__(self, store: Store, *, clock: Clock, events: EventBus | None = None) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventBus()

    async def request_benefit(
        self, actor: str, text: str, reason: str | None = None
    ) -> RequestCreated:
        """File a request for a seat of a benefit, to be decided by a Global admin.

        Args:
            actor: The requester's user ID.
            text: The benefit's id or the start of its name; when ``reason`` is
                None, the text may go on with the reason, and the longest
                start of it that names one benefit is taken as the benefit.
            reason: Why the requester needs it, when given apart.
        """
        if reason is not None:
            reason = check_reason(reason)
        # One transaction from the name to the filing (file() holds the requester).
        async with self._store.write(concurrent=True) as uow:
            if reason is None:
                benefit, reason = await find_leading_benefit(uow, text)
                reason = check_reason(reason)
                await ensure_changeable(uow)
            else:
                await ensure_changeable(uow)
                benefit = await find_benefit(uow, text)
            return await self.file(uow, actor, benefit, reason)

    async def file(
        self, uow: UnitOfWork, actor: str, benefit: Benefit, reason: str
    ) -> RequestCreated:
        """File ``actor``'s request for ``benefit`` inside the caller's unit of work.

        Holds ``actor`` (``assignments.hold``) until it ends, so that filings and
        approvals of the same person, in concurrent writes, take turns.
        """
        now = self._clock.now()
        await uow.assignments.hold(user_id=actor)
        held = await uow.assignments.find_active(benefit.id, actor)
        if held is not None:
            raise Conflict(
                "You already hold *{benefit}* (since {since}).",
                benefit=benefit.name,
                since=held.assigned_at.date().isoformat(),
            )
        existing = await uow.requests.pending(actor, benefit.id)
        if existing is not None:
            raise Conflict(
                "You already asked for *{benefit}*: request #{request_id} of {since} is "
                "still waiting for a Global admin. See `/benefits mine`.",
                benefit=benefit.name,
                request_id=existing.id,
                since=existing.created_at.date().isoformat(),
            )
        approvers = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        if not approvers:
            raise Conflict(
                "Nobody can approve requests yet: there is no Global admin. The operator "
                "can make one with `benefits-bot grant USER_ID global_admin`."
            )
        await ensure_in_directory(uow, actor)
        request = await uow.requests.add(
            benefit_id=benefit.id, requester_id=actor, reason=reason, created_at=now
        )
        used = await uow.assignments.count_active(benefit.id)
        await audit(uow, now, actor, "request.create", f"request:{request.id}", benefit.id)
        await self._events.emit(uow, events.RequestCreated(request, benefit))
        return RequestCreated(
            request=request,
            benefit=benefit,
            seats_left=seats_left(benefit, used),
            approvers=approvers,
        )

    async def request_by_form(self, actor: str, benefit_id: str, reason: str) -> RequestCreated:
        """File a request from the Request a benefit form: ``benefit_id`` was picked.

        Stricter than the command: a benefit with no seat left is refused here, so
        the form can say so next to the picker instead of filing a request that no
        Global admin could approve.
        """
        reason = check_reason(reason)
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            benefit = await uow.benefits.get(benefit_id)
            if benefit is None:
                raise NotFound(
                    "There is no benefit with the id `{benefit_id}`.", benefit_id=benefit_id[:80]
                )
            if (
                benefit.seats is not None
                and await uow.assignments.find_active(benefit.id, actor) is None
            ):
                used = await uow.assignments.count_active(benefit.id)
                if used >= benefit.seats:
                    raise Conflict(
                        "No seat of *{benefit}* is left ({used} of {seats} in use). Pick another "
                        "benefit, or ask a Global admin to free a seat.",
                        benefit=benefit.name,
                        used=used,
                        seats=benefit.seats,
                    )
            return await self.file(uow, actor, benefit, reason)

    async def withdraw(self, actor: str, request_id: int) -> Decision:
        """The requester withdraws their pending request; it is closed and audited.

        Raises :class:`bot.domain.events.RequestWithdrawn`, whose sinks update every
        copy of the approval request the admins see.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                raise NotFound("Request #{request_id} does not exist.", request_id=request_id)
            if request.requester_id != actor:
                raise Forbidden(
                    "Only {requester_user} can withdraw request #{request_id}: it is theirs.",
                    requester_user=request.requester_id,
                    request_id=request.id,
                )
            if request.status is not RequestStatus.PENDING:
                raise Conflict(NO_LONGER_WAITING[request.status], request_id=request.id)
            benefit = await uow.benefits.get(request.benefit_id)
            assert benefit is not None  # benefits are never deleted
            await uow.requests.decide(
                request.id,
                status=RequestStatus.CLOSED,
                decided_by=actor,
                decided_at=now,
                note=WITHDRAWN,
            )
            await audit(uow, now, actor, "request.withdraw", f"request:{request.id}", benefit.id)
            closed = await uow.requests.get(request.id)
            assert closed is not None
            await self._events.emit(uow, events.RequestWithdrawn(closed, benefit, now))
            return await _without_seat(closed, benefit, uow)

    async def add_request_messages(self, request_id: int, refs: Sequence[MessageRef]) -> Request:
        """Remember where the approval request was posted; returns its current state."""
        async with self._store.write() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                raise NotFound("Request #{request_id} does not exist.", request_id=request_id)
            await uow.requests.add_messages(request_id, refs)
        return request

    async def request_messages(self, request_id: int) -> list[MessageRef]:
        async with self._store.read() as uow:
            return await uow.requests.messages(request_id)

    async def approve(self, actor: str, request_id: int) -> Decision:
        """Approve a pending request and assign its seat, atomically.

        A concurrent write: the request's row is locked as it is read (a second
        click waits, then finds it decided), then the requester and the benefit's
        seats are held, so the seat count, the holding check and the cloud-credit
        check see every approval committed before and none slips in meanwhile.
        """
        now = self._clock.now()
        async with self._store.write(concurrent=True) as uow:
            await ensure_changeable(uow)
            request, benefit = await self._pending_for_decision(uow, actor, request_id, lock=True)
            await uow.assignments.hold(user_id=request.requester_id, benefit_id=benefit.id)
            used = await uow.assignments.count_active(benefit.id)
            if benefit.seats is not None and used >= benefit.seats:
                raise Conflict(
                    "No seat of *{benefit}* is left ({used} of {seats} in use). Unassign a seat "
                    "first, or deny the request.",
                    benefit=benefit.name,
                    used=used,
                    seats=benefit.seats,
                )
            if await uow.offboardings.current(request.requester_id) is not None:
                # docs/rules.md#offboarding: nobody who left gets a seat.
                raise Conflict(
                    "{requester_user} has left the company (Slack deactivated them): the "
                    "request can't be approved; deny it or reclaim what they held.",
                    requester_user=request.requester_id,
                )
            if await uow.assignments.find_active(benefit.id, request.requester_id) is not None:
                raise Conflict(
                    "{requester_user} already holds *{benefit}*; deny the request instead.",
                    requester_user=request.requester_id,
                    benefit=benefit.name,
                )
            await check_cloud_credit(uow, benefit, request.requester_id)
            await uow.requests.decide(
                request.id, status=RequestStatus.APPROVED, decided_by=actor, decided_at=now
            )
            assignment = await uow.assignments.add(
                benefit_id=benefit.id,
                user_id=request.requester_id,
                assigned_at=now,
                assigned_by=actor,
            )
            await uow.audit.add_many(
                [
                    AuditEntry(now, actor, "request.approve", f"request:{request.id}", benefit.id),
                    AuditEntry(
                        now, actor, "assignment.create", f"user:{request.requester_id}", benefit.id
                    ),
                ]
            )
            # What the row now holds (times are kept to the microsecond): no need to read it.
            decided = replace(
                request,
                status=RequestStatus.APPROVED,
                decided_by=actor,
                decided_at=now,
                decision_note="",
            )
            await self._events.emit(uow, events.RequestDecided(decided, benefit, now))
            messages = await uow.requests.messages(request.id)
        return Decision(
            request=decided,
            benefit=benefit,
            assignment=assignment,
            messages=messages,
            seats_left=seats_left(benefit, used + 1),
        )

    async def check_can_decide(self, actor: str, request_id: int) -> tuple[Request, Benefit]:
        """Raise what a decision would be refused for, before asking for a reason."""
        async with self._store.read() as uow:
            return await self._pending_for_decision(uow, actor, request_id)

    async def decision(self, request_id: int) -> Decision:
        """A request as it stands now, with where its approval messages are."""
        async with self._store.read() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                raise NotFound("Request #{request_id} does not exist.", request_id=request_id)
            benefit = await uow.benefits.get(request.benefit_id)
            assert benefit is not None
            messages = await uow.requests.messages(request_id)
            used = await uow.assignments.count_active(benefit.id)
            holding = await uow.assignments.find_active(benefit.id, request.requester_id)
        return Decision(
            request=request,
            benefit=benefit,
            assignment=holding if request.status is RequestStatus.APPROVED else None,
            messages=messages,
            seats_left=seats_left(benefit, used),
        )

    async def deny(self, actor: str, request_id: int, reason: str) -> Decision:
        """Deny a pending request with a reason the requester will read."""
        reason = check_reason(reason)
        if not reason:
            raise InvalidInput("Give the requester a reason for the denial.")
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            request, benefit = await self._pending_for_decision(uow, actor, request_id)
            await uow.requests.decide(
                request.id,
                status=RequestStatus.DENIED,
                decided_by=actor,
                decided_at=now,
                note=reason,
            )
            await audit(
                uow, now, actor, "request.deny", f"request:{request.id}", f"{benefit.id}: {reason}"
            )
            decided = await uow.requests.get(request.id)
            assert decided is not None
            await self._events.emit(uow, events.RequestDecided(decided, benefit, now))
            return await _without_seat(decided, benefit, uow)

    async def _pending_for_decision(
        self, uow: UnitOfWork, actor: str, request_id: int, *, lock: bool = False
    ) -> tuple[Request, Benefit]:
        await require(uow, actor, Action.DECIDE)
        request = await uow.requests.get(request_id, lock=lock)
        if request is None:
            raise NotFound("Request #{request_id} does not exist.", request_id=request_id)
        if request.requester_id == actor:
            others = [u for u in await uow.people.role_holders(Role.GLOBAL_ADMIN) if u != actor]
            if not others:
                raise Forbidden(
                    "You can't decide your own request, and you are the only Global admin. "
                    "Grant the role to someone else with `/benefits grant @user global_admin`."
                )
            raise Forbidden(
                "You can't decide your own request. Another Global admin must: {admin_users}.",
                admin_users=tuple(others),
            )
        if request.status is not RequestStatus.PENDING:
            if request.status is RequestStatus.APPROVED:
                raise Conflict(
                    "Request #{request_id} was already approved by {decider_user}.",
                    request_id=request.id,
                    decider_user=request.decided_by or "",
                )
            raise Conflict(
                "Request #{request_id} was already denied by {decider_user}.",
                request_id=request.id,
                decider_user=request.decided_by or "",
            )
        benefit = await uow.benefits.get(request.benefit_id)
        if benefit is None:  # pragma: no cover - benefits are never deleted
            raise NotFound(
                "There is no benefit with the id `{benefit_id}`.", benefit_id=request.benefit_id
            )
        return request, benefit


async def _without_seat(request: Request, benefit: Benefit, uow: UnitOfWork) -> Decision:
    """The decision on a request that gave no seat (withdrawn, denied): where its
    messages are and the seats left now."""
    messages = await uow.requests.messages(request.id)
    used = await uow.assignments.count_active(benefit.id)
    return Decision(
        request=request,
        benefit=benefit,
        assignment=None,
        messages=messages,
        seats_left=seats_left(benefit, used),
    )
