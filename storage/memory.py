"""An in-memory store for unit tests and quick trials.

A write unit of work runs on a copy of the state and swaps it in on commit, so
a block that raises leaves the state as it was.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AdvisoryRequest,
    Assignment,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    KeyReveal,
    MarketingContact,
    Membership,
    MessageRef,
    Request,
    RequestStatus,
    Role,
    ServiceRequest,
)
from bot.domain.outbox import NewPing, Ping, PingState

_CATEGORY_ORDER = {c: i for i, c in enumerate(Category)}


@dataclass
class _State:
    membership: Membership | None = None
    benefits: dict[str, Benefit] = field(default_factory=dict)
    assignments: dict[int, Assignment] = field(default_factory=dict)
    requests: dict[int, Request] = field(default_factory=dict)
    request_messages: dict[int, list[MessageRef]] = field(default_factory=dict)
    roles: dict[tuple[str, Role], datetime] = field(default_factory=dict)
    users: dict[str, DirectoryUser] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)
    key_reveals: list[KeyReveal] = field(default_factory=list)
    activations: dict[str, Activation] = field(default_factory=dict)
    marketing_contact: MarketingContact | None = None
    advisory: list[AdvisoryRequest] = field(default_factory=list)
    service_requests: list[ServiceRequest] = field(default_factory=list)
    pings: dict[int, Ping] = field(default_factory=dict)
    ping_keys: dict[tuple[str, str], int] = field(default_factory=dict)
    watermarks: dict[str, datetime] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value


class MemoryRepository:
    def __init__(self, state: _State) -> None:
        self._s = state

    async def get_membership(self) -> Membership | None:
        return self._s.membership

    async def put_membership(self, membership: Membership) -> None:
        self._s.membership = membership

    async def get_benefit(self, benefit_id: str) -> Benefit | None:
        return self._s.benefits.get(benefit_id)

    async def put_benefit(self, benefit: Benefit) -> None:
        self._s.benefits[benefit.id] = benefit

    async def benefits_by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        p = prefix.casefold()
        found = [
            b
            for b in self._sorted_benefits(None)
            if b.id.casefold().startswith(p) or b.name.casefold().startswith(p)
        ]
        return found[:limit]

    async def benefits_named(self, name: str) -> list[Benefit]:
        wanted = name.casefold()
        return [b for b in self._sorted_benefits(None) if b.name.casefold() == wanted]

    async def all_benefits(self) -> list[Benefit]:
        return self._sorted_benefits(None)

    def _sorted_benefits(self, category: Category | None) -> list[Benefit]:
        chosen = [b for b in self._s.benefits.values() if category in (None, b.category)]
        return sorted(chosen, key=lambda b: (_CATEGORY_ORDER[b.category], b.name.casefold(), b.id))

    async def benefit_rows(
        self, *, category: Category | None, offset: int, limit: int
    ) -> list[BenefitRow]:
        chosen = self._sorted_benefits(category)[offset : offset + limit]
        return [BenefitRow(b, await self.count_active_assignments(b.id)) for b in chosen]

    async def count_benefits(self, *, category: Category | None) -> int:
        return len(self._sorted_benefits(category))

    async def add_assignment(
        self,
        *,
        benefit_id: str,
        user_id: str | None,
        assigned_at: datetime,
        assigned_by: str,
        holder_email: str | None = None,
    ) -> Assignment:
        a = Assignment(
            id=self._s.new_id(),
            benefit_id=benefit_id,
            user_id=user_id,
            assigned_at=assigned_at,
            assigned_by=assigned_by,
            holder_email=holder_email,
        )
        self._s.assignments[a.id] = a
        return a

    async def release_assignment(self, assignment_id: int, *, at: datetime) -> None:
        a = self._s.assignments[assignment_id]
        self._s.assignments[assignment_id] = replace(a, released_at=at)

    def _active(self) -> list[Assignment]:
        return sorted(
            (a for a in self._s.assignments.values() if a.released_at is None),
            key=lambda a: (a.assigned_at, a.id),
        )

    async def active_assignment(self, benefit_id: str, user_id: str) -> Assignment | None:
        for a in self._active():
            if a.benefit_id == benefit_id and a.user_id == user_id:
                return a
        return None

    async def active_assignments(self, benefit_id: str) -> list[Assignment]:
        return [a for a in self._active() if a.benefit_id == benefit_id]

    async def count_active_assignments(self, benefit_id: str) -> int:
        return len(await self.active_assignments(benefit_id))

    async def user_assignments(self, user_id: str) -> list[Assignment]:
        return [a for a in self._active() if a.user_id == user_id]

    async def unresolved_holders(self) -> list[Assignment]:
        return [a for a in self._active() if a.user_id is None]

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None:
        a = self._s.assignments[assignment_id]
        self._s.assignments[assignment_id] = replace(a, user_id=user_id)

    async def first_assignment(self, categories: Sequence[Category]) -> Assignment | None:
        wanted = set(categories)
        found = sorted(
            (
                a
                for a in self._s.assignments.values()
                if (b := self._s.benefits.get(a.benefit_id)) is not None and b.category in wanted
            ),
            key=lambda a: (a.assigned_at, a.id),
        )
        return found[0] if found else None

    async def count_released_assignments(self, benefit_id: str) -> int:
        return sum(
            1
            for a in self._s.assignments.values()
            if a.benefit_id == benefit_id and a.released_at is not None
        )

    async def put_keys(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        self._s.keys[benefit_id] = list(ciphertexts)

    async def key_ciphertexts(self, benefit_id: str) -> list[str]:
        return list(self._s.keys.get(benefit_id, []))

    async def count_keys(self, benefit_id: str) -> int:
        return len(self._s.keys.get(benefit_id, []))

    async def all_key_ciphertexts(self) -> list[tuple[str, int, str]]:
        return [
            (benefit_id, position, text)
            for benefit_id in sorted(self._s.keys)
            for position, text in enumerate(self._s.keys[benefit_id])
        ]

    async def update_key_ciphertext(self, benefit_id: str, position: int, ciphertext: str) -> None:
        keys = self._s.keys.get(benefit_id, [])
        if not 0 <= position < len(keys):  # a negative index would pick a key from the end
            raise KeyError((benefit_id, position))
        keys[position] = ciphertext

    async def add_key_reveal(self, reveal: KeyReveal) -> None:
        self._s.key_reveals.append(reveal)

    async def first_key_reveal(self) -> KeyReveal | None:
        return min(self._s.key_reveals, key=lambda r: r.at, default=None)

    async def get_activation(self, benefit_id: str) -> Activation | None:
        return self._s.activations.get(benefit_id)

    async def put_activation(self, activation: Activation) -> None:
        self._s.activations[activation.benefit_id] = activation

    async def activations(self, *, status: ActivationStatus | None = None) -> list[Activation]:
        return sorted(
            (a for a in self._s.activations.values() if status in (None, a.status)),
            key=lambda a: (a.requested_at, a.benefit_id),
        )

    async def get_marketing_contact(self) -> MarketingContact | None:
        return self._s.marketing_contact

    async def put_marketing_contact(self, contact: MarketingContact) -> None:
        self._s.marketing_contact = contact

    async def add_advisory_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest:
        request = AdvisoryRequest(
            id=self._s.new_id(),
            benefit_id=benefit_id,
            user_id=user_id,
            hours=hours,
            topic=topic,
            created_at=created_at,
        )
        self._s.advisory.append(request)
        return request

    async def advisory_hours_used(self, benefit_id: str) -> int:
        return sum(r.hours for r in self._s.advisory if r.benefit_id == benefit_id)

    async def add_service_request(
        self, *, kind: str, created_by: str, created_at: datetime, detail: str = ""
    ) -> ServiceRequest:
        request = ServiceRequest(
            id=self._s.new_id(),
            kind=kind,
            status="open",
            created_by=created_by,
            created_at=created_at,
            detail=detail,
        )
        self._s.service_requests.append(request)
        return request

    async def service_requests(self) -> list[ServiceRequest]:
        return list(self._s.service_requests)

    async def add_request(
        self, *, benefit_id: str, requester_id: str, reason: str, created_at: datetime
    ) -> Request:
        r = Request(
            id=self._s.new_id(),
            benefit_id=benefit_id,
            requester_id=requester_id,
            reason=reason,
            status=RequestStatus.PENDING,
            created_at=created_at,
        )
        self._s.requests[r.id] = r
        return r

    async def get_request(self, request_id: int) -> Request | None:
        return self._s.requests.get(request_id)

    async def pending_request(self, requester_id: str, benefit_id: str) -> Request | None:
        for r in self._s.requests.values():
            if (
                r.requester_id == requester_id
                and r.benefit_id == benefit_id
                and r.status is RequestStatus.PENDING
            ):
                return r
        return None

    async def user_requests(self, requester_id: str, *, status: RequestStatus) -> list[Request]:
        return sorted(
            (
                r
                for r in self._s.requests.values()
                if r.requester_id == requester_id and r.status is status
            ),
            key=lambda r: r.id,
        )

    async def decide_request(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        decided_by: str,
        decided_at: datetime,
        note: str = "",
    ) -> bool:
        r = self._s.requests.get(request_id)
        if r is None or r.status is not RequestStatus.PENDING:
            return False
        self._s.requests[request_id] = replace(
            r, status=status, decided_by=decided_by, decided_at=decided_at, decision_note=note
        )
        return True

    async def add_request_messages(self, request_id: int, refs: Sequence[MessageRef]) -> None:
        known = self._s.request_messages.setdefault(request_id, [])
        known.extend(ref for ref in refs if ref not in known)

    async def request_messages(self, request_id: int) -> list[MessageRef]:
        return list(self._s.request_messages.get(request_id, []))

    async def unannounced_requests(self, *, created_before: datetime, limit: int) -> list[Request]:
        found = [
            r
            for r in sorted(self._s.requests.values(), key=lambda r: r.id)
            if r.status is RequestStatus.PENDING
            and r.created_at < created_before
            and not self._s.request_messages.get(r.id)
        ]
        return found[: max(limit, 0)]

    async def grant_role(self, user_id: str, role: Role, *, at: datetime) -> bool:
        if (user_id, role) in self._s.roles:
            return False
        self._s.roles[(user_id, role)] = at
        return True

    async def revoke_role(self, user_id: str, role: Role) -> bool:
        return self._s.roles.pop((user_id, role), None) is not None

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        return frozenset(role for (uid, role) in self._s.roles if uid == user_id)

    async def role_holders(self, role: Role) -> list[str]:
        return sorted(uid for (uid, r) in self._s.roles if r is role)

    async def all_roles(self) -> list[tuple[str, Role]]:
        return sorted(self._s.roles, key=lambda pair: (list(Role).index(pair[1]), pair[0]))

    async def get_user(self, user_id: str) -> DirectoryUser | None:
        return self._s.users.get(user_id)

    async def put_user(self, user: DirectoryUser) -> None:
        self._s.users[user.user_id] = user

    async def add_audit(self, entry: AuditEntry) -> None:
        self._s.audit.append(replace(entry, id=len(self._s.audit) + 1))

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        return list(reversed(self._s.audit[-limit:])) if limit > 0 else []

    async def audit_entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        return [e for e in self._s.audit if e.id > after_id][: max(limit, 0)]

    # -- outbox -----------------------------------------------------------

    async def enqueue_pings(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        queued = 0
        for new in pings:
            if (new.key, new.recipient) in self._s.ping_keys:
                continue
            ping = Ping(
                id=self._s.new_id(),
                key=new.key,
                recipient=new.recipient,
                kind=new.kind,
                params=dict(new.params),
                state=PingState.QUEUED,
                created_at=at,
                due_at=new.due_at or at,
            )
            self._s.pings[ping.id] = ping
            self._s.ping_keys[(new.key, new.recipient)] = ping.id
            queued += 1
        return queued

    def _held(self, ping_id: int, owner: str) -> Ping | None:
        p = self._s.pings.get(ping_id)
        if p is None or p.state is not PingState.QUEUED or p.claimed_by != owner:
            return None
        return p

    async def claim_pings(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Ping]:
        free = sorted(
            (
                p
                for p in self._s.pings.values()
                if p.state is PingState.QUEUED
                and p.due_at <= now
                and (p.claimed_until is None or p.claimed_until <= now)
            ),
            key=lambda p: (p.due_at, p.id),
        )[: max(limit, 0)]
        claimed = [replace(p, claimed_by=owner, claimed_until=until) for p in free]
        for p in claimed:
            self._s.pings[p.id] = p
        return claimed

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        kept: list[int] = []
        for ping_id in ping_ids:
            if (p := self._held(ping_id, owner)) is not None:
                self._s.pings[ping_id] = replace(p, claimed_until=until)
                kept.append(ping_id)
        return kept

    async def release_pings(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        for ping_id in ping_ids:
            if (p := self._held(ping_id, owner)) is not None:
                self._s.pings[ping_id] = replace(
                    p, claimed_by=None, claimed_until=None, due_at=due_at or p.due_at
                )

    async def mark_ping_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        p = self._s.pings.get(ping_id)
        if p is None or p.state is not PingState.QUEUED:
            return False
        self._s.pings[ping_id] = replace(
            p,
            state=PingState.SENT,
            attempts=p.attempts + 1,
            sent_at=at,
            channel=channel,
            ts=ts,
            claimed_until=None,
        )
        return True

    async def retry_ping(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        if (p := self._held(ping_id, owner)) is None:
            return False
        self._s.pings[ping_id] = replace(
            p,
            attempts=p.attempts + 1,
            last_error=error,
            due_at=due_at,
            claimed_by=None,
            claimed_until=None,
        )
        return True

    async def park_ping(self, ping_id: int, *, owner: str, error: str) -> bool:
        if (p := self._held(ping_id, owner)) is None:
            return False
        self._s.pings[ping_id] = replace(
            p, state=PingState.PARKED, attempts=p.attempts + 1, last_error=error, claimed_until=None
        )
        return True

    async def cancel_ping(self, ping_id: int, *, reason: str) -> bool:
        p = self._s.pings.get(ping_id)
        if p is None or p.state is not PingState.QUEUED:
            return False
        self._s.pings[ping_id] = replace(
            p, state=PingState.CANCELLED, last_error=reason, claimed_until=None
        )
        return True

    async def get_ping(self, ping_id: int) -> Ping | None:
        return self._s.pings.get(ping_id)

    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        chosen = [p for _, p in sorted(self._s.pings.items()) if state in (None, p.state)]
        return chosen[max(offset, 0) : max(offset, 0) + max(limit, 0)]

    async def count_pings(self, *, state: PingState | None) -> int:
        return sum(1 for p in self._s.pings.values() if state in (None, p.state))

    async def get_watermark(self, name: str) -> datetime | None:
        return self._s.watermarks.get(name)

    async def set_watermark(self, name: str, at: datetime) -> None:
        self._s.watermarks[name] = at

    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        return sorted(
            (
                b
                for b in self._s.benefits.values()
                if b.expires_on is not None and first <= b.expires_on <= last
            ),
            key=lambda b: (b.expires_on, b.id),
        )

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        found = sorted(
            (
                a
                for a in self._s.activations.values()
                if a.status is ActivationStatus.ACTIVE
                and a.expires_on is not None
                and first <= a.expires_on <= last
            ),
            key=lambda a: (a.expires_on, a.benefit_id),
        )
        return [(self._s.benefits[a.benefit_id], a) for a in found]

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        return [a for a in await self.activations(status=status) if after < a.requested_at <= until]

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        return sorted(
            (
                r
                for r in self._s.requests.values()
                if r.status is RequestStatus.PENDING and r.created_at <= until
            ),
            key=lambda r: (r.created_at, r.id),
        )

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        wanted = set(categories)
        return [
            a
            for a in self._active()
            if after < a.assigned_at <= until
            and (b := self._s.benefits.get(a.benefit_id)) is not None
            and b.category in wanted
        ]


class MemoryStore:
    """A :class:`storage.base.Store` that keeps everything in this process."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = asyncio.Lock()
        self._version = 0

    @asynccontextmanager
    async def read(self) -> AsyncIterator[MemoryRepository]:
        yield MemoryRepository(self._state)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[MemoryRepository]:
        async with self._lock:
            draft = copy.deepcopy(self._state)
            yield MemoryRepository(draft)
            self._state = draft
            self._version += 1

    async def ping(self) -> bool:
        return True

    async def version(self) -> int:
        return self._version

    async def close(self) -> None:
        return None
