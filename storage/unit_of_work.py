"""The storage contract: a :class:`Store` hands out units of work, one area port each.

The ``async with`` block is the explicit transaction boundary::

    async with store.write() as uow:       # one transaction (SQLite: BEGIN IMMEDIATE)
        request = await uow.requests.get(request_id)
        await uow.audit.add(entry)
    # committed here, when the block completes; any exception rolls it all back

``write()`` commits when the block ends normally and rolls back when it raises
(whatever the exception, cancellation included), so everything a service does
inside one block happens entirely or not at all. ``read()`` gives a unit of work
for queries only, over one consistent snapshot; it never waits for writers.

Every implementation passes the contract suite in ``tests/storage/``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from storage.ports import (
    ActivationRepository,
    AdvisoryRepository,
    AssignmentRepository,
    AuditRepository,
    BenefitRepository,
    Exclusive,
    InstallationRepository,
    KeyRepository,
    MarketingContactRepository,
    MembershipRepository,
    OAuthStateRepository,
    OutboxRepository,
    PeopleRepository,
    RequestRepository,
    ServiceRequestRepository,
    SettingsRepository,
    TenantStateRepository,
)
from storage.ports.offboarding import OffboardingRepository, SeatCheckRepository
from storage.ports.receipts import ReceiptRepository


class UnitOfWork(Protocol):
    """One transaction (or one read snapshot), reached area by area."""

    @property
    def membership(self) -> MembershipRepository: ...
    @property
    def benefits(self) -> BenefitRepository: ...
    @property
    def assignments(self) -> AssignmentRepository: ...
    @property
    def keys(self) -> KeyRepository: ...
    @property
    def activations(self) -> ActivationRepository: ...
    @property
    def marketing_contact(self) -> MarketingContactRepository: ...
    @property
    def advisory(self) -> AdvisoryRepository: ...
    @property
    def service_requests(self) -> ServiceRequestRepository: ...
    @property
    def requests(self) -> RequestRepository: ...
    @property
    def people(self) -> PeopleRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def offboardings(self) -> OffboardingRepository: ...

    @property
    def seat_checks(self) -> SeatCheckRepository: ...

    @property
    def installations(self) -> InstallationRepository: ...

    @property
    def oauth_states(self) -> OAuthStateRepository: ...

    @property
    def tenant_state(self) -> TenantStateRepository: ...

    @property
    def settings(self) -> SettingsRepository: ...


class Store(Protocol):
    """A database: units of work, plus health, version and shutdown."""

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work over one committed snapshot, for queries only."""
        ...

    def write(self, *, concurrent: bool = False) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction: committed when the block completes, rolled back if it raises.

        By default writers take turns: nothing another write does can slip in
        between a block's checks and its changes. A ``concurrent`` block may run
        beside other concurrent ones (PostgreSQL; SQLite still has one writer):
        it must guard each check it relies on with the ports' narrow locks
        (``requests.get(…, lock=True)``, ``assignments.hold(…)``) or make the
        change itself conditional (an ``UPDATE … WHERE`` state, a unique key).
        """
        ...

    @property
    def receipts(self) -> ReceiptRepository:
        """Slack requests saved before they were acknowledged (one statement each, outside
        any unit of work; see :mod:`storage.ports.receipts`)."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...
    def exclusive(self, name: str) -> Exclusive:
        """The role ``name`` that one process at a time holds (see :mod:`storage.ports.exclusive`)."""
        ...

    def describe(self) -> dict[str, object]:
        """What ``/healthz`` shows of the store: the engine and, with a pool, its use."""
        ...

    async def version(self) -> int:
        """A token that changes whenever anyone (this process or another) commits.

        Equal tokens mean nothing changed in between, so what was read may be
        served again; the value itself means nothing.
        """
        ...
