"""The App Home: everything one person's Home tab shows, read in one go, and keeping it
current.

:meth:`HomeService.home_of` reads what the Home shows for one person in one read
unit of work (one snapshot): what they hold, their pending requests, what ends
within 30 days, the marketing contact and the support IDs once activated; for a
Global admin also the queue of pending requests, seats in use per category,
activations pending, parked reminders, the membership's end and what setting up
still needs (:class:`SetupState`). Long lists come as one
:class:`~bot.domain.model.Page` each, so the builder can page them.

The Home is republished when something it shows changes, through the outbox and
debounced: the sinks of the events below queue one ``home`` notice per person
affected, due a moment later (``debounce``), and none while one for that person
still waits unclaimed. The delivery loop renders it from the data of the moment
it is sent, so a burst of changes costs one ``views.publish`` per person. (Two
transactions that commit at the same moment on PostgreSQL may each queue one:
at most one per concurrent writer, never one per click.)

=====================  ==================================================
RequestCreated         the requester and every Global admin (the queue)
RequestDecided         the requester and every Global admin
RequestWithdrawn       the requester and every Global admin
HoldingsChanged        the people whose seats changed
ActivationRequested    every Global admin (activations pending)
ActivationCompleted    every Global admin
=====================  ==================================================
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TypeVar

from bot.domain.clock import Clock
from bot.domain.events import (
    ActivationCompleted,
    ActivationRequested,
    HoldingsChanged,
    RequestCreated,
    RequestDecided,
    RequestWithdrawn,
)
from bot.domain.limits import USER_ID
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    BenefitRow,
    Category,
    MarketingContact,
    Page,
    RequestStatus,
    Role,
)
from bot.domain.outbox import NewPing, PingState
from bot.services.catalog import Holding, Pending
from bot.services.core import EventBus
from bot.services.notices import Notice, NoticeService, moment_key
from storage.unit_of_work import Store, UnitOfWork

T = TypeVar("T")

EXPIRING_DAYS: Final = 30
"""What ends within this many days shows under "Ending soon"."""
HOLDINGS_PAGE: Final = 5
PENDING_PAGE: Final = 5
QUEUE_PAGE: Final = 10
LIST_LIMIT: Final = 10
"""At most this many lines of the short lists (ending soon, activations pending)."""
DEBOUNCE: Final = timedelta(seconds=2)
"""How long a republish of a Home waits, so that a burst of changes makes one."""
ALL_BENEFITS: Final = 1_000_000


HOME_PREFIX: Final = "home:"


def home_prefix(user_id: str) -> str:
    """The key prefix of the ``home`` notices of ``user_id``."""
    return f"{HOME_PREFIX}{user_id}:"


@dataclass(frozen=True, slots=True)
class HomePages:
    """Which page of each long list the Home shows (from its Previous / Next buttons)."""

    held: int = 0
    pending: int = 0
    queue: int = 0


@dataclass(frozen=True, slots=True)
class Ending:
    """Something that ends within :data:`EXPIRING_DAYS`: a held benefit or an active offer."""

    benefit: Benefit
    on: date
    held: bool  # a seat of the reader's (else the company's offer or benefit)


@dataclass(frozen=True, slots=True)
class CategorySeats:
    category: Category
    used: int
    seats: int  # of the benefits with a seat limit
    unlimited: int  # benefits with no limit


@dataclass(frozen=True, slots=True)
class Waiting:
    """An activation pending since ``since`` (``days`` whole days ago)."""

    benefit: Benefit
    activation: Activation
    days: int


@dataclass(frozen=True, slots=True)
class SetupState:
    """What a Global admin's Home checklist asks for until setup is done."""

    admin_channel: str | None  # where admins read notices (None: each by DM)
    channel_configured: bool  # from BENEFITS_ADMIN_CHANNEL, which wins over Slack's choice
    membership: bool  # the membership is recorded (from the inventory file)
    benefits: int  # benefits in the inventory

    @property
    def done(self) -> bool:
        return bool(self.admin_channel) and self.membership and self.benefits > 0


@dataclass(frozen=True, slots=True)
class AdminHome:
    """What only a Global admin's Home shows."""

    queue: Page[Pending]
    seats: list[CategorySeats]
    activations: list[Waiting]
    activations_total: int
    parked: int
    membership_end: date | None
    managed_in_pmc: bool = False
    setup: SetupState | None = None


@dataclass(frozen=True, slots=True)
class Home:
    """One person's Home, as of one snapshot of the store."""

    user: str
    roles: frozenset[Role]
    today: date
    holdings: Page[Holding]
    pending: Page[Pending]
    ending: list[Ending]
    contact: MarketingContact | None
    support: list[tuple[Benefit, Activation]]  # active technical benefits with their IDs
    admin: AdminHome | None = None

    @property
    def empty(self) -> bool:
        """Nothing held and nothing asked for yet: the Home says what to do first."""
        return self.holdings.total == 0 and self.pending.total == 0


def _page(items: Sequence[T], page: int, size: int) -> Page[T]:
    pages = max((len(items) + size - 1) // size, 1)
    number = min(max(page, 0), pages - 1)
    return Page(list(items[number * size : (number + 1) * size]), number, size, len(items))


class HomeService:
    """Reads one person's Home, and queues its republication when it changes."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        debounce: timedelta = DEBOUNCE,
        notices: NoticeService | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.debounce = debounce
        self._notices = notices  # where the admin channel is configured, for the checklist
        self._known_viewers: set[str] = set()  # recorded already: no write on each opening

    async def opened(self, user: str) -> None:
        """``user`` opened their Home: from now on changes republish it (see ``queue_homes``)."""
        if user in self._known_viewers or not USER_ID.match(user):
            return
        async with self._store.write(concurrent=True) as uow:
            await uow.people.note_home_opened(user, at=self._clock.now())
        self._known_viewers.add(user)

    async def home_of(self, user: str, pages: HomePages | None = None) -> Home:
        """Everything ``user``'s Home shows, read in one snapshot."""
        pages = pages or HomePages()
        now = self._clock.now()
        today = now.date()
        async with self._store.read() as uow:
            roles = await uow.people.roles_of(user)
            assignments = await uow.assignments.of_user(user)
            mine = await uow.requests.of_user(user, status=RequestStatus.PENDING)
            activations = await uow.activations.all()
            contact = await uow.marketing_contact.get()
            admin = Role.GLOBAL_ADMIN in roles
            rows: list[BenefitRow] = []
            if admin:
                queue = await uow.outbox.pending_requests_before(now + timedelta(days=1))
                rows = await uow.benefits.rows(category=None, offset=0, limit=ALL_BENEFITS)
                parked = await uow.outbox.count(state=PingState.PARKED)
                membership = await uow.membership.get()
                benefits = {row.benefit.id: row.benefit for row in rows}
                configured = self._notices.admin_channel if self._notices else None
                setup = SetupState(
                    admin_channel=configured or await uow.settings.admin_channel(),
                    channel_configured=bool(configured),
                    membership=membership is not None,
                    benefits=len(rows),
                )
            else:
                wanted = dict.fromkeys(
                    [a.benefit_id for a in assignments]
                    + [r.benefit_id for r in mine]
                    + [a.benefit_id for a in activations]
                )
                benefits = {b.id: b for b in await uow.benefits.get_many(list(wanted))}
        holdings = [
            Holding(a, benefits[a.benefit_id]) for a in assignments if a.benefit_id in benefits
        ]
        pending = [Pending(r, benefits[r.benefit_id]) for r in mine if r.benefit_id in benefits]
        home = Home(
            user=user,
            roles=roles,
            today=today,
            holdings=_page(holdings, pages.held, HOLDINGS_PAGE),
            pending=_page(pending, pages.pending, PENDING_PAGE),
            ending=_ending(holdings, activations, benefits, today),
            contact=contact,
            support=[
                (benefits[a.benefit_id], a)
                for a in activations
                if a.status is ActivationStatus.ACTIVE
                and (a.access_id or a.contract_id)
                and a.benefit_id in benefits
            ],
        )
        if not admin:
            return home
        waiting = sorted(
            (
                Waiting(benefits[a.benefit_id], a, (now - a.requested_at).days)
                for a in activations
                if a.status is ActivationStatus.PENDING and a.benefit_id in benefits
            ),
            key=lambda w: w.activation.requested_at,
        )
        return Home(
            user=home.user,
            roles=home.roles,
            today=home.today,
            holdings=home.holdings,
            pending=home.pending,
            ending=home.ending,
            contact=home.contact,
            support=home.support,
            admin=AdminHome(
                queue=_page(
                    [Pending(r, benefits[r.benefit_id]) for r in queue if r.benefit_id in benefits],
                    pages.queue,
                    QUEUE_PAGE,
                ),
                seats=_seats_per_category(rows),
                activations=waiting[:LIST_LIMIT],
                activations_total=len(waiting),
                parked=parked,
                membership_end=membership.end_date if membership else None,
                managed_in_pmc=membership.managed_in_pmc if membership else False,
                setup=setup,
            ),
        )

    # -- republishing ----------------------------------------------------------------

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(RequestCreated, self.on_request_changed)
        bus.subscribe(RequestDecided, self.on_request_changed)
        bus.subscribe(RequestWithdrawn, self.on_request_changed)
        bus.subscribe(HoldingsChanged, self.on_holdings_changed)
        bus.subscribe(ActivationRequested, self.on_activation_changed)
        bus.subscribe(ActivationCompleted, self.on_activation_changed)

    async def on_request_changed(
        self, uow: UnitOfWork, event: RequestCreated | RequestDecided | RequestWithdrawn
    ) -> None:
        admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        await self.queue_homes(uow, [event.request.requester_id, *admins])

    async def on_holdings_changed(self, uow: UnitOfWork, event: HoldingsChanged) -> None:
        await self.queue_homes(uow, event.users)

    async def on_activation_changed(
        self, uow: UnitOfWork, event: ActivationRequested | ActivationCompleted
    ) -> None:
        del event
        await self.queue_homes(uow, await uow.people.role_holders(Role.GLOBAL_ADMIN))

    async def queue_homes(self, uow: UnitOfWork, users: Iterable[str]) -> int:
        """Queue a republish of each of ``users``' Homes, unless one already waits.

        Only the Homes of people who have opened theirs are republished: anyone
        else's is built from current data when they first open it, so publishing
        it before would cost a render and a Slack call that nobody sees.
        One waits when a ``home`` notice of theirs is queued and no sender holds it:
        it will be rendered after this change commits, so it shows this change too.
        One a sender holds may have been rendered already, so another is queued.
        """
        asked = [user for user in dict.fromkeys(users) if USER_ID.match(user)]
        viewers = await uow.people.home_viewers(asked)
        users = [user for user in asked if user in viewers]
        if not users:
            return 0
        now = self._clock.now()
        due = now + self.debounce
        # Every Home waiting for a sender, in one query (at most one per person).
        waiting = {
            p.recipient
            for p in await uow.outbox.queued_with_prefix(HOME_PREFIX)
            if p.claimed_until is None or p.claimed_until <= now
        }
        pings: list[NewPing] = []
        for user in users:
            if user in waiting:
                continue
            pings.append(
                NewPing(
                    key=f"{home_prefix(user)}{moment_key(now)}:{secrets.token_hex(4)}",
                    recipient=user,
                    kind=Notice.HOME.value,
                    due_at=due,
                )
            )
        return await uow.outbox.enqueue(pings, at=now)


def _ending(
    holdings: Sequence[Holding],
    activations: Sequence[Activation],
    benefits: dict[str, Benefit],
    today: date,
) -> list[Ending]:
    last = today + timedelta(days=EXPIRING_DAYS)
    found = [
        Ending(h.benefit, h.benefit.expires_on, held=True)
        for h in holdings
        if h.benefit.expires_on is not None and today <= h.benefit.expires_on <= last
    ]
    found += [
        Ending(benefits[a.benefit_id], a.expires_on, held=False)
        for a in activations
        if a.status is ActivationStatus.ACTIVE
        and a.expires_on is not None
        and today <= a.expires_on <= last
        and a.benefit_id in benefits
    ]
    return sorted(found, key=lambda e: (e.on, e.benefit.name))[:LIST_LIMIT]


def _seats_per_category(rows: Sequence[BenefitRow]) -> list[CategorySeats]:
    totals: dict[Category, list[int]] = {}
    for row in rows:
        used, seats, unlimited = totals.setdefault(row.benefit.category, [0, 0, 0])
        if row.benefit.seats is None:
            unlimited += 1
        else:
            seats += row.benefit.seats
        totals[row.benefit.category] = [used + row.seats_used, seats, unlimited]
    return [
        CategorySeats(category, used, seats, unlimited)
        for category in Category
        if category in totals
        for used, seats, unlimited in [totals[category]]
    ]
