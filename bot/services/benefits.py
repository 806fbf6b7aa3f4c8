"""The benefits service: every rule of docs/rules.md that the spine touches.

It takes typed inputs, talks to storage through a unit of work, and returns
typed results or raises a :class:`bot.domain.DomainError` whose message a
person can act on. It knows nothing of Slack.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.domain import events
from bot.domain.cancellation import (
    CANCELLATION,
    CancellationCheck,
    CancellationFiled,
    CancellationRefused,
    refund_blockers,
)
from bot.domain.clock import Clock
from bot.domain.cloud import MAX_MONTHLY_REASSIGNMENTS, email_domain, is_free_mail, normalized_email
from bot.domain.events import Event, EventSink
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Assignment,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    Conflict,
    DirectoryUser,
    DomainError,
    Forbidden,
    InvalidInput,
    MessageRef,
    NoMatch,
    NotFound,
    Page,
    Request,
    RequestStatus,
    Role,
)
from bot.domain.permissions import Action, allowed, roles_for
from storage.unit_of_work import Store, UnitOfWork

MAX_REASON = 500
MAX_QUERY = 100
PAGE_SIZE = 15
MATCHES_SHOWN = 5
MAX_NAME_WORDS = 8
PAGES_KEPT = 256  # inventory pages kept between changes
HOLDERS_PAGE_SIZE = 50
VS_REASSIGN_AFTER = timedelta(days=90)
AUDIT_DEFAULT = 20
AUDIT_MAX = 200


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


@dataclass(frozen=True, slots=True)
class Holding:
    assignment: Assignment
    benefit: Benefit


@dataclass(frozen=True, slots=True)
class Pending:
    request: Request
    benefit: Benefit


@dataclass(frozen=True, slots=True)
class Mine:
    holdings: list[Holding]
    pending: list[Pending]


@dataclass(frozen=True, slots=True)
class Details:
    """What Partner Center's expandable row shows of one benefit.

    ``holders`` is one page of the seat holders, or None when the caller may
    not see names (only Global admins and MPN partner admins may). ``status``
    comes from the activation for technical benefits and go-to-market offers
    (None: not activated yet) and from the expiry date otherwise.
    """

    row: BenefitRow
    holders: list[Assignment] | None
    holders_page: int = 0
    holders_page_size: int = HOLDERS_PAGE_SIZE
    status: ActivationStatus | None = None
    activation: Activation | None = None
    expires_on: date | None = None
    key_count: int = 0  # product keys stored for the benefit

    @property
    def holders_pages(self) -> int:
        return max((self.row.seats_used + self.holders_page_size - 1) // self.holders_page_size, 1)


@dataclass(frozen=True, slots=True)
class CloudActivation:
    """A usage-based cloud credit activated by its user, or a request for it filed.

    ``assignment`` is set when the credit is now the caller's; ``request`` when
    the inventory says a Global admin approves it first.
    """

    benefit: Benefit
    email: str
    assignment: Assignment | None = None
    request: RequestCreated | None = None
    seats_left: int | None = None


@dataclass(frozen=True, slots=True)
class Reassignment:
    benefit: Benefit
    released: Assignment
    assignment: Assignment


@dataclass(frozen=True, slots=True)
class AssignmentChange:
    benefit: Benefit
    assignment: Assignment
    seats_left: int | None


class ServiceCore:
    """What every part of the benefits service shares: storage, time, the
    permission check, benefit lookup, the PMC guard, the audit log and events.

    Events are handed to the registered sinks inside the same unit of work as
    the change that caused them, so an outbox written by a sink commits or
    rolls back with it.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        events: Sequence[EventSink] = (),
    ) -> None:
        self._store = store
        self._clock = clock
        self._sinks = list(events)

    def subscribe(self, sink: EventSink) -> None:
        """Hand every later event to ``sink`` (in the transaction that raised it)."""
        self._sinks.append(sink)

    async def _emit(self, uow: UnitOfWork, event: Event) -> None:
        for sink in self._sinks:
            await sink(uow, event)

    async def _find(self, uow: UnitOfWork, query: str) -> Benefit:
        text = " ".join(query.split())
        if not text:
            raise InvalidInput("Name a benefit: its id or the start of its name.")
        if len(text) > MAX_QUERY:
            raise InvalidInput(
                "That benefit name is too long ({length} characters, at most {limit}).",
                length=len(text),
                limit=MAX_QUERY,
            )
        exact = await uow.benefits.get(text.casefold())
        if exact is not None:
            return exact
        named = await uow.benefits.named(text)
        if len(named) == 1:
            return named[0]
        starts = await uow.benefits.by_name_prefix(text, limit=MATCHES_SHOWN + 1)
        if len(starts) == 1:
            return starts[0]
        if starts:
            raise NoMatch(
                "`{query}` matches several benefits. Which one did you mean?",
                query=text,
                candidates=starts[:MATCHES_SHOWN],
            )
        everything = await uow.benefits.all()
        by_key: dict[str, Benefit] = {}
        for b in everything:
            by_key[b.id] = b
            by_key[b.name.casefold()] = b
        close = difflib.get_close_matches(
            text.casefold(), list(by_key), n=MATCHES_SHOWN, cutoff=0.5
        )
        candidates = list(dict.fromkeys(by_key[k] for k in close))
        raise NoMatch(
            "No benefit matches `{query}`.",
            query=text,
            candidates=candidates,
        )

    async def _require(self, uow: UnitOfWork, actor: str, action: Action) -> frozenset[Role]:
        roles = await uow.people.roles_of(actor)
        if allowed(action, roles):
            return roles
        needed = roles_for(action)
        holders: list[str] = []
        for role in needed:
            holders.extend(u for u in await uow.people.role_holders(role) if u not in holders)
        role_names = " or ".join(role.value for role in needed)
        if holders:
            raise Forbidden(
                "This needs the {roles} role. Ask someone who has it: {holder_users}.",
                roles=role_names,
                holder_users=tuple(holders),
            )
        raise Forbidden(
            "This needs the {roles} role, and nobody holds it yet. The operator can grant it "
            "with `benefits-bot grant USER_ID global_admin`.",
            roles=role_names,
        )

    async def _require_known_user(self, uow: UnitOfWork, user_id: str) -> None:
        if await uow.people.get_user(user_id) is None:
            raise NotFound(
                "{unknown_user} is not in the bot's directory yet. A User management admin or "
                "Global admin must add them first with `/benefits adduser @user`.",
                unknown_user=user_id,
            )

    async def _ensure_changeable(self, uow: UnitOfWork) -> None:
        membership = await uow.membership.get()
        if membership is not None and membership.managed_in_pmc:
            raise Forbidden(
                "The membership is still managed in the Partner Membership Center (PMC): make "
                "this change there (technical benefits through Partner Frontline). The bot "
                "changed nothing."
            )

    async def _audit(
        self, uow: UnitOfWork, actor: str, action: str, subject: str, detail: str = ""
    ) -> None:
        await uow.audit.add(
            AuditEntry(
                at=self._clock.now(), actor=actor, action=action, subject=subject, detail=detail
            )
        )


class BenefitsService(ServiceCore):
    """Requests, assignments, roles and the directory: one method per use case."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        page_size: int = PAGE_SIZE,
        events: Sequence[EventSink] = (),
    ) -> None:
        super().__init__(store, clock=clock, events=events)
        self.page_size = page_size
        self._pages: dict[tuple[Category | None, int], Page[BenefitRow]] = {}
        self._pages_version: int | None = None

    # -- reading -----------------------------------------------------------

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        async with self._store.read() as uow:
            return await uow.people.roles_of(user_id)

    async def list_benefits(
        self, actor: str, *, category: Category | None = None, page: int = 0
    ) -> Page[BenefitRow]:
        """One page of the inventory with seats used and total.

        Pages are kept until anyone commits a change to the store, so a busy
        team listing the same inventory doesn't read it again each time.
        """
        del actor  # every member may list
        page = max(page, 0)
        version = await self._store.version()
        if version != self._pages_version:
            self._pages.clear()
            self._pages_version = version
        cached = self._pages.get((category, page))
        if cached is not None:
            return cached
        async with self._store.read() as uow:
            total = await uow.benefits.count(category=category)
            last = max((total - 1) // self.page_size, 0)
            rows = await uow.benefits.rows(
                category=category, offset=min(page, last) * self.page_size, limit=self.page_size
            )
        result = Page(
            items=rows,
            page=min(page, last),
            page_size=self.page_size,
            total=total,
            version=version,
        )
        if len(self._pages) < PAGES_KEPT:
            self._pages[(category, page)] = result
        return result

    async def details(self, actor: str, benefit_id: str, *, holders_page: int = 0) -> Details:
        """One benefit as Partner Center's expandable row shows it.

        Args:
            actor: Who looks; only Global admins and MPN partner admins see holders' names.
            benefit_id: The benefit's id.
            holders_page: Which page of holders (counting from 0; clamped to the last).
        """
        async with self._store.read() as uow:
            benefit = await uow.benefits.get(benefit_id)
            if benefit is None:
                raise NotFound(
                    "There is no benefit with the id `{benefit_id}`.", benefit_id=benefit_id
                )
            holders = await uow.assignments.active(benefit.id)
            key_count = await uow.keys.count(benefit.id)
            roles = await uow.people.roles_of(actor)
            activation = (
                await uow.activations.get(benefit.id)
                if benefit.category in (Category.TECHNICAL, Category.GTM)
                else None
            )
        is_admin = bool(roles & {Role.GLOBAL_ADMIN, Role.MPN_PARTNER_ADMIN})
        last = max((len(holders) - 1) // HOLDERS_PAGE_SIZE, 0)
        page = min(max(holders_page, 0), last)
        shown = holders[page * HOLDERS_PAGE_SIZE : (page + 1) * HOLDERS_PAGE_SIZE]
        expires_on = (activation.expires_on if activation else None) or benefit.expires_on
        return Details(
            row=BenefitRow(benefit, len(holders)),
            holders=shown if is_admin else None,
            holders_page=page,
            status=_status(benefit, activation, expires_on, self._clock.now().date()),
            activation=activation,
            expires_on=expires_on,
            key_count=key_count,
        )

    async def mine(self, actor: str) -> Mine:
        """The caller's assignments and pending requests."""
        async with self._store.read() as uow:
            assignments = await uow.assignments.of_user(actor)
            requests = await uow.requests.of_user(actor, status=RequestStatus.PENDING)
            wanted = {a.benefit_id for a in assignments} | {r.benefit_id for r in requests}
            benefits = {bid: b for bid in wanted if (b := await uow.benefits.get(bid))}
        return Mine(
            holdings=[Holding(a, benefits[a.benefit_id]) for a in assignments],
            pending=[Pending(r, benefits[r.benefit_id]) for r in requests],
        )

    async def find_benefit(self, query: str) -> Benefit:
        """A benefit by id or by an unambiguous start of its name."""
        async with self._store.read() as uow:
            return await self._find(uow, query)

    async def _split_benefit(self, text: str) -> tuple[str, str]:
        """The longest leading words of ``text`` that name one benefit, and the rest."""
        words = list(re.finditer(r"\S+", text))
        first_error: NoMatch | None = None
        async with self._store.read() as uow:
            for n in range(min(len(words), MAX_NAME_WORDS), 0, -1):
                query = " ".join(w.group() for w in words[:n])
                try:
                    benefit = await self._find(uow, query)
                except NoMatch as error:
                    if first_error is None and error.candidates:
                        first_error = error
                    continue
                return benefit.id, text[words[n - 1].end() :].strip()
            if first_error is not None:
                raise first_error
            await self._find(uow, text)  # raises with the closest matches
        raise AssertionError("unreachable")  # pragma: no cover

    # -- requests ----------------------------------------------------------

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
        if reason is None:
            benefit_query, reason = await self._split_benefit(text)
        else:
            benefit_query = text
        reason = reason.strip()
        if len(reason) > MAX_REASON:
            raise InvalidInput(
                "The reason is too long ({length} characters, at most {limit}).",
                length=len(reason),
                limit=MAX_REASON,
            )
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            benefit = await self._find(uow, benefit_query)
            return await self._file_request(uow, actor, benefit, reason)

    async def _file_request(
        self, uow: UnitOfWork, actor: str, benefit: Benefit, reason: str
    ) -> RequestCreated:
        """File ``actor``'s request for ``benefit`` inside the caller's unit of work."""
        now = self._clock.now()
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
        if await uow.people.get_user(actor) is None:
            await uow.people.put_user(DirectoryUser(user_id=actor))
        request = await uow.requests.add(
            benefit_id=benefit.id, requester_id=actor, reason=reason, created_at=now
        )
        used = await uow.assignments.count_active(benefit.id)
        await self._audit(uow, actor, "request.create", f"request:{request.id}", benefit.id)
        await self._emit(uow, events.RequestCreated(request, benefit))
        return RequestCreated(
            request=request,
            benefit=benefit,
            seats_left=_seats_left(benefit, used),
            approvers=approvers,
        )

    async def add_request_messages(self, request_id: int, refs: Sequence[MessageRef]) -> Request:
        """Remember where the approval request was posted; returns its current state."""
        async with self._store.write() as uow:
            request = await uow.requests.get(request_id)
            if request is None:
                raise NotFound("Request #{request_id} does not exist.", request_id=request_id)
            await uow.requests.add_messages(request_id, refs)
        return request

    async def unannounced(self, *, older_than: timedelta, limit: int = 100) -> list[RequestCreated]:
        """Pending requests never posted to the admins (the bot stopped first), so
        that they can be posted now; only those older than ``older_than``, whose
        posting can no longer be on its way."""
        async with self._store.read() as uow:
            pending = await uow.requests.unannounced(
                created_before=self._clock.now() - older_than, limit=limit
            )
            approvers = await uow.people.role_holders(Role.GLOBAL_ADMIN)
            found: list[RequestCreated] = []
            for request in pending:
                benefit = await uow.benefits.get(request.benefit_id)
                if benefit is None:  # pragma: no cover - benefits are never deleted
                    continue
                used = await uow.assignments.count_active(benefit.id)
                found.append(
                    RequestCreated(request, benefit, _seats_left(benefit, used), approvers)
                )
        return found

    async def request_messages(self, request_id: int) -> list[MessageRef]:
        async with self._store.read() as uow:
            return await uow.requests.messages(request_id)

    async def approve(self, actor: str, request_id: int) -> Decision:
        """Approve a pending request and assign its seat, atomically."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            request, benefit = await self._pending_for_decision(uow, actor, request_id)
            used = await uow.assignments.count_active(benefit.id)
            if benefit.seats is not None and used >= benefit.seats:
                raise Conflict(
                    "No seat of *{benefit}* is left ({used} of {seats} in use). Unassign a seat "
                    "first, or deny the request.",
                    benefit=benefit.name,
                    used=used,
                    seats=benefit.seats,
                )
            if await uow.assignments.find_active(benefit.id, request.requester_id) is not None:
                raise Conflict(
                    "{requester_user} already holds *{benefit}*; deny the request instead.",
                    requester_user=request.requester_id,
                    benefit=benefit.name,
                )
            await self._check_cloud_credit(uow, benefit, request.requester_id)
            await uow.requests.decide(
                request.id, status=RequestStatus.APPROVED, decided_by=actor, decided_at=now
            )
            assignment = await uow.assignments.add(
                benefit_id=benefit.id,
                user_id=request.requester_id,
                assigned_at=now,
                assigned_by=actor,
            )
            await self._audit(uow, actor, "request.approve", f"request:{request.id}", benefit.id)
            await self._audit(
                uow, actor, "assignment.create", f"user:{request.requester_id}", benefit.id
            )
            decided = await uow.requests.get(request.id)
            assert decided is not None
            await self._emit(uow, events.RequestDecided(decided, benefit, now))
            messages = await uow.requests.messages(request.id)
        return Decision(
            request=decided,
            benefit=benefit,
            assignment=assignment,
            messages=messages,
            seats_left=_seats_left(benefit, used + 1),
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
            seats_left=_seats_left(benefit, used),
        )

    async def deny(self, actor: str, request_id: int, reason: str) -> Decision:
        """Deny a pending request with a reason the requester will read."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("Give the requester a reason for the denial.")
        if len(reason) > MAX_REASON:
            raise InvalidInput(
                "The reason is too long ({length} characters, at most {limit}).",
                length=len(reason),
                limit=MAX_REASON,
            )
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            request, benefit = await self._pending_for_decision(uow, actor, request_id)
            await uow.requests.decide(
                request.id,
                status=RequestStatus.DENIED,
                decided_by=actor,
                decided_at=now,
                note=reason,
            )
            await self._audit(
                uow, actor, "request.deny", f"request:{request.id}", f"{benefit.id}: {reason}"
            )
            decided = await uow.requests.get(request.id)
            assert decided is not None
            await self._emit(uow, events.RequestDecided(decided, benefit, now))
            messages = await uow.requests.messages(request.id)
            used = await uow.assignments.count_active(benefit.id)
        return Decision(
            request=decided,
            benefit=benefit,
            assignment=None,
            messages=messages,
            seats_left=_seats_left(benefit, used),
        )

    async def _pending_for_decision(
        self, uow: UnitOfWork, actor: str, request_id: int
    ) -> tuple[Request, Benefit]:
        await self._require(uow, actor, Action.DECIDE)
        request = await uow.requests.get(request_id)
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
            raise Conflict(
                "Request #{request_id} was already {status} by {decider_user}.",
                request_id=request.id,
                status=request.status.value,
                decider_user=request.decided_by or "",
            )
        benefit = await uow.benefits.get(request.benefit_id)
        if benefit is None:  # pragma: no cover - benefits are never deleted
            raise NotFound(
                "There is no benefit with the id `{benefit_id}`.", benefit_id=request.benefit_id
            )
        return request, benefit

    # -- direct assignment -------------------------------------------------

    async def assign(self, actor: str, query: str, user_id: str) -> AssignmentChange:
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.DECIDE)
            benefit = await self._find(uow, query)
            await self._require_known_user(uow, user_id)
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
            await self._check_cloud_credit(uow, benefit, user_id)
            assignment = await uow.assignments.add(
                benefit_id=benefit.id, user_id=user_id, assigned_at=now, assigned_by=actor
            )
            await self._audit(uow, actor, "assignment.create", f"user:{user_id}", benefit.id)
        return AssignmentChange(benefit, assignment, _seats_left(benefit, used + 1))

    async def unassign(self, actor: str, query: str, user_id: str) -> AssignmentChange:
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.DECIDE)
            benefit = await self._find(uow, query)
            held = await uow.assignments.find_active(benefit.id, user_id)
            if held is None:
                raise NotFound(
                    "{holder_user} holds no seat of *{benefit}*.",
                    holder_user=user_id,
                    benefit=benefit.name,
                )
            await uow.assignments.release(held.id, at=now)
            used = await uow.assignments.count_active(benefit.id)
            await self._audit(uow, actor, "assignment.release", f"user:{user_id}", benefit.id)
        return AssignmentChange(benefit, held, _seats_left(benefit, used))

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
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.DECIDE)
            benefit = await self._find(uow, query)
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
                possible = held.assigned_at + VS_REASSIGN_AFTER
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
            await self._require_known_user(uow, to_user)
            if await uow.assignments.find_active(benefit.id, to_user) is not None:
                raise Conflict(
                    "{holder_user} already holds *{benefit}*; one per person.",
                    holder_user=to_user,
                    benefit=benefit.name,
                )
            await uow.assignments.release(held.id, at=now)
            await self._check_cloud_credit(uow, benefit, to_user)
            assignment = await uow.assignments.add(
                benefit_id=benefit.id, user_id=to_user, assigned_at=now, assigned_by=actor
            )
            await self._audit(
                uow,
                actor,
                "assignment.reassign",
                f"user:{to_user}",
                f"{benefit.id} from user:{from_user}",
            )
        return Reassignment(benefit, held, assignment)

    # -- roles and directory -----------------------------------------------

    async def grant(self, actor: str, user_id: str, role: Role) -> None:
        async with self._store.write() as uow:
            await self._require(uow, actor, Action.MANAGE_ROLES)
            await self._grant(uow, actor, user_id, role)

    async def revoke(self, actor: str, user_id: str, role: Role) -> None:
        async with self._store.write() as uow:
            await self._require(uow, actor, Action.MANAGE_ROLES)
            await self._revoke(uow, actor, user_id, role)

    async def bootstrap_grant(
        self, user_id: str, role: Role, *, operator: str = "operator"
    ) -> bool:
        """Grant a role from the shell (no Slack actor); False when already held."""
        async with self._store.write() as uow:
            return await self._grant(uow, operator, user_id, role, quiet=True)

    async def bootstrap_revoke(
        self, user_id: str, role: Role, *, operator: str = "operator"
    ) -> bool:
        async with self._store.write() as uow:
            return await self._revoke(uow, operator, user_id, role, quiet=True)

    async def _grant(
        self, uow: UnitOfWork, actor: str, user_id: str, role: Role, *, quiet: bool = False
    ) -> bool:
        if not await uow.people.grant_role(user_id, role, at=self._clock.now()):
            if quiet:
                return False
            raise Conflict(
                "{holder_user} already holds the {role} role.", holder_user=user_id, role=role.value
            )
        if await uow.people.get_user(user_id) is None:
            await uow.people.put_user(DirectoryUser(user_id=user_id))
        await self._audit(uow, actor, "role.grant", f"user:{user_id}", role.value)
        return True

    async def _revoke(
        self, uow: UnitOfWork, actor: str, user_id: str, role: Role, *, quiet: bool = False
    ) -> bool:
        if role is Role.GLOBAL_ADMIN and await uow.people.role_holders(Role.GLOBAL_ADMIN) == [
            user_id
        ]:
            raise Conflict(
                "{holder_user} is the last Global admin; grant the role to someone else first.",
                holder_user=user_id,
            )
        if not await uow.people.revoke_role(user_id, role):
            if quiet:
                return False
            raise Conflict(
                "{holder_user} does not hold the {role} role.", holder_user=user_id, role=role.value
            )
        await self._audit(uow, actor, "role.revoke", f"user:{user_id}", role.value)
        return True

    async def roles(self, actor: str) -> list[tuple[str, Role]]:
        async with self._store.read() as uow:
            await self._require(uow, actor, Action.MANAGE_ROLES)
            return await uow.people.all_roles()

    async def add_user(self, actor: str, user_id: str, *, name: str = "", email: str = "") -> bool:
        """Add a person to the bot's directory; False when already there."""
        async with self._store.write() as uow:
            await self._require(uow, actor, Action.ADD_USER)
            if await uow.people.get_user(user_id) is not None:
                return False
            await uow.people.put_user(DirectoryUser(user_id=user_id, name=name, email=email))
            await self._audit(uow, actor, "user.add", f"user:{user_id}")
        return True

    async def global_admins(self) -> list[str]:
        async with self._store.read() as uow:
            return await uow.people.role_holders(Role.GLOBAL_ADMIN)

    # Roles (grant/revoke) and the directory (adduser) are the bot's own records, not
    # Partner Center's, so they stay changeable while the membership is managed in PMC:
    # they pass no ``_ensure_changeable``. Everything that changes a benefit does.

    # -- usage-based cloud credits -------------------------------------------

    async def directory_email(self, user_id: str) -> str:
        """The email the directory knows for ``user_id`` (empty when none)."""
        async with self._store.read() as uow:
            user = await uow.people.get_user(user_id)
        return user.email if user else ""

    async def activate_cloud(
        self, actor: str, query: str, *, email: str | None = None
    ) -> CloudActivation:
        """The caller assigns a usage-based cloud credit (an Azure credit) to themselves.

        When the inventory says the credit needs approval, a request for a
        Global admin is filed instead. One active usage-based credit per person;
        a monthly credit is reassigned at most 5 times; the credit never goes to
        an address on a free mail domain.

        Args:
            actor: The member, who becomes the credit's user.
            query: The benefit's id or the start of its name.
            email: The caller's email from their Slack profile, used (and kept
                in the directory) when the directory knows none.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            benefit = await self._find(uow, query)
            if benefit.category is not Category.CLOUD or not benefit.usage_based:
                raise InvalidInput(
                    "*{benefit}* is not a usage-based cloud credit, so it can't be activated "
                    "by assigning yourself. Ask for it with `/benefits request {id}`.",
                    benefit=benefit.name,
                    id=benefit.id,
                )
            address = await self._caller_email(uow, actor, email)
            held = await uow.assignments.find_active(benefit.id, actor)
            if held is not None:
                raise Conflict(
                    "You already hold *{benefit}* (since {since}). Manage it in the Azure portal.",
                    benefit=benefit.name,
                    since=held.assigned_at.date().isoformat(),
                )
            await self._check_cloud_credit(uow, benefit, actor, address)
            if benefit.needs_approval:
                created = await self._file_request(
                    uow, actor, benefit, "Activation of the credit for " + address
                )
                await self._audit(uow, actor, "cloud.activate_request", f"user:{actor}", benefit.id)
                return CloudActivation(
                    benefit, address, request=created, seats_left=created.seats_left
                )
            used = await uow.assignments.count_active(benefit.id)
            if benefit.seats is not None and used >= benefit.seats:
                raise Conflict(
                    "No credit of *{benefit}* is left ({used} of {seats} in use).",
                    benefit=benefit.name,
                    used=used,
                    seats=benefit.seats,
                )
            assignment = await uow.assignments.add(
                benefit_id=benefit.id,
                user_id=actor,
                assigned_at=now,
                assigned_by=actor,
                holder_email=address,
            )
            await self._audit(uow, actor, "cloud.activate", f"user:{actor}", benefit.id)
        return CloudActivation(
            benefit, address, assignment=assignment, seats_left=_seats_left(benefit, used + 1)
        )

    async def _caller_email(self, uow: UnitOfWork, actor: str, email: str | None) -> str:
        """The caller's email: the directory's, else ``email`` (then stored there)."""
        user = await uow.people.get_user(actor)
        if user is not None and user.email:
            return user.email
        if not email or not email.strip():
            raise InvalidInput(
                "I don't know your email address: it is neither in the bot's directory nor in "
                "your Slack profile, and an Azure credit is tied to one. Add it to your Slack "
                "profile, or ask a User management admin, then try again."
            )
        address = normalized_email(email)
        if address is None:
            raise InvalidInput(
                "`{email}` is not a valid email address, so no Azure credit can be tied to it.",
                email=email.strip()[:254],
            )
        await uow.people.put_user(
            replace(user, email=address)
            if user is not None
            else DirectoryUser(user_id=actor, email=address)
        )
        await self._audit(uow, actor, "user.email", f"user:{actor}", "from the Slack profile")
        return address

    async def _check_cloud_credit(
        self, uow: UnitOfWork, benefit: Benefit, user_id: str, email: str | None = None
    ) -> None:
        """Refuse a usage-based credit for ``user_id`` when a cloud rule forbids it.

        Called inside the unit of work that assigns it, after any release that
        is part of the same change. ``email`` defaults to the directory's; an
        address the bot does not know is not refused here (a Global admin's
        assignment or approval), only when the member activates it themselves.
        """
        if benefit.category is not Category.CLOUD or not benefit.usage_based:
            return
        for other in await uow.assignments.of_user(user_id):
            if other.benefit_id == benefit.id:
                continue
            held = await uow.benefits.get(other.benefit_id)
            if held is not None and held.category is Category.CLOUD and held.usage_based:
                raise Conflict(
                    "{holder_user} already has an active usage-based credit: *{other}* (since "
                    "{since}). One credit per person; it must be released first.",
                    holder_user=user_id,
                    other=held.name,
                    since=other.assigned_at.date().isoformat(),
                )
        if benefit.monthly:
            moves = await uow.assignments.count_released(benefit.id)
            if moves > MAX_MONTHLY_REASSIGNMENTS:
                raise Conflict(
                    "*{benefit}* is a monthly credit and has been reassigned {count} times "
                    "already; Partner Center allows at most {limit}.",
                    benefit=benefit.name,
                    count=MAX_MONTHLY_REASSIGNMENTS,
                    limit=MAX_MONTHLY_REASSIGNMENTS,
                )
        if email is None:
            user = await uow.people.get_user(user_id)
            email = user.email if user else ""
        if email and is_free_mail(email):
            raise Conflict(
                "An Azure credit can't go to {email}: {domain} is a free mail domain. It needs "
                "a company address; a User management admin can record one for {holder_user}.",
                email=email,
                domain=email_domain(email),
                holder_user=user_id,
            )

    # -- cancellation of the package -------------------------------------------

    async def cancellation_check(self, actor: str) -> CancellationCheck:
        """Check today whether the package can be cancelled with a refund; changes nothing."""
        async with self._store.read() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.CANCEL)
            return await self._cancellation_check(uow)

    async def request_cancellation(self, actor: str) -> CancellationFiled:
        """File a cancellation service request when all three conditions hold.

        Raises:
            CancellationRefused: with the conditions that fail and since when.
            Conflict: when a cancellation request is already open.
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            await self._ensure_changeable(uow)
            await self._require(uow, actor, Action.CANCEL)
            check = await self._cancellation_check(uow)
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
            await self._audit(
                uow, actor, "service_request.cancellation", f"service_request:{request.id}"
            )
            admins = await uow.people.role_holders(Role.GLOBAL_ADMIN)
        return CancellationFiled(request=request, check=check, global_admins=admins)

    async def _cancellation_check(self, uow: UnitOfWork) -> CancellationCheck:
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

    # -- the audit log -------------------------------------------------------

    async def audit_log(self, actor: str, limit: int = AUDIT_DEFAULT) -> list[AuditEntry]:
        """The latest ``limit`` entries of the audit log, newest first."""
        async with self._store.read() as uow:
            await self._require(uow, actor, Action.READ_AUDIT)
            if not 1 <= limit <= AUDIT_MAX:
                raise InvalidInput(
                    "Ask for 1 to {limit} audit entries (you asked for {asked}); "
                    "`benefits-bot audit --csv` exports them all.",
                    limit=AUDIT_MAX,
                    asked=limit,
                )
            return await uow.audit.recent(limit)


def _seats_left(benefit: Benefit, used: int) -> int | None:
    return None if benefit.seats is None else max(benefit.seats - used, 0)


def _status(
    benefit: Benefit, activation: Activation | None, expires_on: date | None, today: date
) -> ActivationStatus | None:
    """Pending / active / expired: from the activation for technical benefits and
    go-to-market offers (None before one is asked for), from the expiry date otherwise."""
    if benefit.category in (Category.TECHNICAL, Category.GTM):
        if activation is None:
            return None
        if activation.status is ActivationStatus.PENDING:
            return ActivationStatus.PENDING
    if expires_on is not None and expires_on < today:
        return ActivationStatus.EXPIRED
    if activation is not None:
        return activation.status
    return ActivationStatus.ACTIVE


__all__ = [
    "AssignmentChange",
    "BenefitsService",
    "CloudActivation",
    "Decision",
    "Details",
    "DomainError",
    "Holding",
    "Mine",
    "Pending",
    "Reassignment",
    "RequestCreated",
]
