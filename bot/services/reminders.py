"""The reminder service: who is owed which ping, and when.

Every rule about when a reminder falls due lives here; the scheduler only
calls into it (what becomes of a ping once queued — claimed, sent, retried,
parked — is :mod:`bot.services.outbox`). Pings go to the outbox (:mod:`bot.domain.outbox`) in the same
transaction as what causes them:

* a domain event — :meth:`ReminderService.on_event` is an event sink, so the
  "activation complete" ping commits or rolls back with the activation;
* time passing — :meth:`ReminderService.sweep` looks at the window between the
  stored watermark and now, queues every reminder whose moment falls in it,
  and moves the watermark, all in one write. A sweep after downtime therefore
  covers the whole time the bot was down, and each query asks an index for
  the rows in the window only, so a sweep costs what is due, not what exists.

Each ping has a unique ``(key, recipient)``; the key says what, about which
item, at which threshold (``expiry:offer:<id>:<end date>:<days>``), so two
sweeps — in one process or two — can never queue the same reminder twice.
When one window holds several thresholds of the same item (the bot was down
across both), only the most urgent is sent.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.cancellation import refund_deadline
from bot.domain.clock import Clock
from bot.domain.events import ActivationCompleted, Event, RequestDecided
from bot.domain.limits import USER_ID
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    Request,
    Role,
)
from bot.domain.outbox import NewPing, ParamValue
from bot.domain.visual_studio import VS_REASSIGN_AFTER
from storage.unit_of_work import Store, UnitOfWork

SWEEP = "reminders"
FIRST_LOOKBACK = timedelta(days=1)  # how far the very first sweep looks back
APPROVAL_REPEAT = timedelta(days=1)  # then once a day until decided


class Kind(enum.StrEnum):
    """What a ping is about; the renderer has one message for each."""

    ACTIVATION_COMPLETED = "activation_completed"
    OFFER_EXPIRING = "offer_expiring"
    BENEFIT_EXPIRING = "benefit_expiring"
    APPROVAL_WAITING = "approval_waiting"
    ACTIVATION_PENDING = "activation_pending"
    REFUND_CLOSING = "refund_closing"
    MEMBERSHIP_ENDING = "membership_ending"
    VS_REASSIGNABLE = "vs_reassignable"
    DELIVERY_PARKED = "delivery_parked"
    REQUEST_DECIDED = "request_decided"


class As(enum.StrEnum):
    """Why this recipient gets the ping; the message says so."""

    REQUESTER = "requester"
    CONTACT = "contact"
    HOLDER = "holder"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class ReminderRules:
    """The thresholds and delivery limits; :func:`bot.runtime.bootstrap.reminder_rules`
    reads them from settings (see README). The sweep uses the thresholds, the
    outbox service (:mod:`bot.services.outbox`) the delivery limits."""

    expiry_days: tuple[int, ...] = (30, 7, 1)
    approval_after: timedelta = timedelta(hours=24)
    activation_pending_after: timedelta = timedelta(days=7)
    refund_warning_days: int = 5
    membership_end_days: tuple[int, ...] = (30, 15)
    remind_vs_reassignable: bool = False
    reminder_hour: int = 9  # UTC: date-based reminders fall due at this hour of their day
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def backoff_after(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failure: doubling, capped."""
        factor: int = 2 ** max(attempts - 1, 0)
        delay: timedelta = min(self.backoff * factor, self.max_backoff)
        return delay


class ReminderService:
    """Queues reminders: the sweeps and the event sink (delivery records:
    :class:`bot.services.outbox.OutboxService`)."""

    def __init__(self, store: Store, *, clock: Clock, rules: ReminderRules | None = None) -> None:
        self._store = store
        self._clock = clock
        self.rules = rules or ReminderRules()

    # -- the event sink ----------------------------------------------------

    async def on_event(self, uow: UnitOfWork, event: Event) -> None:
        """Queue what any domain event calls for, in the transaction that raised it."""
        if isinstance(event, ActivationCompleted):
            await self.on_activation_completed(uow, event)
        elif isinstance(event, RequestDecided):
            await self.on_request_decided(uow, event)

    async def on_activation_completed(self, uow: UnitOfWork, event: ActivationCompleted) -> None:
        """Tell the requester, the marketing contact (offers) and the admins."""
        await uow.outbox.enqueue(await self._activation_completed(uow, event), at=self._clock.now())

    async def on_request_decided(self, uow: UnitOfWork, event: RequestDecided) -> None:
        """Queue the requester's DM about the decision.

        It goes through the outbox, committed with the decision, so a crash right
        after an approval can't lose it; the delivery loop sends it at its next
        poll (a second at most), after the acknowledgements.
        """
        request = event.request
        await uow.outbox.enqueue(
            pings(
                f"decision:{request.id}",
                Kind.REQUEST_DECIDED,
                [(request.requester_id, As.REQUESTER)],
                {
                    **_about(event.benefit),
                    "request_id": request.id,
                    "status": request.status.value,
                    "decided_by": request.decided_by,
                    "note": request.decision_note,
                },
            ),
            at=self._clock.now(),
        )

    async def _activation_completed(
        self, uow: UnitOfWork, event: ActivationCompleted
    ) -> list[NewPing]:
        benefit, activation = event.benefit, event.activation
        completed = activation.completed_at or self._clock.now()
        recipients: list[tuple[str, As]] = [(activation.requested_by, As.REQUESTER)]
        if benefit.category is Category.GTM:
            contact = await uow.marketing_contact.get()
            if contact is not None:
                recipients.append((contact.user_id, As.CONTACT))
        recipients += [(u, As.ADMIN) for u in await _admins(uow)]
        params: dict[str, ParamValue] = {
            **_about(benefit),
            "completed_by": activation.completed_by,
            "access_id": activation.access_id,
            "contract_id": activation.contract_id,
            "expires_on": _iso(activation.expires_on),
        }
        return pings(
            f"activation:{benefit.id}:{_stamp(completed)}",
            Kind.ACTIVATION_COMPLETED,
            recipients,
            params,
        )

    # -- the sweep -----------------------------------------------------------

    async def sweep(self) -> int:
        """Queue every reminder that fell due since the last sweep; how many pings.

        While sending is suspended nothing is queued, and the watermark moves on:
        reminders that fell due meanwhile are skipped.
        """
        async with self._store.write() as uow:
            now = self._clock.now()
            last = await uow.outbox.get_watermark(SWEEP)
            after = last if last is not None else now - FIRST_LOOKBACK
            if now <= after:
                return 0
            tenant = await uow.tenant_state.get()
            if tenant is not None and tenant.suspended:
                # Sending is suspended (uninstalled, token revoked): what falls due now is
                # skipped, not sent late when it resumes (docs/installations.md).
                await uow.outbox.set_watermark(SWEEP, now)
                return 0
            due = await self.due(uow, after, now)
            queued = await uow.outbox.enqueue(due, at=now)
            await uow.outbox.set_watermark(SWEEP, now)
        return queued

    async def due(self, uow: UnitOfWork, after: datetime, until: datetime) -> list[NewPing]:
        """The pings for every reminder whose moment falls in ``(after, until]``."""
        found: list[NewPing] = []
        found += await self._offers_expiring(uow, after, until)
        found += await self._benefits_expiring(uow, after, until)
        found += await self._approvals_waiting(uow, after, until)
        found += await self._activations_pending(uow, after, until)
        found += await self._refund_closing(uow, after, until)
        found += await self._membership_ending(uow, after, until)
        if self.rules.remind_vs_reassignable:
            found += await self._vs_reassignable(uow, after, until)
        return found

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, time(hour=self.rules.reminder_hour), UTC)

    def _days_in(self, after: datetime, until: datetime) -> tuple[date, date] | None:
        """The first and last day whose reminder moment falls in ``(after, until]``."""
        first = after.astimezone(UTC).date()
        if self._moment(first) <= after:
            first += timedelta(days=1)
        last = until.astimezone(UTC).date()
        if self._moment(last) > until:
            last -= timedelta(days=1)
        return (first, last) if first <= last else None

    def _thresholds_crossed(
        self, thresholds: Iterable[int], after: datetime, until: datetime
    ) -> list[tuple[int, date, date]]:
        """Per threshold of days, the range of end dates it reaches in the window.

        Sorted from the most urgent (fewest days) up, so the first hit of an
        item is the one to send.
        """
        days = self._days_in(after, until)
        if days is None:
            return []
        first, last = days
        return [
            (n, first + timedelta(days=n), last + timedelta(days=n))
            for n in sorted(set(thresholds))
        ]

    async def _offers_expiring(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        today = until.astimezone(UTC).date()
        chosen: dict[str, tuple[Benefit, Activation, int]] = {}
        for n, first, last in self._thresholds_crossed(self.rules.expiry_days, after, until):
            for benefit, activation in await uow.outbox.activations_expiring(first, last):
                chosen.setdefault(benefit.id, (benefit, activation, n))
        if not chosen:
            return []
        admins = await _admins(uow)
        contact = await uow.marketing_contact.get()
        found: list[NewPing] = []
        for benefit, activation, n in chosen.values():
            if activation.expires_on is None:
                continue
            recipients: list[tuple[str, As]] = []
            if benefit.category is Category.GTM and contact is not None:
                recipients.append((contact.user_id, As.CONTACT))
            recipients += [(u, As.ADMIN) for u in admins]
            found += pings(
                f"expiry:offer:{benefit.id}:{activation.expires_on.isoformat()}:{n}",
                Kind.OFFER_EXPIRING,
                recipients,
                {**_about(benefit), **_ends(activation.expires_on, today), "threshold": n},
            )
        return found

    async def _benefits_expiring(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        today = until.astimezone(UTC).date()
        chosen: dict[str, tuple[Benefit, int]] = {}
        for n, first, last in self._thresholds_crossed(self.rules.expiry_days, after, until):
            for benefit in await uow.outbox.benefits_expiring(first, last):
                chosen.setdefault(benefit.id, (benefit, n))
        if not chosen:
            return []
        admins = await _admins(uow)
        found: list[NewPing] = []
        for benefit, n in chosen.values():
            assert benefit.expires_on is not None
            holders = [
                (a.user_id, As.HOLDER)
                for a in await uow.assignments.active(benefit.id)
                if a.user_id is not None
            ]
            found += pings(
                f"expiry:benefit:{benefit.id}:{benefit.expires_on.isoformat()}:{n}",
                Kind.BENEFIT_EXPIRING,
                holders + [(u, As.ADMIN) for u in admins],
                {**_about(benefit), **_ends(benefit.expires_on, today), "threshold": n},
            )
        return found

    def _approval_count(self, created: datetime, moment: datetime) -> int:
        """How many reminders a request created at ``created`` is owed by ``moment``."""
        first = created + self.rules.approval_after
        if moment < first:
            return 0
        return 1 + math.floor((moment - first) / APPROVAL_REPEAT)

    async def _approvals_waiting(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        waiting = await uow.outbox.pending_requests_before(until - self.rules.approval_after)
        if not waiting:
            return []
        admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        found: list[NewPing] = []
        for request in waiting:
            day = self._approval_count(request.created_at, until)
            if day <= self._approval_count(request.created_at, after):
                continue
            benefit = await uow.benefits.get(request.benefit_id)
            if benefit is None:
                continue
            found += pings(
                f"approval:{request.id}:{day}",
                Kind.APPROVAL_WAITING,
                [(u, As.ADMIN) for u in admins if u != request.requester_id],
                {**_about(benefit), **_request(request, until), "day": day},
            )
        return found

    async def _activations_pending(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        late = self.rules.activation_pending_after
        pending = await uow.outbox.activations_requested(
            status=ActivationStatus.PENDING, after=after - late, until=until - late
        )
        if not pending:
            return []
        admins = await _admins(uow)
        found: list[NewPing] = []
        for activation in pending:
            benefit = await uow.benefits.get(activation.benefit_id)
            if benefit is None:
                continue
            found += pings(
                f"activation-pending:{benefit.id}:{_stamp(activation.requested_at)}",
                Kind.ACTIVATION_PENDING,
                [(u, As.ADMIN) for u in admins],
                {
                    **_about(benefit),
                    "requested_by": activation.requested_by,
                    "requested_on": activation.requested_at.date().isoformat(),
                    "days": (until - activation.requested_at).days,
                },
            )
        return found

    async def _refund_closing(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        membership = await uow.membership.get()
        days = self._days_in(after, until)
        if membership is None or days is None:
            return []
        closes = refund_deadline(membership)
        warn = closes - timedelta(days=self.rules.refund_warning_days)
        if not days[0] <= warn <= days[1] or until.astimezone(UTC).date() > closes:
            return []
        if await uow.keys.first_reveal() is not None:
            return []
        if await uow.assignments.first([Category.SOFTWARE]) is not None:
            return []
        return pings(
            f"refund:{membership.purchase_date.isoformat()}",
            Kind.REFUND_CLOSING,
            [(u, As.ADMIN) for u in await uow.people.role_holders(Role.GLOBAL_ADMIN)],
            {
                "purchased": membership.purchase_date.isoformat(),
                **_ends(closes, until.astimezone(UTC).date()),
            },
        )

    async def _membership_ending(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        membership = await uow.membership.get()
        if membership is None:
            return []
        end = membership.end_date
        for n, first, last in self._thresholds_crossed(
            self.rules.membership_end_days, after, until
        ):
            if first <= end <= last:
                return pings(
                    f"membership-end:{end.isoformat()}:{n}",
                    Kind.MEMBERSHIP_ENDING,
                    [(u, As.ADMIN) for u in await _admins(uow)],
                    {
                        "level": membership.level.value,
                        **_ends(end, until.astimezone(UTC).date()),
                        "threshold": n,
                    },
                )
        return []

    async def _vs_reassignable(
        self, uow: UnitOfWork, after: datetime, until: datetime
    ) -> list[NewPing]:
        made = await uow.outbox.assignments_made(
            categories=[Category.VISUAL_STUDIO],
            after=after - VS_REASSIGN_AFTER,
            until=until - VS_REASSIGN_AFTER,
        )
        if not made:
            return []
        admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        benefits: dict[str, Benefit | None] = {}
        found: list[NewPing] = []
        for assignment in made:
            if assignment.benefit_id not in benefits:
                benefits[assignment.benefit_id] = await uow.benefits.get(assignment.benefit_id)
            benefit = benefits[assignment.benefit_id]
            if benefit is None:
                continue
            found += pings(
                f"vs-reassignable:{assignment.id}",
                Kind.VS_REASSIGNABLE,
                [(u, As.ADMIN) for u in admins],
                {
                    **_about(benefit),
                    "holder": assignment.user_id,
                    "holder_email": assignment.holder_email,
                    "assigned_on": assignment.assigned_at.date().isoformat(),
                },
            )
        return found


# -- helpers -----------------------------------------------------------------


async def _admins(uow: UnitOfWork) -> list[str]:
    """Global admins and MPN partner admins: who manages benefits."""
    found = await uow.people.role_holders(Role.GLOBAL_ADMIN)
    found += [u for u in await uow.people.role_holders(Role.MPN_PARTNER_ADMIN) if u not in found]
    return found


def pings(
    key: str, kind: Kind, recipients: Iterable[tuple[str, As]], params: dict[str, ParamValue]
) -> list[NewPing]:
    """One ping per Slack user among ``recipients`` (first reason wins); the outbox
    service makes its parked notices with it too."""
    seen: dict[str, As] = {}
    for user, reason in recipients:
        if USER_ID.match(user or "") and user not in seen:
            seen[user] = reason
    return [
        NewPing(key=key, recipient=user, kind=kind.value, params={**params, "as": reason.value})
        for user, reason in seen.items()
    ]


def _about(benefit: Benefit) -> dict[str, ParamValue]:
    return {
        "benefit_id": benefit.id,
        "benefit": benefit.name,
        "category": benefit.category.value,
    }


def _request(request: Request, until: datetime) -> dict[str, ParamValue]:
    return {
        "request_id": request.id,
        "requester": request.requester_id,
        "reason": request.reason,
        "created_on": request.created_at.date().isoformat(),
        "hours": int((until - request.created_at) / timedelta(hours=1)),
    }


def _ends(end: date, today: date) -> dict[str, ParamValue]:
    return {"ends_on": end.isoformat(), "days_left": (end - today).days}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
