"""``benefits-bot migrate`` and ``benefits-bot copy-db``: the database's schema and moves.

``migrate`` brings the base store and every workspace's own store
(:mod:`storage.tenants`) up to date; ``copy-db`` copies the base database alone, and
refuses a source with workspaces' stores beside it (copying them is not supported yet).
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bot.settings import StorageSettings
from storage import DatabaseUnreachable, SchemaError, migrate_database, open_store, open_tenants
from storage.copying import CopyError, copy_database, open_tables


async def migrate(storage: StorageSettings, console: Console) -> int:
    """Apply the migrations the database, and each workspace's store in it, have not seen;
    say which version each is at."""
    if storage.database_url == "memory://":
        console.print("error: memory:// is made afresh on every start; nothing to migrate")
        return 2
    before, after = await migrate_database(storage.database_url)
    base = await open_store(storage.database_url, **storage.store_options())
    try:
        tenants = await open_tenants(base, migrate=False)
        keys = await tenants.keys()
        if keys:
            console.print(_went("the base database", before, after), markup=False)
        else:
            console.print(_went("the schema", before, after), markup=False)
        for number, key in enumerate(keys, 1):
            before, after = await migrate_database(tenants.url(key))
            console.print(_went(f"{key} ({number} of {len(keys)})", before, after), markup=False)
        await tenants.close()
    finally:
        await base.close()
    return 0


def _went(what: str, before: int, after: int) -> str:
    if before == after:
        return f"{what} is up to date (version {after})"
    return f"{what} went from version {before} to {after}"


async def _tenant_keys(database_url: str) -> list[str]:
    """The workspaces with a store of their own beside ``database_url``'s."""
    if database_url == "memory://":
        return []
    base = await open_store(database_url, migrate=False)
    try:
        tenants = await open_tenants(base, migrate=False)
        try:
            return await tenants.keys()
        finally:
            await tenants.close()
    finally:
        await base.close()


async def copy_db(source_url: str, target_url: str, console: Console) -> int:
    """Copy ``source_url`` into the empty ``target_url``, then compare rows per table."""
    try:
        try:
            tenants = await _tenant_keys(source_url)
        except SchemaError as error:
            raise CopyError(str(error)) from None
        if tenants:
            console.print(
                f"error: the source holds the data of {len(tenants)} more "
                f"workspace{'' if len(tenants) == 1 else 's'} in stores of their own "
                f"({', '.join(tenants)}); copy-db copies the base database alone, and "
                "copying workspaces' stores is not supported yet; nothing was copied",
                markup=False,
                soft_wrap=True,
            )
            return 2
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
