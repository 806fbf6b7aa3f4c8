"""Many workspaces: each installation served from its own data, with its own token.

Installed with Add to Slack, the bot may be installed in any number of
workspaces and Enterprise Grid orgs. Each installation is a **tenant**, known
by its installation's key ``(enterprise_id, team_id)``: a workspace by its team,
an org-wide install by its org alone (every workspace of the org then shares
one membership, one set of roles, one inventory). In this process a tenant gets:

* its data: a store of its own (:mod:`storage.tenants`: a SQLite file, or a
  PostgreSQL schema on the base's pool), except the workspace installed first,
  whose data stays in the base store (so a deployment that served one workspace
  keeps it as it was);
* its :class:`~bot.runtime.container.Services`, built over that store: every
  listener a request of the tenant reaches, and every job run for it, reads and
  writes that tenant's rows alone;
* its :class:`~bot.runtime.oauth.InstalledToken` and a Web API client carrying
  that token, for what the bot sends on its own (delivery, languages, emails);
* its background work (reminders and delivery, started by ``start_bot``'s ``go_live``).

A tenant is made the first time it is needed (a request from it, its install,
or the start of the bot for every installation kept) and then kept. Which
tenant a Slack request belongs to is read from the request's team and org,
through the installations, and remembered: a warm tenant costs a request two
dictionary reads, no database round trip. :class:`TenantInstallations` is the
installation store Bolt authorizes with: it answers from the tokens kept here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.installations import BotInstallation, installation_key
from bot.domain.tenancy import describe_tenant
from bot.runtime.container import Services
from bot.runtime.installations import DatabaseInstallationStore, to_bot, to_installation
from bot.runtime.oauth import InstalledClient, InstalledToken
from bot.runtime.scheduler import ReminderRuntime
from bot.services.installations import InstallationService
from bot.services.tenancy import OtherTenant
from storage.tenants import Tenants
from storage.unit_of_work import Store

log = logging.getLogger(__name__)

Key = tuple[str | None, str | None]
"""An installation's key: ``(enterprise_id, team_id)``, no team for an org-wide install."""


def storage_key(key: Key) -> str:
    """The name of a tenant's store: its team ID, or its org's for an org-wide install."""
    enterprise_id, team_id = key
    name = team_id or enterprise_id
    if not name:
        raise ValueError("an installation names no workspace and no org")
    return name


@dataclass(eq=False)
class Tenant:
    """One installation as this process serves it."""

    key: Key
    services: Services
    store: Store  # where its data lives
    installed: InstalledToken
    client: AsyncWebClient  # carries the tenant's token: what the bot sends on its own
    in_base: bool  # its data lives in the base store
    reminders: ReminderRuntime | None = None  # its sweep and delivery, once started
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def describe(self) -> str:
        return describe_tenant(*self.key)


class Tenancy:
    """Every tenant this process serves (see the module)."""

    def __init__(
        self,
        *,
        base: Services,
        stores: Tenants,
        installations: InstallationService,
        make_services: Callable[[Store], Services],
        make_token: Callable[[Key], InstalledToken],
        make_client: Callable[[InstalledToken], InstalledClient],
        attach: Callable[[Services, AsyncWebClient], None],
        go_live: Callable[[Tenant], Awaitable[ReminderRuntime]],
    ) -> None:
        """``make_services`` builds a tenant's services over its store; ``attach`` points
        them at Slack with the tenant's client; ``go_live`` starts a tenant's background
        work (its languages, reminders and delivery)."""
        self.base = base
        self._stores = stores
        self._installations = installations
        self._make_services = make_services
        self._make_token = make_token
        self._make_client = make_client
        self._attach = attach
        self._go_live = go_live
        self._tenants: dict[Key, Tenant] = {}
        self._found: dict[tuple[str | None, str | None, bool], Key] = {}
        self._turns: dict[Key, asyncio.Lock] = {}
        self._idle: dict[str, Services] = {}  # stores of workspaces not served, by name
        self._expiring = asyncio.Lock()
        self._closed = False
        self.store = TenantInstallations(self, installations)

    # -- finding -----------------------------------------------------------------

    def cached(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool
    ) -> Tenant | None:
        """The tenant of a request from this team and org, when known here (no await)."""
        key = self._found.get((enterprise_id, team_id, org_wide))
        tenant = None if key is None else self._tenants.get(key)
        return tenant if tenant is not None and tenant.started.is_set() else None

    async def for_request(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool
    ) -> Tenant | None:
        """The tenant of a request from this team and org; None when no installation serves it."""
        tenant = self.cached(enterprise_id, team_id, org_wide)
        if tenant is not None:
            return tenant
        ids = (enterprise_id, team_id, org_wide)
        key = self._found.get(ids)
        if key is None:
            found = await self._installations.find(
                enterprise_id, team_id, is_enterprise_install=org_wide
            )
            if found is None:
                return None
            key = found.key
            self._found[ids] = key
        return await self.tenant(key)

    @property
    def running(self) -> list[Tenant]:
        return [t for t in self._tenants.values() if t.started.is_set()]

    @property
    def installed(self) -> list[Tenant]:
        """The running tenants with an installation (not uninstalled since)."""
        return [t for t in self.running if t.installed.installation is not None]

    @property
    def in_base(self) -> Tenant | None:
        """The running tenant whose data the base store holds, if any."""
        return next((t for t in self.running if t.in_base), None)

    # -- making ------------------------------------------------------------------

    async def tenant(self, key: Key) -> Tenant:
        """The tenant of installation ``key``, made and started the first time."""
        tenant = self._tenants.get(key)
        if tenant is not None and tenant.started.is_set():
            return tenant
        async with self._turns.setdefault(key, asyncio.Lock()):
            tenant = self._tenants.get(key)
            if tenant is None:
                if self._closed:
                    raise RuntimeError("the bot is stopping")
                tenant = await self._make(key)
                self._tenants[key] = tenant
            if not tenant.started.is_set():
                tenant.reminders = await self._go_live(tenant)
                tenant.started.set()
                log.info("serving %s", tenant.describe())
        return tenant

    async def start_all(self) -> int:
        """Make and start the tenant of every installation kept; how many."""
        for installation in await self._installations.all():
            try:
                await self.tenant(installation.key)
            except Exception as error:  # one tenant that cannot start must not stop the rest
                log.error(
                    "could not start %s: %s",
                    describe_tenant(*installation.key),
                    type(error).__name__,
                    exc_info=error,
                )
        return len(self.running)

    async def _make(self, key: Key) -> Tenant:
        services, store, in_base = await self._place(key)
        installed = self._make_token(key)
        await installed.load()
        client = self._make_client(installed)
        services.background = self.base.background  # one process: acknowledgements first
        services.installation_gone = self.gone
        self._attach(services, client)
        return Tenant(key, services, store, installed, client, in_base)

    async def _place(self, key: Key) -> tuple[Services, Store, bool]:
        """Where the tenant's data lives: a store of its own once it has one; else the
        base store when that holds no other workspace's data (the first installed);
        else a new store of its own."""
        held = await self.base.tenancy.current()
        own = storage_key(key) in await self._stores.keys()
        base_is_free = held is None or not held.known
        if (held is not None and held.key == key) or (base_is_free and not own):
            with suppress(OtherTenant):  # another's, recorded meanwhile by another replica
                await self.base.tenancy.started(*key)
                return self.base, self._stores.base, True
        store = await self._stores.store(storage_key(key))
        services = self._make_services(store)
        await services.tenancy.started(*key)
        return services, store, False

    async def expire_idle(self) -> int:
        """Delete the data of the workspaces this process does not serve (uninstalled,
        perhaps while the bot was stopped) once their retention has run out: a tenant's
        store is dropped, the base store emptied. How many were deleted. A running
        tenant's retention is its own upkeep's."""
        async with self._expiring:  # one at a time: a drop closes the store it reads
            return await self._expire_idle()

    async def _expire_idle(self) -> int:
        serving = {storage_key(t.key) for t in self._tenants.values() if not t.in_base}
        deleted = 0
        for name in await self._stores.keys():
            if name in serving:
                continue
            idle = self._idle.get(name)
            if idle is None:
                idle = self._idle[name] = self._make_services(await self._stores.store(name))
            if await idle.tenancy.expire() is not None:
                self._idle.pop(name, None)
                await self._stores.drop(name)
                deleted += 1
        if not any(t.in_base for t in self._tenants.values()):
            deleted += await self.base.tenancy.expire() is not None
        return deleted

    # -- installs and uninstalls --------------------------------------------------

    def saved(self, installation: BotInstallation) -> None:
        """An installation was saved (an install, a rotated token): its tenant's token."""
        tenant = self._tenants.get(installation.key)
        if tenant is not None:
            tenant.installed.replace(installation)

    def gone(self, key: Key) -> None:
        """An installation was deleted (the app uninstalled): its tenant sends nothing more."""
        self._found = {ids: k for ids, k in self._found.items() if k != key}
        tenant = self._tenants.get(key)
        if tenant is None:
            return
        tenant.installed.forget()
        if not tenant.in_base:  # its suspension was written in its own store
            self.base.background.spawn(
                self._installations.delete(*key), name="forget an installation"
            )

    # -- stopping ------------------------------------------------------------------

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Stop every tenant's background work (the shared background drained before)."""
        self._closed = True
        for tenant in list(self._tenants.values()):
            with suppress(Exception):
                if tenant.reminders is not None:
                    await tenant.reminders.stop(timeout=timeout)
                await tenant.services.locales.stop()
        await self._stores.close()


class TenantInstallations(DatabaseInstallationStore):
    """The installation store Bolt authorizes requests with, for many workspaces.

    Installs into any workspace or org are kept; each saved or deleted one is told
    to :class:`Tenancy`. Finding a request's bot answers from the tenant's token
    kept in memory when the tenant is running (no database round trip per request).
    """

    def __init__(self, tenancy: Tenancy, service: InstallationService) -> None:
        super().__init__(service, on_saved=tenancy.saved)
        self._tenancy = tenancy

    def _kept(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> BotInstallation | None:
        """The installation a running tenant keeps in memory for this team and org."""
        tenant = self._tenancy.cached(enterprise_id, team_id, bool(is_enterprise_install))
        return None if tenant is None else tenant.installed.installation

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        kept = self._kept(enterprise_id, team_id, is_enterprise_install)
        if kept is not None:
            return to_bot(kept)
        return await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        kept = self._kept(enterprise_id, team_id, is_enterprise_install)
        if kept is not None:
            # Bolt asks again with the user of every request but the installer's: the
            # bot keeps no per-person installations, so only the installer has one.
            if user_id is None or kept.installer_user_id == user_id:
                return to_installation(kept)
            if kept.installer_user_id is not None:
                return None
        return await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._tenancy.gone(installation_key(enterprise_id, team_id, team_id is None))


__all__ = ["Key", "Tenancy", "Tenant", "TenantInstallations", "storage_key"]
