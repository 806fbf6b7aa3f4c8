"""What several of the services' unit test modules share: benefits, a state
snapshot, refusal checks and small store helpers; and, for the modules on
technical benefits, offers, support and the marketing contact, their benefits,
an event recorder and the services built around it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

import pytest

from bot.blocks.catalog import benefit_list_message
from bot.blocks.primitives import Message
from bot.blocks.requests import approval_request_message, decided_request_message, outcome_dm
from bot.domain.clock import FakeClock
from bot.domain.events import ActivationCompleted, Event
from bot.domain.model import (
    Activation,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    DirectoryUser,
    DomainError,
    MarketingContact,
    Page,
    Role,
    ServiceRequest,
    SupportKind,
)
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.services.core import EventBus
from bot.services.requests import Decision, RequestCreated
from storage.sqlite import SqliteStore
from storage.unit_of_work import UnitOfWork
from tests.unit.conftest import (
    ADMIN,
    AZURE,
    MEMBER,
    MEMBER2,
    MEMBER3,
    MEMBERSHIP,
    VS_ENT,
    AddBenefits,
    Snapshot,
    rendered,
    snapshot,
)

Operation = Callable[[Services, str, int], Awaitable[object]]


async def seats_used(store: SqliteStore, benefit_id: str) -> int:
    async with store.read() as uow:
        return await uow.assignments.count_active(benefit_id)


async def holders(store: SqliteStore, benefit_id: str) -> list[str | None]:
    async with store.read() as uow:
        return [a.user_id for a in await uow.assignments.active(benefit_id)]


CREDIT = Benefit(
    "azure-monthly",
    "Azure monthly credit $150",
    Category.CLOUD,
    seats=3,
    usage_based=True,
    monthly=True,
)
CREDIT_2 = Benefit("azure-dev", "Azure dev/test credit", Category.CLOUD, usage_based=True)
APPROVED_CREDIT = Benefit(
    "azure-approved", "Azure credit with approval", Category.CLOUD, usage_based=True, seats=2
)
APPROVED_CREDIT = replace(APPROVED_CREDIT, needs_approval=True)
ONE_SEAT_MONTHLY = Benefit(
    "azure-single", "Azure single credit", Category.CLOUD, seats=1, usage_based=True, monthly=True
)
ONE_SEAT_CREDIT = replace(ONE_SEAT_MONTHLY, id="azure-yearly", name="Azure yearly", monthly=False)
WINDOWS = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=10,
    languages=("English", "German", "Dutch"),
    operating_systems=("x64", "ARM64"),
    expires_on=date(2026, 6, 30),
    instructions="Redeem once per device.",
)

CLOUD_BENEFITS = (CREDIT, CREDIT_2, APPROVED_CREDIT, ONE_SEAT_MONTHLY, ONE_SEAT_CREDIT, WINDOWS)


@dataclass(frozen=True)
class State:
    base: Snapshot
    service_requests: list[ServiceRequest]
    holders: dict[str, list[str | None]]


@contextmanager
def refused(kind: type[DomainError], text: str) -> Iterator[None]:
    """Expect a refusal of ``kind`` whose rendered message contains ``text``."""
    with pytest.raises(kind) as caught:
        yield
    assert text in rendered(caught.value)


async def state(store: SqliteStore) -> State:
    """Everything these tests may change: the base snapshot, service requests, holders."""
    async with store.read() as uow:
        holders = {
            b.id: [a.user_id for a in await uow.assignments.active(b.id)] for b in CLOUD_BENEFITS
        }
        requests = await uow.service_requests.all()
    return State(await snapshot(store), requests, holders)


async def put_user(store: SqliteStore, user: str, email: str = "") -> None:
    async with store.write() as uow:
        await uow.people.put_user(DirectoryUser(user, email=email))


async def set_membership(store: SqliteStore, **changes: object) -> None:
    async with store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, **changes))  # type: ignore[arg-type]


async def email_of(store: SqliteStore, user: str) -> str:
    async with store.read() as uow:
        found = await uow.people.get_user(user)
    return found.email if found else ""


ROLE_ACTOR = "UROLEHOLD"
"""Someone given a role by a test, to check what the role allows."""


async def decide_approve(services: Services, actor: str, request_id: int) -> object:
    return await services.requests.approve(actor, request_id)


async def decide_deny(services: Services, actor: str, request_id: int) -> object:
    return await services.requests.deny(actor, request_id, "not this quarter")


async def decide_assign(services: Services, actor: str, request_id: int) -> object:
    return await services.seats.assign(actor, AZURE.id, MEMBER2)


async def decide_unassign(services: Services, actor: str, request_id: int) -> object:
    return await services.seats.unassign(actor, VS_ENT.id, MEMBER3)


# -- technical benefits, offers, support and the marketing contact --------------

PARTNER_ADMIN = "UPARTNER1"
AGENT = "UAGENT001"
USER_ADMIN = "UUSERADM1"

SIG_CLOUD = Benefit(
    "sig-cloud",
    "Signature cloud support",
    Category.TECHNICAL,
    support_kind=SupportKind.SIGNATURE_CLOUD,
)
INCIDENTS = Benefit(
    "psi-kind",
    "Product support incidents (on-premises)",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)
GOLD_CORE = Benefit("gold-core", "Gold core", Category.GTM)


@dataclass(frozen=True)
class ActivationState:
    """What the activation side of storage shows."""

    activations: list[Activation]
    contact: MarketingContact | None
    advisory_used: int
    audit: list[AuditEntry]


async def observed(store: SqliteStore) -> ActivationState:
    async with store.read() as uow:
        return ActivationState(
            activations=await uow.activations.all(),
            contact=await uow.marketing_contact.get(),
            advisory_used=await uow.advisory.hours_used(ADVISORY.id),
            audit=await uow.audit.recent(100_000),
        )


async def activation_of(store: SqliteStore, benefit_id: str) -> Activation | None:
    async with store.read() as uow:
        return await uow.activations.get(benefit_id)


class Recorder:
    """An event sink that remembers each event and whether it came inside a write."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.fail = False

    async def __call__(self, uow: UnitOfWork, event: Event) -> None:
        await uow.activations.get("anything")  # the unit of work is open
        self.events.append(event)
        if self.fail:
            raise RuntimeError("sink failed")

    @property
    def completions(self) -> list[ActivationCompleted]:
        return [e for e in self.events if isinstance(e, ActivationCompleted)]


async def technical_services(
    services: Services,
    store: SqliteStore,
    clock: FakeClock,
    add_benefits: AddBenefits,
    sink: Recorder,
) -> Services:
    """The services, with ``sink`` recording every event; ADMIN is Global admin,
    PARTNER_ADMIN an MPN partner admin."""
    await add_benefits(SIG_CLOUD, INCIDENTS, ADVISORY, GOLD_CORE)
    await services.roles.grant(ADMIN, PARTNER_ADMIN, Role.MPN_PARTNER_ADMIN)
    await services.roles.grant(ADMIN, AGENT, Role.ADMIN_AGENT)
    await services.roles.grant(ADMIN, USER_ADMIN, Role.USER_ADMIN)
    return build_services(store, clock=clock, page_size=3, events=EventBus.to_all([sink]))


async def with_contact(services: Services) -> MarketingContact:
    return await services.contact.set_marketing_contact(
        PARTNER_ADMIN,
        user_id=MEMBER,
        email="Marketing@Example.com",
        phone="+31 20 123 4567",
        language="nl",
    )


class LongRequests(NamedTuple):
    """A benefit with a long name and 4,000-character texts; MEMBER's request of it approved,
    MEMBER2's denied, each with a long reason; and the catalogue page that lists it."""

    benefit: Benefit
    created: RequestCreated
    denied: RequestCreated
    approved: Decision
    refused: Decision
    page: Page[BenefitRow]

    def messages(self) -> dict[str, Message]:
        """The request's messages and the page's, by name, in the reader's language."""
        return {
            "approval request": approval_request_message(
                self.created.request, self.created.benefit, self.created.seats_left
            ),
            "approved": decided_request_message(self.approved),
            "denied": decided_request_message(self.refused),
            "approved dm": outcome_dm(self.approved),
            "denied dm": outcome_dm(self.refused),
            "list": benefit_list_message(self.page, Category.VISUAL_STUDIO),
        }


async def long_requests(
    services: Services, add_benefits: AddBenefits, name: str, reason: str
) -> LongRequests:
    """:class:`LongRequests` of a Visual Studio benefit called ``name``, for ``reason``."""
    long_one = Benefit(
        "long-one",
        name,
        Category.VISUAL_STUDIO,
        seats=3,
        description="d" * 4000,
        instructions="i" * 4000,
    )
    await add_benefits(long_one)
    created = await services.requests.request_benefit(MEMBER, long_one.id, reason)
    denied = await services.requests.request_benefit(MEMBER2, long_one.id, reason)
    approved = await services.requests.approve(ADMIN, created.request.id)
    refused = await services.requests.deny(ADMIN, denied.request.id, reason)
    page = await services.catalog.list_benefits(MEMBER, category=Category.VISUAL_STUDIO)
    return LongRequests(long_one, created, denied, approved, refused, page)
