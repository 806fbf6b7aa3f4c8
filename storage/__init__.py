"""Repositories behind the :class:`storage.base.Store` protocol."""

from __future__ import annotations

from storage.base import Repository, Store


async def open_store(database_url: str) -> Store:
    """Open the store that ``database_url`` names (``sqlite:///path`` or ``memory://``)."""
    if database_url == "memory://":
        from storage.memory import MemoryStore

        return MemoryStore()
    if database_url.startswith("sqlite:///"):
        from storage.sqlite import open_sqlite

        return await open_sqlite(database_url.removeprefix("sqlite:///"))
    raise ValueError("DATABASE_URL must start with sqlite:/// or be memory://")


__all__ = ["Repository", "Store", "open_store"]
