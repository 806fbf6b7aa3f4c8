"""Technical support and advisory hours: which support answers a problem, and
requests for presales or deployment advisory hours.

Which kind of support answers which problem, and how much of it a level is
entitled to, are the tables of :mod:`bot.domain.entitlements`; this service
adds what storage knows (the activation, the hours already used).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import events
from bot.domain.activations import State, activation_state
from bot.domain.clock import Clock
from bot.domain.entitlements import NEEDS_ACTIVATION, SUPPORT_FOR, Allowance, Problem, entitlement
from bot.domain.model import (
    Activation,
    AdvisoryRequest,
    Benefit,
    Category,
    Conflict,
    Membership,
    Role,
    SupportKind,
)
from bot.domain.permissions import Action
from bot.domain.validation import clean_topic, hours_requested
from bot.services.core import (
    EventBus,
    audit,
    ensure_changeable,
    ensure_in_directory,
    holders_of,
    membership_required,
)
from storage.unit_of_work import Store, UnitOfWork


@dataclass(frozen=True, slots=True)
class SupportAnswer:
    """Which support to use for a problem, how much is left, and the IDs to quote."""

    problem: Problem
    kind: SupportKind
    membership: Membership
    allowance: Allowance
    benefit: Benefit | None
    state: State
    activation: Activation | None
    hours_left: int | None
    activators: list[str]


@dataclass(frozen=True, slots=True)
class AdvisoryFiled:
    request: AdvisoryRequest
    benefit: Benefit
    allowance: Allowance
    hours_left: int
    admins: list[str]


class SupportService:
    """Answers "which support do I use?" and files requests for advisory hours."""

    def __init__(self, store: Store, *, clock: Clock, events: EventBus | None = None) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventBus()

    async def support(self, actor: str, problem: Problem) -> SupportAnswer:
        """Which kind of support answers ``problem``, what is left of it, and the IDs to quote."""
        del actor  # every member may ask
        kind = SUPPORT_FOR[problem]
        async with self._store.read() as uow:
            membership = await membership_required(uow)
            allowance = entitlement(kind, membership)
            benefit = await benefit_of_kind(uow, kind)
            activation = await uow.activations.get(benefit.id) if benefit else None
            left = None
            if kind is SupportKind.ADVISORY_HOURS:
                left = await hours_left(uow, benefit, allowance)
            activators = await holders_of(uow, Action.ACTIVATE_TECHNICAL)
        if benefit is not None:
            state = activation_state(benefit, activation, allowance, self._clock.now().date())
        elif not allowance.available:
            state = State.NOT_AVAILABLE
        elif kind in NEEDS_ACTIVATION:
            state = State.NOT_ACTIVATED
        else:
            state = State.NO_ACTIVATION_NEEDED
        return SupportAnswer(
            problem=problem,
            kind=kind,
            membership=membership,
            allowance=allowance,
            benefit=benefit,
            state=state,
            activation=activation,
            hours_left=left,
            activators=activators,
        )

    # -- advisory hours ----------------------------------------------------------

    async def file_advisory(self, actor: str, hours: str | int, topic: str) -> AdvisoryFiled:
        """File a request for presales or deployment advisory hours (any member).

        Args:
            actor: Who asks.
            hours: A positive whole number of hours, at most what is left.
            topic: What the advice is about.
        """
        wanted = hours_requested(str(hours))
        topic = clean_topic(topic)
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            membership = await membership_required(uow)
            allowance = entitlement(SupportKind.ADVISORY_HOURS, membership)
            benefit = await benefit_of_kind(uow, SupportKind.ADVISORY_HOURS)
            if benefit is None:
                raise Conflict(
                    "The inventory has no advisory hours benefit yet (a technical benefit with "
                    "support kind advisory_hours). Ask the operator to add it."
                )
            left = await hours_left(uow, benefit, allowance)
            assert left is not None
            if wanted > left:
                raise Conflict(
                    "You asked for {hours} hours, but only {left} of the {total} advisory hours "
                    "of the membership are left.",
                    hours=wanted,
                    left=left,
                    total=allowance.amount or 0,
                )
            await ensure_in_directory(uow, actor)
            request = await uow.advisory.add_request(
                benefit_id=benefit.id, user_id=actor, hours=wanted, topic=topic, created_at=now
            )
            await audit(
                uow,
                self._clock.now(),
                actor,
                "advisory.request",
                f"advisory:{request.id}",
                f"{benefit.id}: {wanted} h: {topic}",
            )
            admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
            await self._events.emit(
                uow,
                events.AdvisoryRequested(request, left - wanted, allowance.amount or 0),
            )
        return AdvisoryFiled(
            request=request,
            benefit=benefit,
            allowance=allowance,
            hours_left=left - wanted,
            admins=admins,
        )


async def benefit_of_kind(uow: UnitOfWork, kind: SupportKind) -> Benefit | None:
    """The technical benefit of the inventory that provides ``kind`` of support, if any."""
    total = await uow.benefits.count(category=Category.TECHNICAL)
    rows = await uow.benefits.rows(category=Category.TECHNICAL, offset=0, limit=total)
    return next((r.benefit for r in rows if r.benefit.support_kind is kind), None)


async def hours_left(
    uow: UnitOfWork, benefit: Benefit | None, allowance: Allowance | None
) -> int | None:
    """Advisory hours not yet requested of ``allowance``; None when unlimited or unknown."""
    if allowance is None or allowance.amount is None:
        return None
    used = await uow.advisory.hours_used(benefit.id) if benefit is not None else 0
    return max(allowance.amount - used, 0)
