"""The weekly utilisation digest (docs/rules.md#weekly-digest).

Once a week, at ``BENEFITS_DIGEST_DAY`` and ``BENEFITS_DIGEST_HOUR`` (UTC), the
sweep queues one digest DM to each Global admin and MPN partner admin, with a
chart after it (one outbox entry each, under a key naming the week, so it is
queued once whatever the number of sweeps or replicas, and sent once, paced,
across restarts). The numbers are read when the message is sent:
:meth:`DigestService.compute`. ``/benefits digest`` queues the same for the
caller on demand; ``benefits-bot digest`` prints it. A digest whose moment
passed more than a day before the sweep found it (the bot was down) is
skipped: the next week's comes as usual.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.cancellation import refund_deadline
from bot.domain.clock import Clock
from bot.domain.entitlements import entitlement
from bot.domain.model import ActivationStatus, Category, Level, Role, SupportKind
from bot.domain.offboarding import DEFAULT_IDLE_AFTER
from bot.domain.outbox import NewPing, PingState
from bot.domain.permissions import Action
from bot.services.core import require
from bot.services.idle import IdleSeat, reclaimable
from bot.services.notices import moment_key
from bot.services.support import benefit_of_kind, hours_left
from storage.unit_of_work import Store, UnitOfWork

WEEKLY = "digest"  # the watermark of the weekly digest
FIRST_LOOKBACK = timedelta(hours=1)
STALE_AFTER = timedelta(days=1)  # a digest found later than this (the bot was down) is skipped
SOON, LATER = 30, 90  # days: "what expires in the next 30 / 90 days"
SEAT_CATEGORIES = (Category.SOFTWARE, Category.CLOUD, Category.VISUAL_STUDIO)


class DigestNotice(enum.StrEnum):
    POST = "digest"  # the digest DM
    CHART = "digest_chart"  # the chart, uploaded after the DM


@dataclass(frozen=True, slots=True)
class BenefitUse:
    benefit_id: str
    name: str
    category: Category
    used: int
    total: int | None  # None: unlimited
    idle: int


@dataclass(frozen=True, slots=True)
class CategoryUse:
    category: Category
    used: int
    total: int | None  # None: some benefit of it is unlimited


@dataclass(frozen=True, slots=True)
class Ending:
    name: str
    on: date
    days: int


@dataclass(frozen=True, slots=True)
class PendingActivation:
    name: str
    since: date
    days: int


@dataclass(frozen=True, slots=True)
class Digest:
    """Every number of one digest, read in one snapshot."""

    today: date
    categories: tuple[CategoryUse, ...]
    benefits: tuple[BenefitUse, ...]
    idle: tuple[IdleSeat, ...]
    ending_soon: tuple[Ending, ...]  # within SOON days
    ending_later: tuple[Ending, ...]  # after SOON, within LATER days
    advisory_hours_left: int | None
    advisory_hours_total: int | None
    incidents: int | None  # product support incidents of the level (None: unlimited)
    pending: tuple[PendingActivation, ...]
    parked: int
    membership_days_left: int | None
    refund_open_until: date | None  # the last day of the refund window, while open
    level: Level | None = None


class DigestService:
    """Computes the digest and queues it: weekly by the sweep, or on demand."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        weekday: int = 0,
        hour: int = 9,
        idle_after: timedelta = DEFAULT_IDLE_AFTER,
    ) -> None:
        self._store = store
        self._clock = clock
        self.weekday = weekday  # Monday is 0
        self.hour = hour
        self.idle_after = idle_after

    async def compute(self) -> Digest:
        async with self._store.read() as uow:
            return await self._compute(uow, self._clock.now())

    async def on_demand(self, actor: str) -> Digest:
        """The digest for a Global or MPN partner admin, also queued to their DM with
        its chart."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await require(uow, actor, Action.READ_DIGEST)
            await _queue(uow, f"digest:asked:{actor}:{moment_key(now)}", [actor], now)
            return await self._compute(uow, now)

    async def sweep(self) -> int:
        """Queue the weekly digest when its moment passed since the last sweep."""
        async with self._store.write() as uow:
            now = self._clock.now()
            last = await uow.outbox.get_watermark(WEEKLY)
            after = last if last is not None else now - FIRST_LOOKBACK
            if now <= after:
                return 0
            moment = self._moment_in(after, now)
            queued = 0
            if moment is not None and now - moment <= STALE_AFTER:
                readers = await _readers(uow)
                queued = await _queue(uow, f"digest:{moment.date().isoformat()}", readers, now)
            await uow.outbox.set_watermark(WEEKLY, now)
        return queued

    def _moment_in(self, after: datetime, until: datetime) -> datetime | None:
        """The latest weekly moment in ``(after, until]``, if any."""
        day = until.astimezone(UTC).date()
        day -= timedelta(days=(day.weekday() - self.weekday) % 7)
        moment = datetime.combine(day, time(hour=self.hour), UTC)
        if moment > until:
            moment -= timedelta(days=7)
        return moment if moment > after else None

    async def _compute(self, uow: UnitOfWork, now: datetime) -> Digest:
        today = now.astimezone(UTC).date()
        benefits = await uow.benefits.all()
        used = await uow.assignments.count_active_many([b.id for b in benefits])
        idle = await reclaimable(uow, now, self.idle_after)
        idle_of: dict[str, int] = {}
        for seat in idle:
            idle_of[seat.benefit.id] = idle_of.get(seat.benefit.id, 0) + 1
        uses = tuple(
            BenefitUse(b.id, b.name, b.category, used.get(b.id, 0), b.seats, idle_of.get(b.id, 0))
            for b in benefits
            if b.category in SEAT_CATEGORIES
        )
        categories: list[CategoryUse] = []
        for category in SEAT_CATEGORIES:
            mine = [u for u in uses if u.category is category]
            if not mine:
                continue
            totals = [u.total for u in mine]
            total = None if any(t is None for t in totals) else sum(t or 0 for t in totals)
            categories.append(CategoryUse(category, sum(u.used for u in mine), total))
        endings: list[Ending] = []
        for benefit in benefits:
            if benefit.expires_on is not None:
                endings.append(_ending(benefit.name, benefit.expires_on, today))
        by_id = {b.id: b for b in benefits}
        for activation in await uow.activations.all(status=ActivationStatus.ACTIVE):
            offer = by_id.get(activation.benefit_id)
            if offer is not None and activation.expires_on is not None:
                endings.append(_ending(offer.name, activation.expires_on, today))
        endings = sorted((e for e in endings if 0 <= e.days <= LATER), key=lambda e: (e.on, e.name))
        pending = []
        for activation in await uow.activations.all(status=ActivationStatus.PENDING):
            waiting = by_id.get(activation.benefit_id)
            if waiting is not None:
                since = activation.requested_at.astimezone(UTC).date()
                pending.append(PendingActivation(waiting.name, since, (today - since).days))
        membership = await uow.membership.get()
        hours = total_hours = incidents = None
        days_left = refund = None
        if membership is not None:
            advisory = entitlement(SupportKind.ADVISORY_HOURS, membership)
            total_hours = advisory.amount
            hours = await hours_left(
                uow, await benefit_of_kind(uow, SupportKind.ADVISORY_HOURS), advisory
            )
            incidents = entitlement(SupportKind.PRODUCT_INCIDENTS, membership).amount
            days_left = (membership.end_date - today).days
            closes = refund_deadline(membership)
            refund = closes if today <= closes else None
        return Digest(
            today=today,
            categories=tuple(categories),
            benefits=uses,
            idle=tuple(idle),
            ending_soon=tuple(e for e in endings if e.days <= SOON),
            ending_later=tuple(e for e in endings if e.days > SOON),
            advisory_hours_left=hours,
            advisory_hours_total=total_hours,
            incidents=incidents,
            pending=tuple(sorted(pending, key=lambda p: (p.since, p.name))),
            parked=await uow.outbox.count(state=PingState.PARKED),
            membership_days_left=days_left,
            refund_open_until=refund,
            level=None if membership is None else membership.level,
        )


def _ending(name: str, on: date, today: date) -> Ending:
    return Ending(name, on, (on - today).days)


async def _readers(uow: UnitOfWork) -> list[str]:
    """Global admins and MPN partner admins, each once."""
    found = await uow.people.role_holders(Role.GLOBAL_ADMIN)
    found += [u for u in await uow.people.role_holders(Role.MPN_PARTNER_ADMIN) if u not in found]
    return found


async def _queue(uow: UnitOfWork, key: str, readers: list[str], now: datetime) -> int:
    """The digest DM to each reader, and its chart after it."""
    posts = [NewPing(key=f"{key}:post", recipient=r, kind=DigestNotice.POST.value) for r in readers]
    queued = await uow.outbox.enqueue(posts, at=now)
    charts = [
        NewPing(
            key=f"{key}:chart",
            recipient=post.recipient,
            kind=DigestNotice.CHART.value,
            after_id=post.id,
        )
        for post in await uow.outbox.queued_with_prefix(f"{key}:post")
        if post.recipient in readers
    ]
    return queued + await uow.outbox.enqueue(charts, at=now)
