"""The ``benefits-bot`` command: run the bot, import the inventory, bootstrap roles."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from bot.cli.workspace import (
    Named,
    NoWorkspace,
    add_workspace_flags,
    every_store,
    open_workspace,
    recorded_in,
)
from bot.domain.clock import SystemClock
from bot.domain.model import DomainError, Role
from bot.domain.outbox import PingState
from bot.i18n.translate import t
from bot.runtime.logs import configure_logging
from bot.settings import (
    Settings,
    SettingsError,
    StorageSettings,
    forget_secrets_in_environment,
    load_settings,
)
from storage import DatabaseUnreachable, SchemaError
from storage.unit_of_work import Store

PROGRESS_THRESHOLD = 50
REMINDER_STATES = ("all", *(state.value for state in PingState))
AUDIT_PROGRESS_THRESHOLD = 2000
MAX_REMINDERS_PER_PAGE = 500
PLAYGROUND = (
    "playground running at {url} (no Slack token needed; nothing leaves this machine; "
    "Ctrl+C stops it)"
)
NO_TOKENS = (
    "no Slack tokens: starting the playground at {url}; set SLACK_BOT_TOKEN and "
    "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP) to connect to your workspace"
)


def _page_number(text: str) -> int:
    """``--page``: a whole number from 1."""
    try:
        page = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a page number (1, 2, 3 …)") from None
    if page < 1:
        raise argparse.ArgumentTypeError(f"{page} is not a page number: pages start at 1")
    return page


def _page_size(text: str) -> int:
    """``--limit``: a whole number from 1 to :data:`MAX_REMINDERS_PER_PAGE`."""
    try:
        limit = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of reminders per page (1 to {MAX_REMINDERS_PER_PAGE})"
        ) from None
    if not 1 <= limit <= MAX_REMINDERS_PER_PAGE:
        raise argparse.ArgumentTypeError(
            f"{limit} reminders per page is not possible: give 1 to {MAX_REMINDERS_PER_PAGE}"
        )
    return limit


def _port(text: str) -> int:
    """``--port``: 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def _moment(text: str) -> datetime:
    """``--start``: a date or a date and time, in UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD, or YYYY-MM-DDTHH:MM)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benefits-bot",
        description="Run Microsoft Partner Network benefits from Slack.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('benefits-bot')}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="start the bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    play = sub.add_parser(
        "playground",
        help="try the bot without Slack: the real bot and a stand-in workspace in a local web page",
    )
    play.add_argument(
        "--port", type=_port, default=3001, help="the page's port (default: 3001; 0: any free one)"
    )
    play.add_argument("--host", default="127.0.0.1", help="the address (default: 127.0.0.1)")
    play.add_argument(
        "--database",
        default="memory://",
        metavar="URL",
        help="a database URL as DATABASE_URL takes (default: a throw-away one)",
    )
    play.add_argument(
        "--inventory",
        type=Path,
        default=None,
        help="the inventory to load (default: examples/inventory.yaml)",
    )
    play.add_argument(
        "--start",
        type=_moment,
        default=None,
        metavar="YYYY-MM-DD[THH:MM]",
        help="the playground's clock starts at this moment, UTC (default: now)",
    )
    play.add_argument(
        "--no-tokens",
        action="store_true",
        help="say that it starts because no Slack token is set (scripts/start does)",
    )
    imp = sub.add_parser("import", help="load an inventory file (YAML) into the database")
    imp.add_argument("path", type=Path, help="the inventory file, e.g. examples/inventory.yaml")
    add_workspace_flags(imp)
    audit = sub.add_parser("audit", help="export the whole audit log")
    audit.add_argument(
        "--csv",
        action="store_true",
        required=True,
        help="write it as CSV to standard output (progress goes to standard error)",
    )
    add_workspace_flags(audit)
    sub.add_parser(
        "migrate",
        help="bring the database's schema up to date (each migration applied once)",
    )
    copy = sub.add_parser(
        "copy-db",
        help="copy every table (ids, outbox and audit log included) into an empty database",
    )
    copy.add_argument("source", help="e.g. sqlite:///benefits.db")
    copy.add_argument("target", help="e.g. postgresql://user:password@host:5432/benefits")
    sub.add_parser(
        "rotate-key",
        help="re-encrypt every stored product key under the first key of BENEFITS_ENCRYPTION_KEY",
    )
    rem = sub.add_parser("reminders", help="list the reminders queued, sent, parked or cancelled")
    rem.add_argument(
        "--state", default="all", choices=REMINDER_STATES, help="which ones (default: all)"
    )
    rem.add_argument(
        "--page", type=_page_number, default=1, help="page number, from 1 (default: 1)"
    )
    rem.add_argument(
        "--limit",
        type=_page_size,
        default=50,
        help=f"reminders per page, 1 to {MAX_REMINDERS_PER_PAGE} (default: 50)",
    )
    add_workspace_flags(rem)
    digest = sub.add_parser(
        "digest", help="print the weekly digest's text and write its chart (a PNG)"
    )
    digest.add_argument(
        "--out", type=Path, required=True, help="where to write the chart, e.g. report.png"
    )
    add_workspace_flags(digest)
    tenant = sub.add_parser(
        "tenant", help="list the workspaces, or export or delete all of a workspace's data"
    )
    actions = tenant.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "list", help="every workspace with data in this database, and whether it is suspended"
    )
    for action, what in (
        ("export", "write all of the workspace's data as JSON (no product keys or tokens)"),
        ("delete", "delete all of the workspace's data from the database, after a confirmation"),
    ):
        cmd = actions.add_parser(action, help=what)
        add_workspace_flags(cmd, required=True)
        if action == "export":
            cmd.add_argument(
                "--out",
                type=Path,
                default=None,
                metavar="FILE",
                help="the file to write (default: standard output)",
            )
        else:
            cmd.add_argument("--yes", action="store_true", help="delete without asking")
    roles = ", ".join(r.value for r in Role)
    for name, what in (("grant", "give"), ("revoke", "take away")):
        cmd = sub.add_parser(name, help=f"{what} a role, e.g. the first Global admin")
        cmd.add_argument(
            "user_id", help="a Slack user ID such as U0123ABCD (profile → ⋮ → Copy member ID)"
        )
        cmd.add_argument("role", help=f"one of: {roles}")
        add_workspace_flags(cmd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, highlight=False)
    try:
        if args.command == "run":
            settings: Settings = load_settings(Settings)
            forget_secrets_in_environment()  # the settings hold them now
            secrets: list[str] = []
            for given in (
                settings.slack_bot_token,
                settings.slack_signing_secret,
                settings.slack_app_token,
                settings.slack_client_secret,
            ):
                if given is not None:
                    secrets.append(given.get_secret_value())
            secrets += settings.encryption_keys()
            configure_logging(settings.benefits_log_level, secrets)
            from bot.runtime.server import serve

            asyncio.run(serve(settings))
            return 0
        if args.command == "playground":
            return _playground(args, console)
        if args.command == "copy-db":
            from bot.cli.database import copy_db

            return asyncio.run(copy_db(args.source, args.target, console))
        storage: StorageSettings = load_settings(StorageSettings)
        if args.command == "migrate":
            from bot.cli.database import migrate

            return asyncio.run(migrate(storage, console))
        if args.command == "rotate-key":
            return asyncio.run(_rotate_key(storage, console))
        if args.command == "tenant" and args.action == "list":
            from bot.cli.tenant import list_tenants

            return asyncio.run(list_tenants(storage))
        named = Named(team=args.team, enterprise=args.enterprise)
        if args.command == "import":
            return asyncio.run(_import(storage, named, args.path, console))
        if args.command == "reminders":
            from bot.cli.reminders import list_reminders

            return asyncio.run(
                list_reminders(
                    storage,
                    named,
                    state=args.state,
                    page=args.page,
                    limit=args.limit,
                    console=Console(highlight=False, width=max(Console().width, 160)),
                )
            )
        if args.command == "tenant":
            from bot.cli.tenant import delete_tenant, export_tenant

            if args.action == "export":
                return asyncio.run(
                    export_tenant(
                        storage,
                        named,
                        out=args.out,
                        console=console,
                    )
                )
            return asyncio.run(
                delete_tenant(
                    storage,
                    named,
                    yes=args.yes,
                    console=console,
                )
            )
        if args.command == "audit":
            return asyncio.run(_audit_csv(storage, named, console))
        if args.command == "digest":
            from bot.cli.digest import print_digest

            return asyncio.run(print_digest(storage, named, args.out, console))
        return asyncio.run(_role(storage, named, args.command, args.user_id, args.role, console))
    except SettingsError as error:
        for line in error.lines:
            console.print(f"[red]error:[/red] {line}", markup=True, soft_wrap=True)
        if error.note:
            console.print(error.note, markup=False, soft_wrap=True)
        return 2
    except (SchemaError, NoWorkspace) as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 2
    except DatabaseUnreachable as error:
        console.print(
            f"error: DATABASE_URL: {error}; is the server running, and the URL right?",
            markup=False,
            soft_wrap=True,
        )
        return 2


def _playground(args: argparse.Namespace, console: Console) -> int:
    from bot.playground.run import serve_playground
    from bot.services.inventory.schema import InventoryError

    configure_logging("WARNING", [])
    try:
        asyncio.run(
            serve_playground(
                host=args.host,
                port=args.port,
                database_url=args.database,
                inventory=args.inventory,
                start=args.start,
                announce=lambda url: Console(highlight=False).print(
                    (NO_TOKENS if args.no_tokens else PLAYGROUND).format(url=url),
                    markup=False,
                    soft_wrap=True,
                ),
            )
        )
    except InventoryError as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 1
    except OSError as error:
        console.print(
            f"error: the playground cannot listen on {args.host}:{args.port}: {error.strerror}; "
            "choose another with --port",
            markup=False,
            soft_wrap=True,
        )
        return 2
    return 0


async def _import(storage: StorageSettings, named: Named, path: Path, console: Console) -> int:
    from bot.runtime.bootstrap import build_services, key_vault
    from bot.services.inventory.importer import import_inventory
    from bot.services.inventory.loader import load_inventory
    from bot.services.inventory.schema import InventoryError

    try:
        inventory = load_inventory(path)
    except InventoryError as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 1
    try:
        async with open_workspace(storage, **named) as workspace:
            columns = (
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            )
            total = len(inventory.benefits)
            with Progress(
                *columns, console=console, transient=True, disable=total < PROGRESS_THRESHOLD
            ) as progress:
                task = progress.add_task("import", total=total)

                def advance(done: int, _total: int) -> None:
                    progress.update(task, completed=done)

                clock = SystemClock()
                vault = key_vault(storage)
                # Completions an import records are queued as reminders in the same
                # transaction, by the bot's own event subscriptions; the running bot
                # delivers them.
                services = build_services(workspace.store, clock=clock, vault=vault)
                report = await import_inventory(
                    workspace.store,
                    inventory,
                    clock=clock,
                    progress=advance,
                    vault=vault,
                    events=services.events,
                )
    except InventoryError as error:
        console.print(f"error: {error}", markup=False, soft_wrap=True)
        return 1
    Console(highlight=False).print(f"{path}: {report.summary()}", markup=False, soft_wrap=True)
    return 0


async def _rotate_key(storage: StorageSettings, console: Console) -> int:
    from bot.runtime.bootstrap import key_vault
    from bot.services.installations import TokensUnreadable, rotate_installation_tokens
    from bot.services.keys import SETTING, KeysUnreadable, rotate_keys

    vault = key_vault(storage)
    if vault is None:
        console.print(
            f"error: {SETTING} is not set: set it to the new key, a comma, then the old key "
            '(make a new one with `python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`)',
            markup=False,
            soft_wrap=True,
        )
        return 2
    tokens = 0
    count = 0
    done_in: list[str] = []
    try:
        async with every_store(storage) as stores:
            # The bot tokens of the installations (Add to Slack, kept in the base) first: a
            # token no key decrypts stops the command before any product key is touched.
            tokens = await rotate_installation_tokens(stores[0][1], vault)
            for key, store in stores:
                where = await _store_name(key, store)
                async with store.read() as uow:
                    total = len(await uow.keys.all_ciphertexts())
                columns = (
                    TextColumn(f"re-encrypting ({where})"),
                    BarColumn(),
                    MofNCompleteColumn(),
                )
                with Progress(
                    *columns, console=console, transient=True, disable=total < PROGRESS_THRESHOLD
                ) as progress:
                    task = progress.add_task("rotate", total=total)

                    def advance(done: int, _total: int, task: TaskID = task) -> None:
                        progress.update(task, completed=done)

                    rotated = await rotate_keys(store, vault, clock=SystemClock(), progress=advance)
                count += rotated
                done_in.append(where)
                if len(stores) > 1:
                    console.print(
                        f"{where}: re-encrypted {_keys(rotated)}", markup=False, soft_wrap=True
                    )
    except (KeysUnreadable, TokensUnreadable) as error:
        changed = []
        if tokens:
            changed.append("the installations' bot tokens")
        if done_in:
            changed.append(f"the product keys of {', '.join(done_in)}")
        unchanged = (
            f"nothing else was changed ({' and '.join(changed)} were re-encrypted)"
            if changed
            else "nothing was changed"
        )
        console.print(f"error: {error}; {unchanged}", markup=False, soft_wrap=True)
        return 1
    done = f"re-encrypted {_keys(count)}"
    if len(done_in) > 1:
        done += f" in {len(done_in)} workspaces' data"
    if tokens:
        done += f" and the bot token{'' if tokens == 1 else 's'} of {tokens} installation"
        done += "" if tokens == 1 else "s"
    done += f" under the first key of {SETTING}"
    if vault.key_count > 1:
        done += "; the older keys can now be dropped from it (restart the bot after changing it)"
    Console(highlight=False).print(done, markup=False, soft_wrap=True)
    return 0


def _keys(count: int) -> str:
    return f"{count} product key{'' if count == 1 else 's'}"


async def _store_name(key: str | None, store: Store) -> str:
    """What a progress line calls a store: its workspace, or the base database."""
    held = await recorded_in(store)
    if held is not None and held.known:
        return held.describe()
    return "the base database" if key is None else f"the store of {key}"


async def _role(
    storage: StorageSettings,
    named: Named,
    command: str,
    user_id: str,
    role_name: str,
    console: Console,
) -> int:
    from bot.runtime.bootstrap import build_services
    from handlers.commands.parser import parse_user_id

    try:
        role = Role(role_name.strip().lower().replace("-", "_"))
    except ValueError:
        console.print(
            f"error: there is no role {role_name!r}; roles: {', '.join(r.value for r in Role)}",
            markup=False,
        )
        return 2
    user = parse_user_id(user_id)
    if user is None:
        console.print(
            f"error: {user_id!r} is not a Slack user ID (like U0123ABCD: the person's profile → ⋮ → Copy member ID)",
            markup=False,
        )
        return 2
    try:
        async with open_workspace(storage, **named) as workspace:
            service = build_services(workspace.store, clock=SystemClock()).roles
            if command == "grant":
                changed = await service.bootstrap_grant(user, role)
                done = (
                    f"{user} now holds {role.value}"
                    if changed
                    else f"{user} already held {role.value}"
                )
            else:
                changed = await service.bootstrap_revoke(user, role)
                done = (
                    f"{user} no longer holds {role.value}"
                    if changed
                    else f"{user} did not hold {role.value}"
                )
            if workspace.key is not None:
                done += f" in {workspace.describe()}"
    except DomainError as error:
        console.print(f"error: {t(error.message, None, **_plain(error.params))}", markup=False)
        return 1
    Console(highlight=False).print(done, markup=False)
    return 0


async def _audit_csv(storage: StorageSettings, named: Named, console: Console) -> int:
    from bot.runtime.bootstrap import build_services

    async with open_workspace(storage, **named) as workspace:
        audit = build_services(workspace.store, clock=SystemClock()).audit
        total = await audit.count_entries()
        columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn())
        with Progress(
            *columns, console=console, transient=True, disable=total < AUDIT_PROGRESS_THRESHOLD
        ) as progress:
            task = progress.add_task("audit", total=total)

            def advance(done: int, expected: int) -> None:
                progress.update(task, completed=done, total=expected)

            written = await audit.export_csv(sys.stdout, progress=advance)
    sys.stdout.flush()
    console.print(f"{written} audit entries exported", markup=False)
    return 0


def _plain(params: dict[str, object]) -> dict[str, object]:
    return {k: (", ".join(map(str, v)) if isinstance(v, tuple) else v) for k, v in params.items()}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
