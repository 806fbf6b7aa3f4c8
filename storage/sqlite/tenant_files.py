"""The SQLite tenants: a file per tenant, in a folder beside the base file.

``benefits.db`` keeps its tenants in ``benefits.tenants/``, one file each,
named after the tenant (``T0123ABCD.db``), each an ordinary store opened (and
migrated) on first use. Dropping a tenant deletes its file with its WAL. A
throw-away base (``memory://``) has throw-away tenants, gone when closed.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from storage.sqlite.store import SqliteStore, open_sqlite
from storage.sqlite.throwaway import throwaway_store
from storage.tenants import TENANT_KEY, TenantRegistry
from storage.unit_of_work import Store

SUFFIX = ".db"
_SIDE_FILES = ("-wal", "-shm")


def folder_of(base_path: str) -> Path:
    """Where the tenants of the base file ``base_path`` live."""
    path = Path(base_path)
    return path.with_name(f"{path.stem}.tenants")


class SqliteTenants(TenantRegistry):
    """:class:`storage.tenants.Tenants` of a SQLite base store."""

    def __init__(self, base: SqliteStore, *, migrate: bool = True) -> None:
        super().__init__(base)
        self._sqlite = base
        self._throwaway = base.throwaway
        self._folder = folder_of(base.path)
        self._migrate = migrate

    def _path(self, key: str) -> Path:
        return self._folder / f"{key}{SUFFIX}"

    async def _make(self, key: str) -> Store:
        if self._throwaway:
            store = throwaway_store()
        else:
            self._folder.mkdir(exist_ok=True)
            store = await open_sqlite(self._path(key), migrate=self._migrate)
        store.receipts = self._sqlite.receipts  # the deployment's, as on PostgreSQL
        return store

    async def _existing(self) -> list[str]:
        if self._throwaway or not self._folder.is_dir():
            return []
        names = (entry.name.removesuffix(SUFFIX) for entry in self._folder.glob(f"*{SUFFIX}"))
        return [name for name in names if TENANT_KEY.fullmatch(name)]

    async def _remove(self, key: str) -> bool:
        if self._throwaway:
            return False
        path = self._path(key)
        existed = path.exists()
        for name in (str(path), *(f"{path}{side}" for side in _SIDE_FILES)):
            with suppress(FileNotFoundError):
                os.remove(name)
        return existed

    def _url(self, key: str) -> str:
        if self._throwaway:
            raise ValueError("a throw-away database's tenants have no URL")
        return f"sqlite:///{self._path(key)}"
