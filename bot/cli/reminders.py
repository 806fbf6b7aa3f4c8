"""``benefits-bot reminders``: what the outbox holds, a page at a time."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from bot.cli.workspace import Named, open_workspace
from bot.domain.clock import SystemClock
from bot.domain.outbox import Ping, PingState
from bot.runtime.bootstrap import build_services
from bot.settings import StorageSettings

STATES = ("all", *(s.value for s in PingState))


async def list_reminders(
    storage: StorageSettings,
    named: Named,
    *,
    state: str,
    page: int,
    limit: int,
    console: Console,
) -> int:
    """Print one page of reminders in ``state`` (``all`` for every state); ``page`` from 1,
    of the workspace ``named`` (``--team``/``--enterprise``; none: the base's)."""
    chosen = None if state == "all" else PingState(state)
    async with open_workspace(storage, **named) as workspace:
        listing = await build_services(workspace.store, clock=SystemClock()).outbox.listing(
            state=chosen, page=page - 1, page_size=limit
        )
    what = "reminders" if chosen is None else f"{chosen.value} reminders"
    if not listing.total:
        console.print(f"No {what}.", markup=False)
        return 0
    table = Table(title=f"{what.capitalize()}: {listing.total}", title_justify="left", expand=False)
    for column in (
        "id",
        "state",
        "kind",
        "to",
        "key",
        "due / sent (UTC)",
        "tries",
        "Slack / error",
    ):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "state", "tries"))
    for ping in listing.items:
        table.add_row(*_row(ping))
    console.print(table)
    first = listing.page * listing.page_size + 1
    last = first + len(listing.items) - 1
    footer = f"{first}–{last} of {listing.total}, page {listing.page + 1} of {listing.pages}"
    if listing.has_next:
        footer += f"; next: --page {listing.page + 2}"
    console.print(footer, markup=False)
    return 0


def _row(ping: Ping) -> tuple[str, ...]:
    if ping.state is PingState.SENT:
        when = _time(ping.sent_at)
        slack = f"{ping.channel} {ping.ts}"
    else:
        when = _time(ping.due_at)
        slack = ping.last_error
    return (
        str(ping.id),
        ping.state.value,
        ping.kind,
        ping.recipient,
        ping.key,
        when,
        str(ping.attempts),
        slack,
    )


def _time(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
