"""Tenants: each workspace, or Enterprise Grid org, keeps its data in a store of its own.

A *tenant* is what one installation of the bot serves: a Slack workspace
(its team ID, ``T…``) or, for an org-wide install, an Enterprise Grid org (its
enterprise ID, ``E…``), whose workspaces then share one membership, one set of
roles and one inventory. Each tenant's data lives apart, in a store of its
own beside the *base* store the bot was opened on:

* on SQLite, a file of its own in a folder beside the base file
  (``benefits.db`` → ``benefits.tenants/T0123ABCD.db``);
* on PostgreSQL, a schema of its own in the same database, named after the
  base's schema (``public`` → ``public__t0123abcd``), reached through the base's
  pool: each transaction of a tenant's store sets its ``search_path`` in the
  round trip of its ``BEGIN`` (:mod:`storage.postgres.store`).

A tenant's store is an ordinary :class:`~storage.unit_of_work.Store`, with the
same schema, migrations and ports as any other. So every query of a unit of
work is scoped to its tenant by where it runs, not by a condition each query
must remember: services built over one tenant's store cannot name another
tenant's rows at all. What a deployment shares stays in the base store: the
installations and OAuth states, the receipts and the roles one replica holds.

:class:`TenantRegistry` opens each tenant's store on first use (making and
migrating it) and keeps it open; the engines supply where a tenant's data
lives (:mod:`storage.sqlite.tenant_files`, :mod:`storage.postgres.tenant_schemas`).
"""

from __future__ import annotations

import asyncio
import re
from typing import Final, Protocol

from storage.unit_of_work import Store

TENANT_KEY: Final = re.compile(r"[TE][A-Z0-9]{2,30}")


class NotATenant(ValueError):
    """A tenant key that is not a Slack team or Enterprise Grid org ID."""


def tenant_key(text: str) -> str:
    """``text`` as a tenant key: a Slack team ID (``T…``) or Enterprise Grid org ID (``E…``)."""
    if not TENANT_KEY.fullmatch(text):
        shown = repr(text) if len(text) <= 40 and text.isprintable() else "that"
        raise NotATenant(
            f"{shown} is not a Slack team ID (such as T0123ABCD) or Enterprise Grid org ID (E…)"
        )
    return text


class Tenants(Protocol):
    """The tenants' stores beside one base store (see the module)."""

    @property
    def base(self) -> Store:
        """The store the deployment was opened on: installations, receipts, roles."""
        ...

    async def store(self, key: str) -> Store:
        """The store of tenant ``key``, made (and migrated) on first use, then kept open."""
        ...

    async def keys(self) -> list[str]:
        """The tenants that have a store, in order."""
        ...

    async def drop(self, key: str) -> bool:
        """Delete tenant ``key``'s store and everything in it; False if it had none."""
        ...

    def url(self, key: str) -> str:
        """A ``DATABASE_URL`` that reaches tenant ``key``'s data alone (``copy-db``, export)."""
        ...

    async def close(self) -> None:
        """Close the tenants' stores (the base stays open: its opener closes it)."""
        ...


class TenantRegistry:
    """What every engine's :class:`Tenants` shares: keys checked, each store made
    once however many ask at the same time, and kept open until dropped or closed."""

    def __init__(self, base: Store) -> None:
        self._base = base
        self._open: dict[str, Store] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._closed = False

    @property
    def base(self) -> Store:
        return self._base

    async def store(self, key: str) -> Store:
        found = self._open.get(key)
        if found is not None:
            return found
        key = tenant_key(key)
        async with self._turn(key):
            found = self._open.get(key)
            if found is None:
                if self._closed:
                    raise RuntimeError("the tenants are closed")
                found = await self._make(key)
                self._open[key] = found
        return found

    async def keys(self) -> list[str]:
        return sorted(set(await self._existing()) | set(self._open))

    async def drop(self, key: str) -> bool:
        key = tenant_key(key)
        async with self._turn(key):
            store = self._open.pop(key, None)
            if store is not None:
                await store.close()
            return await self._remove(key) or store is not None

    def url(self, key: str) -> str:
        return self._url(tenant_key(key))

    async def close(self) -> None:
        self._closed = True
        while self._open:
            _, store = self._open.popitem()
            await store.close()

    def _turn(self, key: str) -> asyncio.Lock:
        return self._turns.setdefault(key, asyncio.Lock())

    # What each engine supplies.

    async def _make(self, key: str) -> Store:
        raise NotImplementedError

    async def _existing(self) -> list[str]:
        raise NotImplementedError

    async def _remove(self, key: str) -> bool:
        raise NotImplementedError

    def _url(self, key: str) -> str:
        raise NotImplementedError
