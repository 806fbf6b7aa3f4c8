"""``--team T…`` / ``--enterprise E…``: which workspace's data a command of the CLI acts on.

The database ``DATABASE_URL`` names (the *base* store) holds the data of the
workspace it recorded (the first installed with Add to Slack, or token mode's);
every other workspace, or Enterprise Grid org for an org-wide install, has a
store of its own beside it (:mod:`storage.tenants`, named by
:func:`bot.runtime.tenancy.storage_key`). :func:`open_workspace` opens the store a
command should act on:

* no flag: the base store, as before tenants;
* ``--team``/``--enterprise``: the base store when it recorded that workspace or
  org, else its own store when it has one; else :class:`NoWorkspace` (one line)
  and nothing is made.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypedDict

from bot.domain.tenancy import Tenant, describe_tenant
from bot.settings import StorageSettings
from storage import Tenants, open_store, open_tenants
from storage.tenants import NotATenant, tenant_key
from storage.unit_of_work import Store


class Named(TypedDict):
    """``--team``/``--enterprise`` as given (at most one of them)."""

    team: str | None
    enterprise: str | None


class NoWorkspace(Exception):
    """``--team``/``--enterprise`` name a workspace or org with no data in this database."""


def _slack_id(first: str, what: str) -> Callable[[str], str]:
    """``--team``/``--enterprise``: a tenant key (:func:`storage.tenants.tenant_key`) of one kind."""

    def parse(text: str) -> str:
        try:
            key = tenant_key(text.strip())
        except NotATenant as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        if not key.startswith(first):
            raise argparse.ArgumentTypeError(f"{key} is not {what} (like {first}0123ABCD)")
        return key

    return parse


team_id = _slack_id("T", "a workspace's team ID")
enterprise_id = _slack_id("E", "an Enterprise Grid org ID")


def add_workspace_flags(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--team T…`` or ``--enterprise E…`` (one of them, or neither unless ``required``)."""
    named = parser.add_mutually_exclusive_group(required=required)
    default = "" if required else " (default: the workspace of the database DATABASE_URL names)"
    named.add_argument(
        "--team",
        type=team_id,
        metavar="T…",
        help=f"the workspace's ID, e.g. T0123ABCD{default}",
    )
    named.add_argument(
        "--enterprise",
        type=enterprise_id,
        metavar="E…",
        help="the Enterprise Grid org's ID, for an org-wide install, e.g. E0123ABCD",
    )


@dataclass(frozen=True, slots=True)
class Workspace:
    """The store a command acts on, and where it is."""

    store: Store  # the named workspace's data (the base store without a flag)
    base: Store  # the store DATABASE_URL names
    tenants: Tenants | None  # opened when a flag named a workspace
    key: str | None  # the tenant key named (None: no flag)
    recorded: Tenant | None  # the workspace the store recorded

    @property
    def in_base(self) -> bool:
        return self.store is self.base

    @property
    def url(self) -> str | None:
        """A URL that reaches the store alone; None for the base (``DATABASE_URL``)."""
        return None if self.tenants is None or self.key is None else self.tenants.url(self.key)

    def describe(self) -> str:
        if self.recorded is not None and self.recorded.known:
            return self.recorded.describe()
        if self.key is None:
            return "the database's workspace"
        return describe_tenant(*_named(self.key))


def _named(key: str) -> tuple[str | None, str | None]:
    """A tenant key as (enterprise_id, team_id)."""
    return (key, None) if key.startswith("E") else (None, key)


async def recorded_in(store: Store) -> Tenant | None:
    async with store.read() as uow:
        return await uow.tenant_state.get()


@asynccontextmanager
async def open_workspace(
    storage: StorageSettings, *, team: str | None = None, enterprise: str | None = None
) -> AsyncIterator[Workspace]:
    """The store of the workspace ``--team``/``--enterprise`` name (see the module), closed after.

    Raises:
        NoWorkspace: Neither the base nor a store of its own holds that workspace's data.
    """
    from bot.runtime.tenancy import storage_key  # the runtime's rule; imported when needed

    options = storage.store_options()
    base = await open_store(storage.database_url, **options)
    tenants: Tenants | None = None
    try:
        held = await recorded_in(base)
        if team is None and enterprise is None:
            yield Workspace(base, base, None, None, held)
            return
        key = storage_key((enterprise, team))
        if held is not None and held.names(team_id=team, enterprise_id=enterprise):
            yield Workspace(base, base, None, key, held)
            return
        tenants = await open_tenants(base, migrate=bool(options["migrate"]))
        if key not in await tenants.keys():
            hint = (
                "the bot records its workspace when it is installed, or when "
                "`benefits-bot run` starts with a token Slack accepts"
                if held is None or not held.known
                else "`benefits-bot tenant list` names the workspaces it holds"
            )
            raise NoWorkspace(
                f"no data for {describe_tenant(enterprise, team)} in this database ({hint})"
            )
        store = await tenants.store(key)
        yield Workspace(store, base, tenants, key, await recorded_in(store))
    finally:
        if tenants is not None:
            await tenants.close()
        await base.close()


@asynccontextmanager
async def every_store(storage: StorageSettings) -> AsyncIterator[list[tuple[str | None, Store]]]:
    """The base store (key None) and every tenant's store (by key), closed after."""
    options = storage.store_options()
    base = await open_store(storage.database_url, **options)
    try:
        tenants = await open_tenants(base, migrate=bool(options["migrate"]))
        try:
            stores: list[tuple[str | None, Store]] = [(None, base)]
            for key in await tenants.keys():
                stores.append((key, await tenants.store(key)))
            yield stores
        finally:
            await tenants.close()
    finally:
        await base.close()


__all__ = [
    "Named",
    "NoWorkspace",
    "Workspace",
    "add_workspace_flags",
    "enterprise_id",
    "every_store",
    "open_workspace",
    "recorded_in",
    "team_id",
]
