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
from datetime import datetime

from bot.domain import (
    Assignment,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    Membership,
    MessageRef,
    Request,
    RequestStatus,
    Role,
)

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


class MemoryStore:
    """A :class:`storage.base.Store` that keeps everything in this process."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[MemoryRepository]:
        yield MemoryRepository(self._state)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[MemoryRepository]:
        async with self._lock:
            draft = copy.deepcopy(self._state)
            yield MemoryRepository(draft)
            self._state = draft

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
