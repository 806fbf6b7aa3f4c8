"""The workspace whose data the store holds: suspending sending to it, resuming, and
deleting its data (after a retention period, or on request).

The bot serves one workspace or Enterprise Grid org per database
(docs/installations.md), so every operation here acts on the whole store, keyed
by the tenant it records (:class:`bot.domain.tenancy.Tenant`); with tenancy (one
store per workspace or org) they become operations on that tenant's store as they are.

* **Suspend** (:meth:`TenancyService.suspend`): the app was uninstalled, or its
  bot token revoked (an event, or Slack refusing the token mid-delivery). In one
  write the tenant is marked suspended (since when, why) and every queued ping is
  parked with the reason as its error; the delivery loop then claims nothing and
  the reminder sweep queues nothing (:mod:`bot.services.reminders`).
* **Resume** (:func:`resume_in`): installed again, or started with a token Slack
  accepts. The suspension ends and the pings it parked are queued again (not
  those parked earlier for other reasons). Reminders that fell due while it
  lasted are skipped: the sweep moved its watermark on without queueing them.
* **Retention** (:meth:`TenancyService.expire`): suspended for ``retention``,
  the store's data is deleted, every table but the schema's bookkeeping.
* **On request** (:meth:`TenancyService.erase`): ``benefits-bot tenant delete``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from bot.domain.clock import Clock
from bot.domain.tenancy import Tenant, describe_tenant
from storage.unit_of_work import Store, UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_RETENTION: Final = timedelta(days=90)


class OtherTenant(Exception):
    """The store holds the data of another workspace or org than the one named."""

    def __init__(self, held: Tenant | None, named: str) -> None:
        where = "no workspace it knows of" if held is None else held.describe()
        super().__init__(f"this database holds the data of {where}, not of {named}")
        self.held = held


@dataclass(frozen=True, slots=True)
class Suspension:
    """What a suspension did: the tenant (as suspended) and how many pings it parked."""

    tenant: Tenant
    parked: int
    started: bool  # False: it was suspended already (more pings parked, nothing else)


async def resume_in(uow: UnitOfWork) -> int:
    """End the store's suspension inside ``uow``: the pings it parked are queued again;
    how many (0, and nothing changed, when it was not suspended)."""
    if not await uow.tenant_state.resume():
        return 0
    return await uow.outbox.requeue_suspended()


async def record_in(uow: UnitOfWork, tenant: Tenant) -> None:
    """Record ``tenant`` as the store's inside ``uow`` (its suspension, if any, kept).

    Raises:
        OtherTenant: The store holds another known workspace's or org's data.
    """
    held = await uow.tenant_state.get()
    if held is not None and held.known and held.key != tenant.key:
        raise OtherTenant(held, tenant.describe())
    if held is None or held.key != tenant.key:
        await uow.tenant_state.put(
            Tenant(
                *tenant.key,
                recorded_at=tenant.recorded_at,
                suspended_at=None if held is None else held.suspended_at,
                suspended_reason=None if held is None else held.suspended_reason,
            )
        )


async def erase_in(uow: UnitOfWork, tenant: Tenant) -> dict[str, int]:
    """Delete all of ``tenant``'s data in the store inside ``uow``: every table's rows,
    except the installations of other workspaces (the base store keeps every
    installation, :mod:`storage.tenants`), which stay as they were; the rows deleted
    per table."""
    others = [i for i in await uow.installations.all() if i.key != tenant.key]
    deleted = await uow.tenant_state.erase()
    for installation in others:
        await uow.installations.put(installation)
    if others:
        deleted["installations"] = deleted.get("installations", 0) - len(others)
    return deleted


class TenancyService:
    """Suspends, resumes and deletes the data of the store's workspace or org."""

    def __init__(
        self, store: Store, *, clock: Clock, retention: timedelta = DEFAULT_RETENTION
    ) -> None:
        self._store = store
        self._clock = clock
        self.retention = retention

    async def current(self) -> Tenant | None:
        """The workspace or org recorded for the store, and its suspension."""
        async with self._store.read() as uow:
            return await uow.tenant_state.get()

    async def suspended(self) -> bool:
        tenant = await self.current()
        return tenant is not None and tenant.suspended

    async def started(self, enterprise_id: str | None, team_id: str | None) -> int:
        """Slack accepted the bot's token for this workspace or org (start-up's
        ``auth.test``): record it as the store's, and end a suspension; how many
        pings were queued again.

        Raises:
            OtherTenant: The store holds another workspace's or org's data.
        """
        async with self._store.write() as uow:
            await record_in(uow, Tenant(enterprise_id, team_id, recorded_at=self._clock.now()))
            return await resume_in(uow)

    async def suspend(
        self,
        reason: str,
        *,
        enterprise_id: str | None = None,
        team_id: str | None = None,
        named: bool = False,
    ) -> Suspension | None:
        """Stop all sending: the tenant suspended and every queued ping parked, in one write.

        With ``named`` (an event that names its workspace) nothing happens unless
        ``enterprise_id``/``team_id`` are the store's tenant's (None is returned);
        a store that knows no tenant yet records the event's, and the installation
        (Add to Slack), whose token is dead, is deleted in the same write. Without it
        (Slack refused the bot's own token) the store's tenant is meant, whoever it
        is, and the installation stays.
        """
        async with self._store.write() as uow:
            now = self._clock.now()
            tenant = await uow.tenant_state.get()
            if tenant is not None and named and not tenant.serves(enterprise_id, team_id):
                return None
            if tenant is None or (not tenant.known and named):
                await uow.tenant_state.put(Tenant(enterprise_id, team_id, recorded_at=now))
            if named:  # the app uninstalled or its token revoked: the installation is dead
                held = await uow.tenant_state.get()
                assert held is not None
                await uow.installations.delete(*held.key)
            started = await uow.tenant_state.suspend(at=now, reason=reason)
            parked = await uow.outbox.park_all_queued(reason=reason)
            suspended = await uow.tenant_state.get()
        assert suspended is not None
        return Suspension(tenant=suspended, parked=parked, started=started)

    async def expire(self) -> dict[str, int] | None:
        """Delete the store's data once it has been suspended ``retention`` long (the
        periodic upkeep, one replica at a time); the rows deleted per table, or None
        when nothing was due."""
        async with self._store.write() as uow:
            tenant = await uow.tenant_state.get()
            due = None if tenant is None else tenant.expires_at(self.retention)
            if tenant is None or due is None or due > self._clock.now():
                return None
            deleted = await erase_in(uow, tenant)
        log.warning(
            "deleted the data of %s (%d rows in %d tables): suspended (%s) since %s, "
            "longer than the retention of %d days",
            tenant.describe(),
            sum(deleted.values()),
            sum(1 for rows in deleted.values() if rows),
            tenant.suspended_reason,
            tenant.suspended_at.isoformat() if tenant.suspended_at else "?",
            self.retention.days,
        )
        return deleted

    async def check(
        self, *, team_id: str | None = None, enterprise_id: str | None = None
    ) -> Tenant:
        """The store's tenant, if ``--team``/``--enterprise`` name it.

        Raises:
            OtherTenant: They name another workspace or org, or the store knows none.
        """
        tenant = await self.current()
        if tenant is None or not tenant.names(team_id=team_id, enterprise_id=enterprise_id):
            raise OtherTenant(tenant, describe_tenant(enterprise_id, team_id))
        return tenant

    async def erase(
        self, *, team_id: str | None = None, enterprise_id: str | None = None
    ) -> dict[str, int]:
        """Delete all of the store's data, which must be the named workspace's or org's
        (checked in the same write); the rows deleted per table.

        Raises:
            OtherTenant: The store holds another's data (nothing is deleted).
        """
        async with self._store.write() as uow:
            tenant = await uow.tenant_state.get()
            if tenant is None or not tenant.names(team_id=team_id, enterprise_id=enterprise_id):
                raise OtherTenant(tenant, describe_tenant(enterprise_id, team_id))
            deleted = await erase_in(uow, tenant)
        log.warning(
            "deleted the data of %s on request (%d rows in %d tables)",
            tenant.describe(),
            sum(deleted.values()),
            sum(1 for rows in deleted.values() if rows),
        )
        return deleted


__all__ = [
    "DEFAULT_RETENTION",
    "OtherTenant",
    "Suspension",
    "TenancyService",
    "erase_in",
    "record_in",
    "resume_in",
]
