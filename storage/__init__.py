"""Storage: the per-area ports, the unit of work, and the SQLite store behind them."""

from __future__ import annotations

from storage.unit_of_work import Store, UnitOfWork


async def open_store(database_url: str) -> Store:
    """Open the store that ``database_url`` names (``sqlite:///path`` or ``memory://``).

    ``memory://`` is a throw-away SQLite database, deleted when the store closes.
    """
    if database_url == "memory://":
        from storage.sqlite import throwaway_store

        return throwaway_store()
    if database_url.startswith("sqlite:///"):
        from storage.sqlite import open_sqlite

        return await open_sqlite(database_url.removeprefix("sqlite:///"))
    raise ValueError("DATABASE_URL must start with sqlite:/// or be memory://")


__all__ = ["Store", "UnitOfWork", "open_store"]
