"""The storage contract: what the benefits service needs from a database.

A :class:`Store` hands out repositories inside a unit of work. ``write()``
is one transaction (SQLite: ``BEGIN IMMEDIATE``): it commits when the block
ends normally and rolls back when it raises. ``read()`` gives a repository for
queries only. Every implementation passes ``tests/storage/test_contract.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Protocol

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

    async def benefits_named(self, name: str) -> list[Benefit]:
        """Benefits whose name is ``name``, compared case-insensitively."""
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
    async def first_assignment(self, categories: Sequence[Category]) -> Assignment | None:
        """The earliest assignment ever made (released or not) of a benefit in ``categories``."""
        ...

    async def count_released_assignments(self, benefit_id: str) -> int: ...

    # -- product keys (opaque ciphertexts) and their reveals ---------------
    async def put_keys(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        """Replace the benefit's keys, in order."""
        ...

    async def key_ciphertexts(self, benefit_id: str) -> list[str]: ...
    async def count_keys(self, benefit_id: str) -> int: ...
    async def all_key_ciphertexts(self) -> list[tuple[str, int, str]]:
        """Every stored key as (benefit id, position, ciphertext)."""
        ...

    async def update_key_ciphertext(
        self, benefit_id: str, position: int, ciphertext: str
    ) -> None: ...
    async def add_key_reveal(self, reveal: KeyReveal) -> None: ...
    async def first_key_reveal(self) -> KeyReveal | None: ...

    # -- activations, marketing contact, advisory hours, service requests --
    async def get_activation(self, benefit_id: str) -> Activation | None: ...
    async def put_activation(self, activation: Activation) -> None: ...
    async def activations(self, *, status: ActivationStatus | None = None) -> list[Activation]:
        """Activations ordered by request time."""
        ...

    async def get_marketing_contact(self) -> MarketingContact | None: ...
    async def put_marketing_contact(self, contact: MarketingContact) -> None: ...
    async def add_advisory_request(
        self, *, benefit_id: str, user_id: str, hours: int, topic: str, created_at: datetime
    ) -> AdvisoryRequest: ...

    async def advisory_hours_used(self, benefit_id: str) -> int: ...
    async def add_service_request(
        self, *, kind: str, created_by: str, created_at: datetime, detail: str = ""
    ) -> ServiceRequest: ...

    async def service_requests(self) -> list[ServiceRequest]: ...

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
    async def unannounced_requests(self, *, created_before: datetime, limit: int) -> list[Request]:
        """Pending requests created before ``created_before`` that were never posted
        anywhere (no message recorded), oldest first."""
        ...

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

    async def audit_entries(self, *, after_id: int, limit: int) -> list[AuditEntry]:
        """Entries with an id above ``after_id``, oldest first (for exports)."""
        ...

    # -- outbox -------------------------------------------------------------
    # Pings owed to people (see bot.outbox), the sweeps' watermarks, and the
    # range queries the reminder sweeps run. Every range query is served by an
    # index, so its cost follows the rows in range, not the size of the table.

    async def enqueue_pings(self, pings: Sequence[NewPing], *, at: datetime) -> int:
        """Queue each ping whose ``(key, recipient)`` was never queued; how many were."""
        ...

    async def claim_pings(
        self, *, owner: str, now: datetime, until: datetime, limit: int
    ) -> list[Ping]:
        """Lease up to ``limit`` queued pings due by ``now`` to ``owner`` until ``until``.

        Only pings with no lease, or an expired one, are taken; oldest due first.
        """
        ...

    async def extend_claims(
        self, ping_ids: Sequence[int], *, owner: str, until: datetime
    ) -> list[int]:
        """Extend ``owner``'s leases; the ids it still holds (queued and leased to it)."""
        ...

    async def release_pings(
        self, ping_ids: Sequence[int], *, owner: str, due_at: datetime | None = None
    ) -> None:
        """Give up ``owner``'s leases (not an attempt); ``due_at`` postpones them."""
        ...

    async def mark_ping_sent(self, ping_id: int, *, at: datetime, channel: str, ts: str) -> bool:
        """Queued → sent, with where Slack put it; False when it was not queued."""
        ...

    async def retry_ping(self, ping_id: int, *, owner: str, due_at: datetime, error: str) -> bool:
        """Count a failed attempt and queue it again for ``due_at`` with no lease.

        False (and nothing changed) unless it is queued and leased to ``owner``.
        """
        ...

    async def park_ping(self, ping_id: int, *, owner: str, error: str) -> bool:
        """Count a failed attempt and park it; False unless queued and leased to ``owner``."""
        ...

    async def cancel_ping(self, ping_id: int, *, reason: str) -> bool:
        """Queued → cancelled (no longer relevant); False when it was not queued."""
        ...

    async def get_ping(self, ping_id: int) -> Ping | None: ...
    async def pings(self, *, state: PingState | None, offset: int, limit: int) -> list[Ping]:
        """Pings in ``state`` (any when None), oldest first."""
        ...

    async def count_pings(self, *, state: PingState | None) -> int: ...
    async def get_watermark(self, name: str) -> datetime | None:
        """Up to when the sweep ``name`` has looked; None before its first run."""
        ...

    async def set_watermark(self, name: str, at: datetime) -> None: ...
    async def benefits_expiring(self, first: date, last: date) -> list[Benefit]:
        """Benefits whose end date is in ``[first, last]``, by end date then id."""
        ...

    async def activations_expiring(
        self, first: date, last: date
    ) -> list[tuple[Benefit, Activation]]:
        """Active activations ending in ``[first, last]`` with their benefits, by end date."""
        ...

    async def activations_requested(
        self, *, status: ActivationStatus, after: datetime, until: datetime
    ) -> list[Activation]:
        """Activations in ``status`` requested in ``(after, until]``, oldest first."""
        ...

    async def pending_requests_before(self, until: datetime) -> list[Request]:
        """Pending requests created at or before ``until``, oldest first."""
        ...

    async def assignments_made(
        self, *, categories: Sequence[Category], after: datetime, until: datetime
    ) -> list[Assignment]:
        """Active assignments made in ``(after, until]`` of benefits in ``categories``."""
        ...


class Store(Protocol):
    def read(self) -> AbstractAsyncContextManager[Repository]: ...
    def write(self) -> AbstractAsyncContextManager[Repository]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
    async def version(self) -> int:
        """A token that changes whenever anyone (this process or another) commits.

        Equal tokens mean nothing changed in between, so what was read may be
        served again; the value itself means nothing.
        """
        ...
