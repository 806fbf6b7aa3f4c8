"""``benefits-bot tenant list|export|delete``: the workspaces with data in the database,
and a workspace's data, for a person's or a company's data request
(docs/installations.md, "Exporting or deleting a workspace's data").

``--team T…`` or ``--enterprise E…`` name the workspace (or Enterprise Grid org):
the one the base store recorded, or one with a store of its own
(:func:`bot.cli.workspace.open_workspace`); any other is refused with one line
and nothing is touched.

* ``export`` writes every table of the bot's data as JSON (to ``--out FILE`` or
  standard output), read in one snapshot with the tables ``copy-db`` copies
  (:mod:`storage.copying`). Product keys and the installation's tokens are left out
  (the JSON names the columns left out), and so are the OAuth states of installs
  under way; nothing secret is ever written, not even encrypted.
* ``delete`` deletes all of it, after a confirmation (``--yes`` skips it): the base
  store's rows in one transaction (:meth:`bot.services.tenancy.TenancyService.erase`),
  or the workspace's own store, dropped (:meth:`storage.tenants.Tenants.drop`), with
  its installation in the base store.
* ``list`` names the base store's workspace and each store's, and their suspensions.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.prompt import Confirm

from bot.cli.workspace import Named, Workspace, every_store, open_workspace, recorded_in
from bot.domain.clock import SystemClock
from bot.domain.tenancy import Tenant, describe_tenant
from bot.services.tenancy import OtherTenant, TenancyService
from bot.settings import StorageSettings
from storage.copying import BOOKKEEPING, CopyError, Tables, open_tables, ordered

PROGRESS_THRESHOLD: Final = 1000  # rows: fewer are written before a bar would show
# Secrets, even encrypted, and what is worth nothing outside the running bot.
LEFT_OUT_COLUMNS: Final[Mapping[str, frozenset[str]]] = {
    "product_keys": frozenset({"ciphertext"}),
    "installations": frozenset({"bot_token", "bot_refresh_token"}),
}
LEFT_OUT_TABLES: Final = frozenset({"oauth_states"})


def _value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _own(installation: Mapping[str, Any], tenant: Tenant) -> bool:
    """Whether an installation is the workspace's own: the base store keeps every
    workspace's installation, and an export holds its own alone."""
    key = (installation.get("enterprise_id") or None, installation.get("team_id") or None)
    return key == tenant.key


async def _write(tables: Tables, tenant: Tenant, out: IO[str], console: Console) -> int:
    """Every table's rows as JSON objects, table by table; how many rows."""
    names = [t for t in ordered(await tables.tables()) if t not in BOOKKEEPING | LEFT_OUT_TABLES]
    plan: list[tuple[str, list[str]]] = []
    left_out: dict[str, list[str]] = {}
    for table in names:
        columns = await tables.columns(table)
        hidden = LEFT_OUT_COLUMNS.get(table, frozenset())
        plan.append((table, [c for c in columns if c not in hidden]))
        if hidden & set(columns):
            left_out[table] = sorted(hidden & set(columns))
    head = {
        "workspace": {
            "enterprise_id": tenant.enterprise_id,
            "team_id": tenant.team_id,
            "suspended_at": None
            if tenant.suspended_at is None
            else tenant.suspended_at.isoformat(),
            "suspended_reason": tenant.suspended_reason,
        },
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "left_out": {
            "columns": left_out,
            "tables": sorted(LEFT_OUT_TABLES),
            "why": "product keys and Slack tokens are never exported, not even encrypted",
        },
    }
    written = 0
    async with tables.snapshot():
        total = sum([await tables.count(table) for table, _ in plan])
        columns_shown = (
            TextColumn("exporting {task.fields[table]}"),
            BarColumn(),
            MofNCompleteColumn(),
        )
        with Progress(
            *columns_shown,
            console=console,
            transient=True,
            disable=total < PROGRESS_THRESHOLD,
        ) as progress:
            task = progress.add_task("export", total=total, table="")
            out.write(json.dumps(head, indent=1)[:-2] + ',\n "tables": {')
            for number, (table, columns) in enumerate(plan):
                progress.update(task, table=table)
                out.write(("," if number else "") + f"\n  {json.dumps(table)}: [")
                first = True
                async for batch in tables.rows(table, columns):
                    for row in batch:
                        record = {c: _value(v) for c, v in zip(columns, row, strict=True)}
                        if table == "installations" and not _own(record, tenant):
                            continue
                        out.write(("," if not first else "") + "\n   " + json.dumps(record))
                        first = False
                        written += 1
                    progress.advance(task, len(batch))
                out.write("\n  ]" if not first else "]")
            out.write("\n }\n}\n")
    return written


async def export_tenant(
    storage: StorageSettings,
    named: Named,
    *,
    out: Path | None,
    console: Console,
) -> int:
    """Write the named workspace's data as JSON to ``out`` (standard output when None)."""
    async with open_workspace(storage, **named) as workspace:
        tenant = _checked(workspace, named, console)
        if tenant is None:
            return 1
        url = workspace.url or storage.database_url
    try:
        tables = await open_tables(url, migrate=False)
    except CopyError as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 1
    try:
        if out is None:
            written = await _write(tables, tenant, sys.stdout, console)
            sys.stdout.flush()
        else:
            with out.open("w", encoding="utf-8") as file:
                written = await _write(tables, tenant, file, console)
    except OSError as error:
        console.print(f"error: cannot write {out}: {error.strerror}", markup=False, soft_wrap=True)
        return 1
    finally:
        await tables.close()
    where = "" if out is None else f" to {out}"
    console.print(
        f"exported {written} rows of {tenant.describe()}{where} (no product keys or tokens)",
        markup=False,
        soft_wrap=True,
    )
    return 0


def _checked(workspace: Workspace, named: Named, console: Console) -> Tenant | None:
    """The workspace's tenant as its store recorded it (a store of its own that recorded
    none yet is the named one's by its name); None, and one line said, when the store
    recorded another."""
    recorded = workspace.recorded
    if workspace.in_base or (recorded is not None and recorded.known):
        if recorded is not None and recorded.names(
            team_id=named["team"], enterprise_id=named["enterprise"]
        ):
            return recorded
        other = OtherTenant(recorded, describe_tenant(named["enterprise"], named["team"]))
        console.print(f"error: {other}; nothing was done", markup=False, soft_wrap=True)
        return None
    return Tenant(named["enterprise"], named["team"], recorded_at=datetime.now(UTC))


def _confirmed(tenant: Tenant, console: Console) -> bool:
    try:
        return Confirm.ask(
            f"Delete all the data of {tenant.describe()} from this database? This cannot be undone",
            console=console,
            default=False,
        )
    except EOFError:  # no one to answer (standard input closed): not confirmed
        return False


async def delete_tenant(
    storage: StorageSettings,
    named: Named,
    *,
    yes: bool,
    console: Console,
) -> int:
    """Delete all of the named workspace's data, after a confirmation unless ``yes``: the
    base's rows when the base holds it, else its own store, dropped, and its installation."""
    async with open_workspace(storage, **named) as workspace:
        tenant = _checked(workspace, named, console)
        if tenant is None:
            return 1
        if not yes and not _confirmed(tenant, console):
            console.print("nothing was deleted", markup=False)
            return 1
        if workspace.in_base or workspace.tenants is None or workspace.key is None:
            service = TenancyService(workspace.store, clock=SystemClock())
            try:
                deleted = await service.erase(
                    team_id=named["team"], enterprise_id=named["enterprise"]
                )
            except OtherTenant as other:  # changed since it was checked
                console.print(f"error: {other}; nothing was done", markup=False, soft_wrap=True)
                return 1
            tables = sum(1 for rows in deleted.values() if rows)
            done = f"deleted {sum(deleted.values())} rows in {tables} tables"
        else:
            async with workspace.base.write() as uow:
                uninstalled = await uow.installations.delete(*tenant.key)
            await workspace.tenants.drop(workspace.key)
            done = "deleted its store" + (" and its installation" if uninstalled else "")
    Console(highlight=False).print(
        f"{done}: the data of {tenant.describe()} is gone", markup=False, soft_wrap=True
    )
    return 0


async def list_tenants(storage: StorageSettings) -> int:
    """Print every workspace with data in this database: the base's, then each store's."""
    out = Console(highlight=False)
    async with every_store(storage) as stores:
        for key, store in stores:
            held = await recorded_in(store)
            if key is None:
                where = "the base database (DATABASE_URL)"
                if held is None or not held.known:
                    out.print(f"no workspace recorded: {where}", markup=False, soft_wrap=True)
                    continue
            else:
                where = f"a store of its own ({key})"
            name = held.describe() if held is not None and held.known else f"{key} (not recorded)"
            out.print(f"{name}: {where}; {_state(held)}", markup=False, soft_wrap=True)
    return 0


def _state(tenant: Tenant | None) -> str:
    if tenant is None or tenant.suspended_at is None:
        return "active"
    since = tenant.suspended_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"suspended since {since} ({tenant.suspended_reason or 'no reason recorded'})"
