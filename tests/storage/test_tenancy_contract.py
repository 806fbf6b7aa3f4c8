"""Suspending, resuming and deleting the store's workspace (``bot.services.tenancy``),
run against every store: a SQLite file, the throw-away database and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category
from bot.domain.outbox import NewPing, PingState
from bot.domain.tenancy import Reason, Tenant
from bot.runtime.installations import from_installation
from bot.services.installations import AnotherWorkspace, InstallationService
from bot.services.keys import KeyVault
from bot.services.outbox import OutboxService
from bot.services.reminders import ReminderService
from bot.services.tenancy import OtherTenant, TenancyService
from storage.unit_of_work import Store
from tests.unit.test_installations import workspace_install

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def ping(key: str, *, due: datetime | None = None) -> NewPing:
    return NewPing(key=key, recipient="U1", kind="test", params={}, due_at=due)


async def queue(store: Store, *pings: NewPing) -> None:
    async with store.write() as uow:
        await uow.outbox.enqueue(pings, at=T0)


async def states(store: Store) -> dict[str, tuple[PingState, str]]:
    async with store.read() as uow:
        found = await uow.outbox.pings(state=None, offset=0, limit=100)
    return {p.key: (p.state, p.last_error) for p in found}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def tenancy(store: Store, clock: FakeClock) -> TenancyService:
    service = TenancyService(store, clock=clock, retention=timedelta(days=90))
    await service.started(None, "T0001")
    return service


async def test_a_suspension_parks_every_queued_ping_and_nothing_sent_or_parked_before(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    outbox = OutboxService(store, clock=clock)
    await queue(store, ping("sent"), ping("failed"), ping("later", due=T0 + timedelta(days=3)))
    [sent, failed] = await outbox.claim(owner="a", limit=2, lease=LEASE)
    await outbox.delivered(sent, channel="D1", ts="1.0")
    await outbox.failed(failed, owner="a", error="user_not_found", permanent=True)
    await queue(store, ping("now"))

    suspension = await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)

    assert suspension is not None
    assert suspension.started
    assert suspension.tenant.suspended_at == T0
    assert suspension.tenant.suspended_reason == "uninstalled"
    found = await states(store)
    assert found["sent"] == (PingState.SENT, "")
    assert found["failed"] == (PingState.PARKED, "user_not_found")
    assert found["later"] == (PingState.PARKED, "uninstalled")
    assert found["now"] == (PingState.PARKED, "uninstalled")
    # the admins' notice about "failed", queued before, is parked as well
    assert suspension.parked == len([k for k, v in found.items() if v[1] == "uninstalled"])


async def test_while_suspended_nothing_is_claimed_not_even_pings_queued_since(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    outbox = OutboxService(store, clock=clock)
    await tenancy.suspend("token refused: token_revoked")
    await queue(store, ping("queued-while-suspended"))

    assert await outbox.claim(owner="a", limit=10, lease=LEASE) == []

    assert await tenancy.started(None, "T0001") == 0  # nothing was parked by it
    [claimed] = await outbox.claim(owner="a", limit=10, lease=LEASE)
    assert claimed.key == "queued-while-suspended"


async def test_a_ping_slack_took_while_the_suspension_parked_it_is_recorded_as_sent(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    outbox = OutboxService(store, clock=clock)
    await queue(store, ping("in-flight"))
    [held] = await outbox.claim(owner="a", limit=1, lease=LEASE)
    assert await outbox.send_started(held, owner="a")

    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)

    assert await outbox.delivered(held, channel="D1", ts="1.0")
    assert (await states(store))["in-flight"] == (PingState.SENT, "")
    assert await tenancy.started(None, "T0001") == 0  # not sent a second time


async def test_resuming_requeues_the_suspensions_pings_only(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    outbox = OutboxService(store, clock=clock)
    await queue(store, ping("earlier"))
    [earlier] = await outbox.claim(owner="a", limit=1, lease=LEASE)
    await outbox.failed(earlier, owner="a", error="channel_not_found", permanent=True)
    await queue(store, ping("a"), ping("b"))
    suspension = await tenancy.suspend(Reason.TOKEN_REVOKED, team_id="T0001", named=True)
    assert suspension is not None

    requeued = await tenancy.started(None, "T0001")

    assert requeued == suspension.parked
    found = await states(store)
    assert found["earlier"] == (PingState.PARKED, "channel_not_found")
    assert found["a"] == found["b"] == (PingState.QUEUED, "")
    tenant = await tenancy.current()
    assert tenant is not None
    assert not tenant.suspended


async def test_an_event_for_another_workspace_changes_nothing(
    store: Store, tenancy: TenancyService
) -> None:
    await queue(store, ping("a"))

    assert await tenancy.suspend(Reason.UNINSTALLED, team_id="T0002", named=True) is None

    assert (await states(store))["a"] == (PingState.QUEUED, "")
    assert not await tenancy.suspended()


async def test_an_org_wide_install_is_suspended_by_an_event_from_any_workspace_of_its_org(
    store: Store, clock: FakeClock
) -> None:
    tenancy = TenancyService(store, clock=clock)
    await tenancy.started("E0001", None)

    assert await tenancy.suspend(Reason.UNINSTALLED, enterprise_id="E0002", named=True) is None
    suspension = await tenancy.suspend(
        Reason.UNINSTALLED, enterprise_id="E0001", team_id="T0042", named=True
    )

    assert suspension is not None
    assert suspension.tenant.key == ("E0001", None)


async def test_a_second_suspension_keeps_the_first_moment_and_parks_what_was_queued_since(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)
    clock.advance(timedelta(hours=1))
    await queue(store, ping("since"))

    again = await tenancy.suspend(Reason.TOKEN_REVOKED, team_id="T0001", named=True)

    assert again is not None
    assert not again.started
    assert again.parked == 1
    assert again.tenant.suspended_at == T0
    assert again.tenant.suspended_reason == "uninstalled"


async def test_the_sweep_queues_nothing_while_suspended_and_skips_what_fell_due_meanwhile(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    reminders = ReminderService(store, clock=clock)
    async with store.write() as uow:
        await uow.benefits.put(
            Benefit(
                "win11",
                "Windows 11",
                Category.SOFTWARE,
                2,
                expires_on=(clock.now() + timedelta(days=10)).date(),
            )
        )
    await reminders.sweep()  # the watermark starts
    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)
    clock.advance(timedelta(days=5))  # the 7-day reminder falls due

    assert await reminders.sweep() == 0

    await tenancy.started(None, "T0001")
    clock.advance(timedelta(minutes=1))
    assert await reminders.sweep() == 0  # skipped, not sent late
    async with store.read() as uow:
        assert await uow.outbox.count(state=None) == 0


async def test_the_data_is_deleted_once_suspended_for_the_retention_period(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("win11", "Windows 11", Category.SOFTWARE, 2))
    await queue(store, ping("a"))
    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)
    clock.advance(timedelta(days=90) - timedelta(seconds=1))

    assert await tenancy.expire() is None

    clock.advance(timedelta(seconds=1))
    deleted = await tenancy.expire()

    assert deleted is not None
    assert (deleted["benefits"], deleted["outbox"], deleted["tenants"]) == (1, 1, 1)
    async with store.read() as uow:
        assert await uow.benefits.get("win11") is None
        assert await uow.outbox.count(state=None) == 0
        assert await uow.tenant_state.get() is None
    assert await tenancy.expire() is None


async def test_the_retention_keeps_the_installations_of_the_other_workspaces(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    """The base store keeps every workspace's installation: deleting its own workspace's
    data leaves the others' (served from stores of their own) as they were."""
    vault = KeyVault([KeyVault.generate_key()])
    installations = InstallationService(store, clock=clock, vault=vault)
    for team in ("T0001", "T0002", "T0003"):
        await installations.save(from_installation(workspace_install(team_id=team)))
    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)
    clock.advance(timedelta(days=90))

    deleted = await tenancy.expire()

    assert deleted is not None
    assert deleted["installations"] == 0  # its own went with the uninstall
    assert [i.key for i in await installations.all()] == [(None, "T0002"), (None, "T0003")]


async def test_nothing_is_deleted_while_sending_goes_on(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    clock.advance(timedelta(days=400))
    assert await tenancy.expire() is None


async def test_erasing_on_request_refuses_another_workspace_and_deletes_its_own(
    store: Store, tenancy: TenancyService
) -> None:
    async with store.write() as uow:
        await uow.benefits.put(Benefit("win11", "Windows 11", Category.SOFTWARE, 2))

    with pytest.raises(
        OtherTenant, match="holds the data of workspace T0001, not of workspace T0002"
    ):
        await tenancy.erase(team_id="T0002")
    with pytest.raises(OtherTenant):
        await tenancy.erase(enterprise_id="T0001")
    async with store.read() as uow:
        assert await uow.benefits.get("win11") is not None

    deleted = await tenancy.erase(team_id="T0001")

    assert deleted["benefits"] == 1
    async with store.read() as uow:
        assert await uow.benefits.get("win11") is None
        assert await uow.tenant_state.get() is None


async def test_a_start_with_another_workspaces_token_is_refused(
    store: Store, tenancy: TenancyService
) -> None:
    with pytest.raises(OtherTenant):
        await tenancy.started(None, "T0002")
    assert (await tenancy.current()) == Tenant(None, "T0001", recorded_at=T0)


async def test_an_install_into_another_workspace_is_refused_while_the_data_of_one_is_kept(
    store: Store, clock: FakeClock, tenancy: TenancyService
) -> None:
    await tenancy.suspend(Reason.UNINSTALLED, team_id="T0001", named=True)
    service = InstallationService(store, clock=clock, vault=KeyVault([KeyVault.generate_key()]))

    with pytest.raises(AnotherWorkspace):
        await service.save_sole(from_installation(workspace_install(team_id="T0002")))

    await service.save_sole(from_installation(workspace_install(team_id="T0001")))
    assert not await tenancy.suspended()
