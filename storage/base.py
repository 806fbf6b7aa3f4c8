"""The storage contract: what the benefits service needs from a database.

A :class:`Store` hands out repositories inside a unit of work. ``write()``
is one transaction (SQLite: ``BEGIN IMMEDIATE``): it commits when the block
ends normally and rolls back when it raises. ``read()`` gives a repository for
queries only. Every implementation passes ``tests/storage/test_contract.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

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


class Repository(Protocol):
    # -- membership -------------------------------------------------------
    async def get_membership(self) -> Membership | None: ...
    async def put_membership(self, membership: Membership) -> None: ...

    # -- benefits ---------------------------------------------------------
    async def get_benefit(self, benefit_id: str) -> Benefit | None: ...
    async def put_benefit(self, benefit: Benefit) -> None:
        """Insert the benefit or update it in place, keeping its assignments."""
        ...

    async def benefits_by_name_prefix(self, prefix: str, *, limit: int) -> list[Benefit]:
        """Benefits whose id or name starts with ``prefix`` (case-insensitive)."""
        ...

    async def all_benefits(self) -> list[Benefit]: ...
    async def benefit_rows(
        self, *, category: Category | None, offset: int, limit: int
    ) -> list[BenefitRow]:
        """Benefits ordered by category then name, with active seat counts."""
        ...

    async def count_benefits(self, *, category: Category | None) -> int: ...

    # -- assignments ------------------------------------------------------
    async def add_assignment(
        self,
        *,
        benefit_id: str,
        user_id: str | None,
        assigned_at: datetime,
        assigned_by: str,
        holder_email: str | None = None,
    ) -> Assignment: ...

    async def release_assignment(self, assignment_id: int, *, at: datetime) -> None: ...
    async def active_assignment(self, benefit_id: str, user_id: str) -> Assignment | None: ...
    async def active_assignments(self, benefit_id: str) -> list[Assignment]: ...
    async def count_active_assignments(self, benefit_id: str) -> int: ...
    async def user_assignments(self, user_id: str) -> list[Assignment]:
        """Active assignments of one person, oldest first."""
        ...

    async def unresolved_holders(self) -> list[Assignment]:
        """Active assignments known only by an email address (from an import)."""
        ...

    async def resolve_holder(self, assignment_id: int, user_id: str) -> None: ...

    # -- requests ---------------------------------------------------------
    async def add_request(
        self, *, benefit_id: str, requester_id: str, reason: str, created_at: datetime
    ) -> Request: ...

    async def get_request(self, request_id: int) -> Request | None: ...
    async def pending_request(self, requester_id: str, benefit_id: str) -> Request | None: ...
    async def user_requests(self, requester_id: str, *, status: RequestStatus) -> list[Request]: ...
    async def decide_request(
        self,
        request_id: int,
        *,
        status: RequestStatus,
        decided_by: str,
        decided_at: datetime,
        note: str = "",
    ) -> bool:
        """Move a pending request to ``status``; False when it was not pending."""
        ...

    async def add_request_messages(self, request_id: int, refs: Sequence[MessageRef]) -> None: ...
    async def request_messages(self, request_id: int) -> list[MessageRef]: ...

    # -- roles and directory ----------------------------------------------
    async def grant_role(self, user_id: str, role: Role, *, at: datetime) -> bool:
        """Grant a role; False when the user already held it."""
        ...

    async def revoke_role(self, user_id: str, role: Role) -> bool:
        """Revoke a role; False when the user did not hold it."""
        ...

    async def roles_of(self, user_id: str) -> frozenset[Role]: ...
    async def role_holders(self, role: Role) -> list[str]: ...
    async def all_roles(self) -> list[tuple[str, Role]]: ...

    async def get_user(self, user_id: str) -> DirectoryUser | None: ...
    async def put_user(self, user: DirectoryUser) -> None: ...

    # -- audit ------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None: ...
    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        """The latest entries, newest first."""
        ...


class Store(Protocol):
    def read(self) -> AbstractAsyncContextManager[Repository]: ...
    def write(self) -> AbstractAsyncContextManager[Repository]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
