"""The reminder service: who is owed which ping, and when.

Every rule about reminders lives here; the scheduler and the delivery loop
only call into it. Pings go to the outbox (:mod:`bot.domain.outbox`) in the same
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
from collections.abc import Iterable, Sequence
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
    MessageRef,
    Page,
    Request,
    RequestStatus,
    Role,
)
from bot.domain.outbox import NewPing, ParamValue, Ping, PingState
from bot.domain.visual_studio import VS_REASSIGN_AFTER
from bot.services.notices import Notice, moment_key
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
    reads them from settings (see README)."""

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
    """Queues reminders (sweeps and the event sink) and records their delivery."""

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
            _pings(
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
        return _pings(
            f"activation:{benefit.id}:{_stamp(completed)}",
            Kind.ACTIVATION_COMPLETED,
            recipients,
            params,
        )

    # -- the sweep -----------------------------------------------------------

    async def sweep(self) -> int:
        """Queue every reminder that fell due since the last sweep; how many pings."""
        async with self._store.write() as uow:
            now = self._clock.now()
            last = await uow.outbox.get_watermark(SWEEP)
            after = last if last is not None else now - FIRST_LOOKBACK
            if now <= after:
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
            found += _pings(
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
            found += _pings(
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
            found += _pings(
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
            found += _pings(
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
        return _pings(
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
                return _pings(
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
            found += _pings(
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

    # -- delivery --------------------------------------------------------------

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
                    _pings(f"parked:{ping.id}", Kind.DELIVERY_PARKED, _as_admins(admins), notice),
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


# -- helpers -----------------------------------------------------------------


async def _admins(uow: UnitOfWork) -> list[str]:
    """Global admins and MPN partner admins: who manages benefits."""
    found = await uow.people.role_holders(Role.GLOBAL_ADMIN)
    found += [u for u in await uow.people.role_holders(Role.MPN_PARTNER_ADMIN) if u not in found]
    return found


def _as_admins(users: Iterable[str]) -> list[tuple[str, As]]:
    return [(u, As.ADMIN) for u in users]


def _pings(
    key: str, kind: Kind, recipients: Iterable[tuple[str, As]], params: dict[str, ParamValue]
) -> list[NewPing]:
    """One ping per Slack user among ``recipients`` (first reason wins)."""
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


def _int(value: ParamValue) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else -1
