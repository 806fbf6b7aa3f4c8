"""``benefits-bot migrate`` and ``benefits-bot copy-db``: the database's schema and moves."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.settings import StorageSettings
from storage import DatabaseUnreachable, migrate_database
from storage.copying import CopyError, copy_database, open_tables


async def migrate(storage: StorageSettings, console: Console) -> int:
    """Apply the migrations the database has not seen; say which version it is at."""
    if storage.database_url == "memory://":
        console.print("error: memory:// is made afresh on every start; nothing to migrate")
        return 2
    before, after = await migrate_database(storage.database_url)
    if before == after:
        console.print(f"the schema is up to date (version {after})")
    else:
        console.print(f"the schema went from version {before} to {after}")
    return 0


async def copy_db(source_url: str, target_url: str, console: Console) -> int:
    """Copy ``source_url`` into the empty ``target_url``, then compare rows per table."""
    try:
        source = await open_tables(source_url, migrate=False)
        try:
            target = await open_tables(target_url, migrate=True)
            try:

                def progress(table: str, done: int, total: int) -> None:
                    if done == total:
                        console.print(f"copied {table}: {done} rows")

                counts = await copy_database(source, target, progress=progress)
            finally:
                await target.close()
        finally:
            await source.close()
    except (CopyError, DatabaseUnreachable) as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 1
    except ValueError as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 2
    check = Table("table", "source", "target", title="rows per table, counted on both sides")
    for table, (in_source, in_target) in counts.items():
        check.add_row(table, str(in_source), str(in_target))
    console.print(check)
    total = sum(in_target for _, in_target in counts.values())
    console.print(f"copied {total} rows in {len(counts)} tables; the counts match")
    return 0
