"""Reminders at run time: APScheduler runs the sweep, a task runs the delivery loop.

Started by ``start_bot`` inside the running event loop and stopped by
``RunningBot.stop`` (so on SIGTERM). The jobs hold no rule: the sweep job asks
:meth:`bot.services.reminders.ReminderService.sweep` what fell due and wakes the
delivery loop, which sends what the outbox holds.

The sweep runs once at start and then every ``BENEFITS_SWEEP_INTERVAL_SECONDS``;
missed runs (a blocked loop, a sleeping laptop) are coalesced into one and
run however late (``misfire_grace_time=None``). What fell due while the bot
was down is not lost either way: the sweep covers everything since its stored
watermark.

With several replicas on one PostgreSQL database the sweep runs on one at a
time: each run first asks the ``reminder-sweep`` role
(:mod:`storage.ports.exclusive`, a session advisory lock) and sweeps only
while it holds it. The others keep asking on the same schedule, so when the
holder dies its session and lock end with it and the next replica to ask
takes over; the watermark makes that sweep cover every moment since the last
one, whoever made it. On SQLite every process holds the role (as before).

While sending is suspended (the app uninstalled or its token revoked:
:mod:`bot.services.tenancy`) the sweep queues nothing and the upkeep that asks
Slack does not run; the sweep's holder instead deletes the workspace's data once
it has been suspended for ``BENEFITS_RETENTION_DAYS_AFTER_UNINSTALL`` days.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.delivery import Delivery, Gate, Render, render_reminder
from bot.runtime.oauth import INSTALL_PATH, InstalledClient, InstalledToken
from bot.runtime.slack_check import rejection_line
from bot.services.outbox import OutboxService
from bot.services.reminders import ReminderService
from bot.services.tenancy import TenancyService
from bot.settings import Settings
from storage.ports import Exclusive

log = logging.getLogger(__name__)

Sweep = Callable[[], Awaitable[int]]
"""One more job of the sweep: queues what fell due, returns how many messages."""

SWEEP_JOB = "reminder-sweep"
SWEEP_ROLE = "reminder-sweep"
SLACK_TIMEOUT = 30  # seconds for one chat.postMessage


class ReminderScheduler:
    """Runs the sweep on a schedule and the delivery loop as a task."""

    def __init__(
        self,
        reminders: ReminderService,
        delivery: Delivery,
        *,
        sweep_every: float,
        role: Exclusive | None = None,
        upkeep: Sequence[Sweep] = (),
        tenancy: TenancyService | None = None,
    ) -> None:
        self.reminders = reminders
        self.tenancy = tenancy
        self.delivery = delivery
        self.role = role
        self.upkeep = tuple(upkeep)
        self._sweep_every = sweep_every
        self._scheduler: Any = None
        self._delivery_task: asyncio.Task[None] | None = None
        self._sweeping: asyncio.Task[int] | None = None

    async def sweep_now(self, *, fresh: bool = False) -> int:
        """Queue what fell due (one sweep at a time) and wake the delivery loop.

        With a ``role``, only while this process holds it (else 0). A sweep already under
        way is joined; with ``fresh`` (the caller changed what is due, e.g. moved the clock)
        it is waited for and then another one runs, which sees the change.
        """
        if self._sweeping is not None and not self._sweeping.done():
            if not fresh:
                return await asyncio.shield(self._sweeping)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._sweeping)
            return await self.sweep_now(fresh=True)
        self._sweeping = asyncio.create_task(self._sweep(), name="reminder sweep")
        queued = await asyncio.shield(self._sweeping)
        if queued:
            log.info("queued %d reminders", queued)
            self.delivery.wake()
        return queued

    async def _sweep(self) -> int:
        if self.role is not None and not await self.role.hold():
            return 0
        queued = await self.reminders.sweep()
        if self.tenancy is not None and await self._suspended(self.tenancy):
            return queued  # no upkeep asks Slack while sending is suspended
        upkept = 0
        for sweep in self.upkeep:  # offboarding, idle seats, the digest: same replica
            try:
                upkept += await sweep()
            except Exception as error:  # one failing job must not stop the others
                log.error("upkeep sweep failed: %s", type(error).__name__, exc_info=error)
        if upkept:
            log.info("queued %d offboarding, idle-seat and digest messages", upkept)
            self.delivery.wake()
        return queued  # the reminders (what the sweep's callers count)

    async def _suspended(self, tenancy: TenancyService) -> bool:
        """Whether sending is suspended; if so, its data is deleted once kept long enough."""
        try:
            if not await tenancy.suspended():
                return False
            await tenancy.expire()
        except Exception as error:  # the database is away: the next sweep tries again
            log.error("retention upkeep failed: %s", type(error).__name__, exc_info=error)
        return True

    def start(self) -> None:
        """Start both; call from inside the running event loop."""
        scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.add_job(
            self.sweep_now,
            IntervalTrigger(seconds=self._sweep_every, timezone=UTC),
            id=SWEEP_JOB,
            name="reminder sweep",
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        self._delivery_task = asyncio.create_task(self.delivery.run(), name="reminder delivery")

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Stop scheduling, let a running sweep and the ping in flight finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._sweeping is not None and not self._sweeping.done():
            with suppress(Exception, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._sweeping), timeout)
        if self.role is not None:
            await self.role.release()  # another replica may sweep at once
        task, self._delivery_task = self._delivery_task, None
        if task is None:
            return
        self.delivery.stop()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            log.warning("the delivery loop did not stop in %.0fs; cancelled", timeout)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this stop itself is being cancelled
            log.error("the delivery loop was cancelled from outside while stopping")
        except Exception as error:  # it already failed; stopping must go on
            log.error("the delivery loop had failed: %s", type(error).__name__, exc_info=error)


@dataclass
class ReminderRuntime:
    """What ``start_bot`` keeps to stop reminders cleanly."""

    service: ReminderService
    scheduler: ReminderScheduler
    session: aiohttp.ClientSession

    @property
    def delivery(self) -> Delivery:
        return self.scheduler.delivery

    async def stop(self, *, timeout: float = 10.0) -> None:
        try:
            await self.scheduler.stop(timeout=timeout)
        finally:
            await self.session.close()


def start_reminders(
    settings: Settings,
    reminders: ReminderService,
    outbox: OutboxService,
    *,
    render: Render = render_reminder,
    sweep_role: Exclusive | None = None,
    upkeep: Callable[[AsyncWebClient], Sequence[Sweep]] | None = None,
    installed: InstalledToken | None = None,
    tenancy: TenancyService | None = None,
    gate: Gate | None = None,
) -> ReminderRuntime:
    """Start the sweep schedule and the delivery loop; call inside the event loop.

    ``reminders`` sweeps what fell due; the delivery loop records what it sends
    through ``outbox``.

    ``render`` says what each ping becomes (``start_bot`` passes one that knows
    every notice; the default knows reminders only). ``sweep_role``, when
    given, is asked before each sweep (one replica sweeps at a time).
    ``upkeep`` makes more jobs for each sweep from the Slack client (offboarding's
    reconciliation, idle seats, the digest: :mod:`bot.runtime.upkeep`).
    ``installed``, when the bot is installed with Add to Slack, gives the token
    (``SLACK_BOT_TOKEN`` otherwise). ``tenancy`` suspends sending when Slack refuses
    the token mid-delivery, and deletes the data of a workspace suspended past its
    retention (in the upkeep, on the replica holding the sweep role). ``gate`` is
    awaited before each send (acknowledgements first: see
    :class:`~bot.runtime.delivery.Delivery`).

    Delivery has its own Web API client: one keep-alive connection and no
    automatic retries (a retry is the delivery loop's decision, never the
    client's, or a ping could be sent twice).
    """
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT))
    client: AsyncWebClient
    if installed is not None:
        client = InstalledClient(
            installed,
            base_url=settings.slack_api_url,
            session=session,
            retry_handlers=[],
            timeout=SLACK_TIMEOUT,
        )
    else:
        assert settings.slack_bot_token is not None  # the settings require one or the other
        client = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            session=session,
            retry_handlers=[],
            timeout=SLACK_TIMEOUT,
        )
    delivery = Delivery(
        outbox,
        client,
        render=render,
        lease=settings.benefits_delivery_lease_seconds,
        batch=settings.benefits_delivery_batch,
        poll=settings.benefits_delivery_poll_seconds,
        rate=settings.benefits_slack_messages_per_second,
        burst=settings.benefits_slack_burst,
        gate=gate,
        token_refused=None if tenancy is None else token_refused(tenancy, installed),
    )
    scheduler = ReminderScheduler(
        reminders,
        delivery,
        sweep_every=settings.benefits_sweep_interval_seconds,
        role=sweep_role,
        upkeep=upkeep(client) if upkeep is not None else (),
        tenancy=tenancy,
    )
    scheduler.start()
    return ReminderRuntime(service=reminders, scheduler=scheduler, session=session)


def token_refused(
    tenancy: TenancyService, installed: InstalledToken | None
) -> Callable[[str], Awaitable[int]]:
    """What the delivery loop does when Slack refuses the bot's token with ``code``:
    sending suspended, every queued message parked, and one line telling the operator
    what brings it back (a new ``SLACK_BOT_TOKEN`` and a restart, or an install)."""

    async def suspend(code: str) -> int:
        suspension = await tenancy.suspend(f"token refused: {code}")
        assert suspension is not None  # not tied to an event: always the store's own
        if suspension.started:
            parked = f"sending stopped and {suspension.parked} queued messages parked"
            if installed is None:
                log.error(
                    "%s; %s: set SLACK_BOT_TOKEN to a working token and restart the bot, "
                    "which then sends them",
                    rejection_line(code),
                    parked,
                )
            else:
                log.error(
                    "Slack refused the bot token of %s (%s); %s until the bot is installed "
                    "again at %s",
                    suspension.tenant.describe(),
                    code,
                    parked,
                    INSTALL_PATH,
                )
        return suspension.parked

    return suspend
