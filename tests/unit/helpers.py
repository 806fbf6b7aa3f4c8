"""What several of the services' unit test modules share: benefits, a state
snapshot, refusal checks and small store helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import pytest

from bot.domain.model import (
    Benefit,
    Category,
    DirectoryUser,
    DomainError,
    ServiceRequest,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    AZURE,
    MEMBER2,
    MEMBER3,
    MEMBERSHIP,
    VS_ENT,
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
