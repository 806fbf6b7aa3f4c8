"""Seats given by a Global admin directly: assign, unassign and reassign.

Only seat-based benefits (software, cloud, Visual Studio) are held by people;
technical benefits and go-to-market offers belong to the whole company and are
activated instead (:mod:`bot.services.activation`). A Visual Studio
subscription moves only 90 days after its assignment
(:mod:`bot.domain.visual_studio`); a usage-based cloud credit keeps its own
rules (:mod:`bot.services.credits`). Nobody gives a seat to themselves while another
Global admin could; the only Global admin may, and that is flagged
(docs/rules.md#nobody-assigns-themselves-a-seat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import events
from bot.domain.clock import Clock
from bot.domain.model import (
    Assignment,
    Benefit,
    Category,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Role,
)
from bot.domain.permissions import Action
from bot.domain.visual_studio import reassignable_from
from bot.services.core import (
    EventBus,
    audit,
    ensure_changeable,
    find_benefit,
    require,
    require_known_user,
    seats_left,
)
from bot.services.credits import check_cloud_credit
from storage.unit_of_work import Store, UnitOfWork

SELF_ASSIGNED = "assignment.self"
"""The audit action that flags a seat the only Global admin gave to themselves."""


@dataclass(frozen=True, slots=True)
class AssignmentChange:
    """A seat given or freed. ``self_assigned``: the only Global admin gave it to
    themselves; ``admins`` (then) are the other admins to tell when there is no admin
    channel."""

    benefit: Benefit
    assignment: Assignment
    seats_left: int | None
    self_assigned: bool = False
    admins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reassignment:
    """A seat moved; ``self_assigned`` and ``admins`` as in :class:`AssignmentChange`."""

    benefit: Benefit
    released: Assignment
    assignment: Assignment
    self_assigned: bool = False
    admins: tuple[str, ...] = ()


async def _to_oneself(uow: UnitOfWork, actor: str, user_id: str) -> bool:
    """Whether ``actor`` gives a seat to themselves, which only the only Global admin may.

    Raises:
        Forbidden: Another Global admin exists; the refusal names them.
    """
    if user_id != actor:
        return False
    others = tuple(u for u in await uow.people.role_holders(Role.GLOBAL_ADMIN) if u != actor)
    if others:
        raise Forbidden(
            "You can't give a seat to yourself: nobody decides their own seat while another "
            "Global admin can. Ask one of them: {admin_users}.",
            admin_users=others,
        )
    return True


async def _flag(uow: UnitOfWork, now: datetime, actor: str, detail: str) -> tuple[str, ...]:
    """Audit a seat the only Global admin gave to themselves; the other admins to tell."""
    await audit(uow, now, actor, SELF_ASSIGNED, f"user:{actor}", detail)
    admins: list[str] = []
    for role in (Role.GLOBAL_ADMIN, Role.MPN_PARTNER_ADMIN):
        admins += [u for u in await uow.people.role_holders(role) if u != actor and u not in admins]
    return tuple(admins)


class SeatService:
    """A Global admin assigns, unassigns and reassigns seats."""

    def __init__(self, store: Store, *, clock: Clock, events: EventBus | None = None) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventBus()

    async def assign(self, actor: str, query: str, user_id: str) -> AssignmentChange:
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.DECIDE)
            benefit = await find_benefit(uow, query)
            oneself = await _to_oneself(uow, actor, user_id)
            await require_known_user(uow, user_id)
            if await uow.assignments.find_active(benefit.id, user_id) is not None:
                raise Conflict(
                    "{holder_user} already holds *{benefit}*.",
                    holder_user=user_id,
                    benefit=benefit.name,
                )
            used = await uow.assignments.count_active(benefit.id)
            if benefit.seats is not None and used >= benefit.seats:
                raise Conflict(
                    "No seat of *{benefit}* is left ({used} of {seats} in use). Unassign a seat "
                    "first.",
                    benefit=benefit.name,
                    used=used,
                    seats=benefit.seats,
                )
            await check_cloud_credit(uow, benefit, user_id)
            assignment = await uow.assignments.add(
                benefit_id=benefit.id, user_id=user_id, assigned_at=now, assigned_by=actor
            )
            await audit(uow, now, actor, "assignment.create", f"user:{user_id}", benefit.id)
            await self._events.emit(uow, events.HoldingsChanged(benefit.id, (user_id,), now))
            admins = (
                await _flag(
                    uow,
                    now,
                    actor,
                    f"{benefit.id}: assigned to themselves as the only Global admin",
                )
                if oneself
                else ()
            )
            if oneself:
                await self._events.emit(
                    uow, events.SeatSelfAssigned(benefit, assignment, None, admins)
                )
        return AssignmentChange(benefit, assignment, seats_left(benefit, used + 1), oneself, admins)

    async def unassign(self, actor: str, query: str, user_id: str) -> AssignmentChange:
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.DECIDE)
            benefit = await find_benefit(uow, query)
            held = await uow.assignments.find_active(benefit.id, user_id)
            if held is None:
                raise NotFound(
                    "{holder_user} holds no seat of *{benefit}*.",
                    holder_user=user_id,
                    benefit=benefit.name,
                )
            await uow.assignments.release(held.id, at=now)
            used = await uow.assignments.count_active(benefit.id)
            await audit(uow, now, actor, "assignment.release", f"user:{user_id}", benefit.id)
            await self._events.emit(uow, events.HoldingsChanged(benefit.id, (user_id,), now))
        return AssignmentChange(benefit, held, seats_left(benefit, used))

    async def reassign(self, actor: str, query: str, from_user: str, to_user: str) -> Reassignment:
        """Move ``from_user``'s seat of a benefit to ``to_user`` in one transaction.

        Only seat-based benefits (software, cloud, Visual Studio) are held by
        people. A Visual Studio subscription moves only once 90 days have passed
        since its assignment to ``from_user``; a usage-based cloud credit keeps
        its own rules (one per person, at most 5 reassignments of a monthly one).
        """
        if from_user == to_user:
            raise InvalidInput(
                "Name two different people: the seat would go from {holder_user} to themselves.",
                holder_user=from_user,
            )
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.DECIDE)
            benefit = await find_benefit(uow, query)
            if benefit.category in (Category.TECHNICAL, Category.GTM):
                raise InvalidInput(
                    "*{benefit}* belongs to the whole company, so there is no seat to reassign. "
                    "`reassign` is for software, cloud and Visual Studio benefits.",
                    benefit=benefit.name,
                )
            held = await uow.assignments.find_active(benefit.id, from_user)
            if held is None:
                raise NotFound(
                    "{holder_user} holds no seat of *{benefit}*.",
                    holder_user=from_user,
                    benefit=benefit.name,
                )
            if benefit.category is Category.VISUAL_STUDIO:
                possible = reassignable_from(held.assigned_at)
                if now < possible:
                    raise Conflict(
                        "A Visual Studio subscription can be reassigned only 90 days after its "
                        "assignment: {holder_user} got *{benefit}* on {since}, so it can move on "
                        "{possible} at the earliest.",
                        holder_user=from_user,
                        benefit=benefit.name,
                        since=held.assigned_at.date().isoformat(),
                        possible=possible.date().isoformat(),
                    )
            oneself = await _to_oneself(uow, actor, to_user)
            await require_known_user(uow, to_user)
            if await uow.assignments.find_active(benefit.id, to_user) is not None:
                raise Conflict(
                    "{holder_user} already holds *{benefit}*; one per person.",
                    holder_user=to_user,
                    benefit=benefit.name,
                )
            await uow.assignments.release(held.id, at=now)
            await check_cloud_credit(uow, benefit, to_user)
            assignment = await uow.assignments.add(
                benefit_id=benefit.id, user_id=to_user, assigned_at=now, assigned_by=actor
            )
            await audit(
                uow,
                now,
                actor,
                "assignment.reassign",
                f"user:{to_user}",
                f"{benefit.id} from user:{from_user}",
            )
            await self._events.emit(
                uow, events.HoldingsChanged(benefit.id, (from_user, to_user), now)
            )
            admins = (
                await _flag(
                    uow,
                    now,
                    actor,
                    f"{benefit.id}: reassigned from user:{from_user} to themselves as the only "
                    "Global admin",
                )
                if oneself
                else ()
            )
            if oneself:
                await self._events.emit(
                    uow, events.SeatSelfAssigned(benefit, assignment, from_user, admins)
                )
        return Reassignment(benefit, held, assignment, oneself, admins)
