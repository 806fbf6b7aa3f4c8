"""The requester's DM about a decision, and the update of every copy of the request,
are queued in the outbox with the decision itself."""

from __future__ import annotations

import pytest

from bot.domain.clock import FakeClock
from bot.domain.events import Event
from bot.domain.model import Role
from bot.domain.outbox import PingState
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.services.notices import Notice
from bot.services.reminders import Kind, ReminderService
from storage.sqlite import SqliteStore, throwaway_store
from storage.unit_of_work import UnitOfWork
from tests.unit.conftest import ADMIN, MEMBER, VS_ENT, put_benefits


async def make(store: SqliteStore, clock: FakeClock) -> tuple[Services, ReminderService]:
    await put_benefits(store, VS_ENT)
    services = build_services(store, clock=clock)
    await services.roles.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)
    return services, services.reminders


async def queued(store: SqliteStore) -> list[tuple[str, str, str]]:
    """What is queued, but the republication of Homes (tests/unit/test_home.py)."""
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=100)
    return [(p.key, p.recipient, p.kind) for p in pings if p.kind != Notice.HOME]


async def test_an_approval_queues_exactly_one_dm_to_the_requester() -> None:
    store, clock = throwaway_store(), FakeClock()
    services, _ = await make(store, clock)
    created = await services.requests.request_benefit(MEMBER, "vs-ent", "for the project")
    await services.requests.approve(ADMIN, created.request.id)
    request_id = created.request.id
    async with store.read() as uow:
        [post] = await uow.outbox.queued_with_prefix(f"request:{request_id}:post")
    assert await queued(store) == [
        (f"request:{request_id}:post", ADMIN, Notice.APPROVAL_REQUEST.value),
        (f"decision:{request_id}", MEMBER, Kind.REQUEST_DECIDED.value),
        (f"request:{request_id}:decided:{post.id}", ADMIN, Notice.REQUEST_DECIDED_COPY.value),
    ]


async def test_a_denial_queues_the_dm_with_its_reason() -> None:
    store, clock = throwaway_store(), FakeClock()
    services, _ = await make(store, clock)
    created = await services.requests.request_benefit(MEMBER, "vs-ent", "")
    await services.requests.deny(ADMIN, created.request.id, "Seats are for the sales team")
    async with store.read() as uow:
        pings = await uow.outbox.pings(state=PingState.QUEUED, offset=0, limit=10)
    [ping] = [p for p in pings if p.kind == Kind.REQUEST_DECIDED]
    assert ping.recipient == MEMBER
    assert ping.params["status"] == "denied"
    assert ping.params["note"] == "Seats are for the sales team"


async def test_when_queueing_the_dm_fails_the_approval_is_rolled_back_too() -> None:
    store, clock = throwaway_store(), FakeClock()
    services, _ = await make(store, clock)
    created = await services.requests.request_benefit(MEMBER, "vs-ent", "")

    async def broken_outbox(uow: UnitOfWork, event: Event) -> None:
        raise RuntimeError("outbox unavailable")

    services.events.subscribe_all(broken_outbox)
    with pytest.raises(RuntimeError):
        await services.requests.approve(ADMIN, created.request.id)
    async with store.read() as uow:
        assert await uow.assignments.count_active("vs-ent") == 0
        request = await uow.requests.get(created.request.id)
    assert request is not None
    assert request.status.value == "pending"
    # Only what the request itself queued: its post, with no DM and no update.
    assert await queued(store) == [
        (f"request:{created.request.id}:post", ADMIN, Notice.APPROVAL_REQUEST.value)
    ]
