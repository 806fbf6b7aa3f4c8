"""Fixtures for the unit tests: a throw-away SQLite store, a fake clock and the service.

State is built only through the service and the repository API, never by
reaching into a store's internals, so the tests pin behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import pytest

from bot.blocks.primitives import render_error
from bot.domain.clock import FakeClock
from bot.domain.model import (
    Assignment,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    DomainError,
    Level,
    Membership,
    Request,
    RequestStatus,
    Role,
)
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from storage.sqlite import SqliteStore, throwaway_store

ADMIN = "UADMIN001"
ADMIN2 = "UADMIN002"
MEMBER = "UMEMBER01"
MEMBER2 = "UMEMBER02"
MEMBER3 = "UMEMBER03"
STRANGER = "USTRANGER"  # never in the directory

DIRECTORY = (
    DirectoryUser(MEMBER, "Mia Member", "mia@example.com"),
    DirectoryUser(MEMBER2, "Max Member", "max@example.com"),
    DirectoryUser(MEMBER3, "Mo Member", "mo@example.com"),
)

VS_ENT = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=2)
VS_PRO = Benefit("vs-pro", "Visual Studio Professional", Category.VISUAL_STUDIO, seats=5)
AZURE = Benefit("azure-credit", "Azure monthly credit", Category.CLOUD, seats=3)
M365 = Benefit(
    "m365-e3",
    "Microsoft 365 E3",
    Category.SOFTWARE,
    seats=5,
    description="Office apps and services",
    instructions="Use the key once, then follow the setup guide.",
)
SUPPORT = Benefit("psi", "Product support incidents", Category.TECHNICAL)
CO_SELL = Benefit("gtm-cosell", "ISV co-sell ready", Category.GTM)
BENEFITS = (VS_ENT, VS_PRO, AZURE, M365, SUPPORT, CO_SELL)

MEMBERSHIP = Membership(
    level=Level.SILVER,
    purchase_date=date(2025, 6, 1),
    end_date=date(2026, 5, 31),
    account_email="partner@example.com",
)

KNOWN_USERS = (ADMIN, ADMIN2, MEMBER, MEMBER2, MEMBER3, STRANGER)

AddBenefits = Callable[..., Awaitable[None]]


async def put_benefits(store: SqliteStore, *benefits: Benefit) -> None:
    """Put benefits into the inventory through the repository API."""
    async with store.write() as uow:
        for benefit in benefits:
            await uow.benefits.put(benefit)


@dataclass(frozen=True)
class Snapshot:
    """Everything the repository API shows about the known users and benefits."""

    audit: list[AuditEntry]
    roles: list[tuple[str, Role]]
    rows: list[BenefitRow]
    holders: dict[str, list[Assignment]]
    requests: dict[tuple[str, RequestStatus], list[Request]]
    users: dict[str, DirectoryUser | None]


async def snapshot(store: SqliteStore) -> Snapshot:
    """The observable state, to compare before and after a refusal."""
    async with store.read() as uow:
        total = await uow.benefits.count(category=None)
        rows = await uow.benefits.rows(category=None, offset=0, limit=total)
        return Snapshot(
            audit=await uow.audit.recent(100_000),
            roles=await uow.people.all_roles(),
            rows=rows,
            holders={r.benefit.id: await uow.assignments.active(r.benefit.id) for r in rows},
            requests={
                (user, status): await uow.requests.of_user(user, status=status)
                for user in KNOWN_USERS
                for status in RequestStatus
            },
            users={user: await uow.people.get_user(user) for user in KNOWN_USERS},
        )


async def audit_log(store: SqliteStore) -> list[AuditEntry]:
    """The whole audit log, oldest first."""
    async with store.read() as uow:
        return list(reversed(await uow.audit.recent(100_000)))


def rendered(error: DomainError) -> str:
    """The refusal as a person reads it; raises when a placeholder has no value."""
    return render_error(error)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store() -> AsyncIterator[SqliteStore]:
    """A Silver membership, the benefits above and three directory users; no roles."""
    fresh = throwaway_store()
    async with fresh.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        for user in DIRECTORY:
            await uow.people.put_user(user)
    await put_benefits(fresh, *BENEFITS)
    yield fresh
    await fresh.close()


@pytest.fixture
def bare_services(store: SqliteStore, clock: FakeClock) -> Services:
    """The service over ``store`` before anybody holds a role."""
    return build_services(store, clock=clock)


@pytest.fixture
async def services(bare_services: Services) -> Services:
    """The service with one Global admin, ``ADMIN``, granted by the operator."""
    assert await bare_services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    return bare_services


@pytest.fixture
def add_benefits(store: SqliteStore) -> AddBenefits:
    """Add more benefits to the inventory of ``store``."""

    async def add(*benefits: Benefit) -> None:
        await put_benefits(store, *benefits)

    return add


@pytest.fixture
async def cloud(services: Services, add_benefits: AddBenefits) -> Services:
    """The services with the cloud credits and Windows of ``tests.unit.helpers`` added."""
    from tests.unit.helpers import CLOUD_BENEFITS

    await add_benefits(*CLOUD_BENEFITS)
    return services
