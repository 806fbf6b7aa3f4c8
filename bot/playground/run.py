"""``benefits-bot playground``: the real bot, a stand-in workspace and a page to use it from.

:func:`start_playground` loads an inventory into a fresh database (or the one
given), makes a throw-away encryption key and a signing secret, seeds a cast
with their roles, starts the :class:`~bot.playground.workspace.Workspace` and
then the bot itself with :func:`bot.runtime.server.start_bot` — the same Bolt
app, services, store, outbox, delivery loop and reminder sweep as ``run`` —
with its Web API pointed at the workspace and a :class:`MovableClock`. Moving
that clock on the page runs the reminder sweep at once, on the moved time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.domain.model import Role
from bot.domain.outbox import Ping
from bot.playground.clock import MovableClock
from bot.playground.workspace import Channel, Person, Workspace
from bot.runtime.bootstrap import build_services, key_vault
from bot.runtime.server import EVENTS_PATH, RunningBot, start_bot
from bot.services.inventory.importer import import_inventory
from bot.services.inventory.loader import load_inventory
from bot.services.keys import SETTING
from bot.settings import Settings
from storage import Store, open_store

log = logging.getLogger(__name__)

DEFAULT_PORT = 3001
ADMIN_CHANNEL = Channel("C0ADMINS01", "benefits-admins")
GENERAL = Channel("C0GENERAL1", "general")
PANEL_ROWS = 30  # outbox rows and audit entries the page lists
PANEL_POLL = 0.5  # seconds between two looks at the outbox and the audit log

# The cast: who the page lets you be. Ada holds a Windows 11 seat in the example
# inventory; Jan is a holder that inventory names by email, found by users.lookupByEmail.
CAST: tuple[tuple[Person, tuple[Role, ...]], ...] = (
    (Person("U024BE7LH", "Ada Member", "member, holds Windows 11"), ()),
    (Person("U0GLOBAL01", "Gloria Global", "Global admin"), (Role.GLOBAL_ADMIN,)),
    (Person("U0GLOBAL02", "Gus Global", "Global admin"), (Role.GLOBAL_ADMIN,)),
    (Person("U0MPNADM01", "Mira Partner", "MPN partner admin"), (Role.MPN_PARTNER_ADMIN,)),
    (Person("U0USERADM1", "Uma Directory", "User management admin"), (Role.USER_ADMIN,)),
    (
        Person("U0JDEVRIES", "Jan de Vries", "member, holds Windows 11", "j.devries@contoso.com"),
        (),
    ),
)


def default_inventory() -> Path:
    """``examples/inventory.yaml`` of the current directory, else of this checkout."""
    here = Path("examples/inventory.yaml")
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / "examples" / "inventory.yaml"


@dataclass
class Playground:
    workspace: Workspace
    bot: RunningBot
    clock: MovableClock
    _panel: asyncio.Task[None] | None = None
    _stopping: bool = False

    @property
    def url(self) -> str:
        return self.workspace.page_url

    async def clock_moved(self, _: timedelta) -> None:
        """Sweep on the moved time at once (the schedule would take up to a minute)."""
        if self.bot.reminders is not None:
            await self.bot.reminders.scheduler.sweep_now(fresh=True)
            self.bot.reminders.delivery.wake()
        await self.refresh_panel()

    async def refresh_panel(self) -> None:
        async with self.bot.store.read() as uow:
            total = await uow.outbox.count(state=None)
            pings = await uow.outbox.pings(
                state=None, offset=max(0, total - PANEL_ROWS), limit=PANEL_ROWS
            )
            entries = await uow.audit.recent(PANEL_ROWS)
        self.workspace.set_panel(
            outbox=[_ping_row(p) for p in reversed(pings)],
            audit=[
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "detail": e.detail,
                }
                for e in entries
            ],
        )

    async def _watch_panel(self) -> None:
        """Look at the outbox and audit log after every Web API call and page request,
        and every half second besides (a change may queue a message without a call)."""
        activity = self.workspace.activity
        while not self._stopping:
            activity.clear()
            with suppress(Exception):  # a closing store: the loop ends next
                await self.refresh_panel()
            waiter = asyncio.ensure_future(activity.wait())
            await asyncio.wait({waiter}, timeout=PANEL_POLL)
            waiter.cancel()

    async def stop(self) -> None:
        self._stopping = True
        self.workspace.activity.set()
        if self._panel is not None:
            await asyncio.wait({self._panel}, timeout=5)
            self._panel.cancel()
        await self.bot.stop(timeout=5)
        await self.workspace.stop()


def _ping_row(ping: Ping) -> dict[str, Any]:
    return {
        "id": ping.id,
        "kind": ping.kind,
        "recipient": ping.recipient,
        "state": ping.state.value,
        "due_at": ping.due_at.isoformat(),
        "attempts": ping.attempts,
        "last_error": ping.last_error,
    }


async def start_playground(
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    database_url: str = "memory://",
    inventory: Path | None = None,
    start: datetime | None = None,
) -> Playground:
    """Start the workspace and the bot; returns once the page can be opened.

    ``BENEFITS_ENCRYPTION_KEY`` is used when set (a database given with
    ``database_url`` may hold keys from an earlier playground); otherwise a
    throw-away key is made.
    """
    clock = MovableClock(start)
    signing_secret = secrets.token_hex(16)
    encryption_key = os.environ.get(SETTING) or Fernet.generate_key().decode()
    workspace = Workspace(
        people=[person for person, _ in CAST],
        channels=[GENERAL, ADMIN_CHANNEL],
        signing_secret=signing_secret,
        clock=clock,
        host=host,
        port=port,
    )
    await workspace.start()
    try:
        settings = Settings(
            slack_bot_token=f"xoxb-playground-{secrets.token_hex(8)}",
            slack_signing_secret=signing_secret,
            slack_app_token=None,
            slack_api_url=workspace.api_url,
            database_url=database_url,
            benefits_encryption_key=encryption_key,
            port=0,
            benefits_host="127.0.0.1",
            benefits_admin_channel=ADMIN_CHANNEL.id,
            # Off by default in a real workspace; here, moving the clock shows it too.
            benefits_remind_vs_reassignable=True,
            shutdown_timeout=5.0,
        )
        store = await open_store(settings.database_url, **settings.store_options())
        try:
            await _seed(store, settings, clock, inventory or default_inventory())
        except BaseException:
            await store.close()
            raise
        bot = await start_bot(settings, clock=clock, store=store)
    except BaseException:
        await workspace.stop()
        raise
    workspace.connect(f"http://127.0.0.1:{bot.port}{EVENTS_PATH}")
    playground = Playground(workspace, bot, clock)
    workspace.on_clock_moved = playground.clock_moved
    playground._panel = asyncio.create_task(playground._watch_panel(), name="playground panel")
    return playground


async def _seed(store: Store, settings: Settings, clock: MovableClock, inventory: Path) -> None:
    """Import the inventory (again: an import changes only what differs) and grant the roles."""
    vault = key_vault(settings)
    services = build_services(store, clock=clock, vault=vault)
    await import_inventory(
        store, load_inventory(inventory), clock=clock, vault=vault, events=services.events
    )
    for person, roles in CAST:
        for role in roles:
            await services.roles.bootstrap_grant(person.id, role, operator="playground")


async def serve_playground(
    *,
    host: str,
    port: int,
    database_url: str,
    inventory: Path | None,
    start: datetime | None,
    announce: Callable[[str], object] = print,
) -> None:
    """Run until SIGTERM or SIGINT; ``announce`` gets the page's address once it listens."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    playground = await start_playground(
        host=host, port=port, database_url=database_url, inventory=inventory, start=start
    )
    announce(playground.url)
    try:
        await stop.wait()
    finally:
        await playground.stop()
