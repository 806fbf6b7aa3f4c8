"""Cancelling the membership package with a refund: the check and the service request.

The three conditions are the pure rule :func:`bot.domain.cancellation.refund_blockers`
(docs/rules.md); this service reads the facts they need from storage and files
the cancellation service request when none of them fails.
"""

from __future__ import annotations

from bot.domain import events
from bot.domain.cancellation import (
    CANCELLATION,
    CancellationCheck,
    CancellationFiled,
    CancellationRefused,
    refund_blockers,
)
from bot.domain.clock import Clock
from bot.domain.model import Category, Conflict, NotFound, Role
from bot.domain.permissions import Action
from bot.services.core import EventBus, audit, ensure_changeable, require
from storage.unit_of_work import Store, UnitOfWork


class CancellationService:
    """Checks whether the package can be cancelled with a refund, and files the request."""

    def __init__(self, store: Store, *, clock: Clock, events: EventBus | None = None) -> None:
        self._store = store
        self._clock = clock
        self._events = events or EventBus()

    async def cancellation_check(self, actor: str) -> CancellationCheck:
        """Check today whether the package can be cancelled with a refund; changes nothing."""
        async with self._store.read() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.CANCEL)
            return await self._check(uow)

    async def request_cancellation(self, actor: str) -> CancellationFiled:
        """File a cancellation service request when all three conditions hold.

        Raises:
            CancellationRefused: with the conditions that fail and since when.
            Conflict: when a cancellation request is already open.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.CANCEL)
            check = await self._check(uow)
            if check.open_request is not None:
                raise Conflict(
                    "A cancellation request is already open: #{request_id}, filed by "
                    "{creator_user} on {since}. Nothing new was filed.",
                    request_id=check.open_request.id,
                    creator_user=check.open_request.created_by,
                    since=check.open_request.created_at.date().isoformat(),
                )
            if check.blockers:
                raise CancellationRefused(check.blockers)
            request = await uow.service_requests.add(
                kind=CANCELLATION,
                created_by=actor,
                created_at=now,
                detail=f"membership purchased {check.membership.purchase_date.isoformat()}",
            )
            await audit(
                uow, now, actor, "service_request.cancellation", f"service_request:{request.id}"
            )
            admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
            await self._events.emit(
                uow,
                events.CancellationRequested(
                    request, check.membership.purchase_date, check.refund_window_ends
                ),
            )
        return CancellationFiled(request=request, check=check, global_admins=admins)

    async def _check(self, uow: UnitOfWork) -> CancellationCheck:
        membership = await uow.membership.get()
        if membership is None:
            raise NotFound(
                "No membership is recorded yet, so there is no package to cancel. The operator "
                "loads it with `benefits-bot import inventory.yaml`."
            )
        software = await uow.assignments.first([Category.SOFTWARE])
        reveal = await uow.keys.first_reveal()
        blockers = refund_blockers(
            membership,
            self._clock.now().date(),
            software=(software, await uow.benefits.get(software.benefit_id)) if software else None,
            reveal=(reveal, await uow.benefits.get(reveal.benefit_id)) if reveal else None,
        )
        open_request = next(
            (
                r
                for r in await uow.service_requests.all()
                if r.kind == CANCELLATION and r.status == "open"
            ),
            None,
        )
        return CancellationCheck(
            membership=membership,
            today=self._clock.now().date(),
            blockers=blockers,
            open_request=open_request,
        )
