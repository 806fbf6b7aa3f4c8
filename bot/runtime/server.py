"""Running the bot: HTTP mode or Socket Mode, ``/healthz``, and a clean stop.

In HTTP mode Slack's commands, interactivity and events all arrive at
``POST /slack/events``. In both modes ``GET /healthz`` answers 200 while the
database is reachable, Slack has accepted the bot token (``auth.test`` at
start-up, see :mod:`bot.runtime.slack_check`) and, in Socket Mode, the socket
is connected.
Installed with Add to Slack (``SLACK_CLIENT_ID``, no bot token; :mod:`bot.runtime.oauth`)
it also serves ``GET /slack/install`` and ``GET /slack/oauth_redirect``, and until
the first install ``/healthz`` answers 200 with ``"installed": false``.
SIGTERM and SIGINT stop the bot: in-flight requests and the Slack calls
that follow them finish, then the database is closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.internals import (
    extract_enterprise_id,
    extract_is_enterprise_install,
    extract_team_id,
)
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock, SystemClock
from bot.domain.events import Event
from bot.domain.installations import installation_key
from bot.domain.tenancy import describe_tenant
from bot.runtime.app import attach_slack, build_app
from bot.runtime.bootstrap import ensure_keys_readable, key_vault, services_from_settings
from bot.runtime.container import Services
from bot.runtime.delivery import Delivery
from bot.runtime.notices import Renderer
from bot.runtime.oauth import (
    INSTALL_PATH,
    InstalledClient,
    InstalledToken,
    SharedRotator,
    oauth_settings,
)
from bot.runtime.scheduler import SWEEP_ROLE, ReminderRuntime, start_reminders
from bot.runtime.slack_check import verify_bot_token
from bot.runtime.tenancy import Tenancy, Tenant
from bot.runtime.upkeep import upkeep_sweeps
from bot.services.core import EventSink
from bot.services.installations import InstallationService, TokensUnreadable, describe_key
from bot.services.inventory.importer import resolve_email_holders
from bot.services.keys import SETTING
from bot.services.tenancy import OtherTenant
from bot.settings import Settings, SettingsError
from handlers.receipts import Route, take_over
from storage import Store, open_store, open_tenants
from storage.ports import Exclusive
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
ACCEPTED_GRACE = 0.2  # seconds for connections accepted before a stop to send their request


def web_application(
    *,
    app: AsyncApp | None,
    store: Store,
    socket_connected: Callable[[], Awaitable[bool]] | None = None,
    on_request: Callable[[], None] | None = None,
    slack_ready: Callable[[], bool] | None = None,
    roles: Sequence[Exclusive] | None = None,
    oauth: AsyncOAuthFlow | None = None,
    awaiting_install: Callable[[], bool] | None = None,
    serving: Callable[[], int] | None = None,
) -> web.Application:
    """The aiohttp application: Slack's endpoint (HTTP mode) and the health check.

    ``slack_ready`` says whether Slack has accepted the bot token yet; until then
    the health check answers 503 and Slack's requests get 503 too. The health
    check's JSON also shows the store (:meth:`storage.Store.describe`: the
    engine and, on PostgreSQL, the pool's size, connections in use and free)
    and whether this replica holds each of ``roles`` (the reminder sweep).

    With ``oauth`` (installed with Add to Slack) it serves Bolt's install page and
    redirect too. While ``awaiting_install`` says the bot is not installed yet, the
    health check answers 200 with ``"installed": false`` and ``"status": "awaiting
    install"`` (a load balancer keeps sending the install page's visitors), and
    Slack's requests go to Bolt (which answers Slack's URL check and refuses the rest).
    ``serving`` counts the workspaces and orgs installed and served (``"workspaces"``).
    """
    web_app = web.Application(client_max_size=1024 * 1024)

    async def health(_: web.Request) -> web.Response:
        database = await store.ping()
        socket = True if socket_connected is None else await socket_connected()
        slack = True if slack_ready is None else slack_ready()
        waiting = awaiting_install is not None and awaiting_install()
        ok = database and socket and (slack or waiting)
        status = "awaiting install" if ok and waiting else "ok" if ok else "unavailable"
        body: dict[str, object] = {
            "status": status,
            "database": database,
            "slack": slack,
            "store": store.describe(),
        }
        if awaiting_install is not None:
            body["installed"] = not waiting
        if serving is not None:
            body["workspaces"] = serving()
        if socket_connected is not None:
            body["socket"] = socket
        if roles is not None:
            body["roles"] = {role.name: role.holding for role in roles}
        return web.json_response(body, status=200 if ok else 503)

    web_app.router.add_get(HEALTH_PATH, health)
    if app is not None:

        async def events(request: web.Request) -> web.Response:
            waiting = awaiting_install is not None and awaiting_install()
            if slack_ready is not None and not slack_ready() and not waiting:
                return web.json_response({"status": "starting"}, status=503)
            if on_request is not None:
                on_request()
            return await to_aiohttp_response(
                await app.async_dispatch(await to_bolt_request(request))
            )

        web_app.router.add_post(EVENTS_PATH, events)
    if oauth is not None:
        flow = oauth

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, redirect)
    return web_app


@dataclass
class RunningBot:
    """A started bot; ``stop()`` shuts it down in order."""

    services: Services
    store: Store
    app: AsyncApp
    runner: web.AppRunner
    port: int
    socket_handler: AsyncSocketModeHandler | None = None
    work: ReminderRuntime | None = None  # one workspace (a bot token): its reminders
    http: aiohttp.ClientSession | None = None
    receipts: asyncio.Task[None] | None = None  # the take-over of receipts others left
    tenancy: Tenancy | None = None  # installed with Add to Slack: the installations served
    expiry: asyncio.Task[None] | None = None  # installations made elsewhere; retention
    _stopped: bool = field(default=False, init=False)

    @property
    def slack(self) -> AsyncWebClient:
        """The client of the bot's own Slack calls (outside Slack's requests) for the
        workspace whose data the base store holds."""
        tenant = None if self.tenancy is None else self.tenancy.in_base
        return self.app.client if tenant is None else tenant.client

    @property
    def reminders(self) -> ReminderRuntime | None:
        """The reminders of the workspace whose data the base store holds."""
        if self.tenancy is None:
            return self.work
        tenant = self.tenancy.in_base
        return None if tenant is None else tenant.reminders

    @property
    def installed(self) -> InstalledToken | None:
        """Installed with Add to Slack: the token of the workspace whose data the base
        store holds (None before it is installed)."""
        tenant = None if self.tenancy is None else self.tenancy.in_base
        return None if tenant is None else tenant.installed

    async def stop(self, *, timeout: float = 10.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.socket_handler is not None:
            with suppress(Exception):
                await self.socket_handler.close_async()  # type: ignore[no-untyped-call]
        # Stop listening first: a new connection is refused (a load balancer tries
        # another replica). One accepted just before may not have sent its request
        # yet, and the runner's cleanup would close it as idle: give it a moment.
        for site in list(self.runner.sites):
            await site.stop()
        await asyncio.sleep(ACCEPTED_GRACE)
        await self.runner.cleanup()  # finishes in-flight requests, up to shutdown_timeout
        for task in (self.receipts, self.expiry):  # a receipt it was at stays leased
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        await self.services.background.drain(timeout)  # receipts carried out, answers sent
        if self.work is not None:  # the message being sent may still ask for a locale
            await self.work.stop(timeout=timeout)
        if self.tenancy is not None:  # each installation's reminders and languages
            await self.tenancy.stop(timeout=timeout)
        await self.services.locales.stop()
        if self.http is not None:
            await self.http.close()
        await self.store.close()


async def start_bot(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None
) -> RunningBot:
    """Open the database, build the app and start serving; returns once listening.

    ``store`` replaces the database ``settings`` name (benchmarks pass one that
    counts its statements); the bot closes it when it stops.

    Installed with Add to Slack (``settings.oauth``) and not installed yet, it
    returns once listening too: the install page is served, and what the bot does
    on its own (languages, reminders, receipts) starts once the install is saved.
    """
    if store is None:
        store = await open_store(settings.database_url, **settings.store_options())
    try:
        await ensure_keys_readable(
            store, key_vault(settings)
        )  # SettingsError: no key, or the wrong one
    except BaseException:
        await store.close()
        raise
    sweep_role = store.exclusive(SWEEP_ROLE)
    clock = clock or SystemClock()
    services = services_from_settings(settings, store, clock=clock)
    http = aiohttp.ClientSession()
    tenancy: Tenancy | None = None
    oauth: AsyncOAuthSettings | None = None

    async def serve_tenant(tenant: Tenant) -> ReminderRuntime:
        return _start_work(
            settings,
            tenant.services,
            tenant.store,
            tenant.client,
            installed=tenant.installed,
            sweep_role=sweep_role,
            clock=clock,
        )

    if settings.oauth:
        try:
            tenancy, oauth = await _tenancy_with_oauth(
                settings, store, services, clock, http, serve=serve_tenant
            )
        except BaseException:
            await http.close()
            await store.close()
            raise
    elif settings.client_credentials_unused:
        log.warning(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not used: SLACK_BOT_TOKEN is set "
            "(one workspace, installed by hand)"
        )
    app = build_app(
        bot_token=(
            None
            if settings.slack_bot_token is None
            else settings.slack_bot_token.get_secret_value()
        ),
        signing_secret=(
            None
            if settings.socket_mode or settings.slack_signing_secret is None
            else settings.slack_signing_secret.get_secret_value()
        ),
        api_url=settings.slack_api_url,
        services=services,
        session=http,
        oauth=oauth,
        tenancy=tenancy,
    )
    verified = False  # Slack accepted the token: /healthz and Slack's requests wait for it
    socket_handler: AsyncSocketModeHandler | None = None

    async def socket_connected() -> bool:
        return socket_handler is not None and await socket_handler.client.is_connected()

    def awaiting_install() -> bool:
        return tenancy is not None and not tenancy.installed

    if settings.socket_mode:
        web_app = web_application(
            app=None,
            store=store,
            socket_connected=socket_connected,
            slack_ready=lambda: verified,
            roles=[sweep_role],
        )
    else:
        web_app = web_application(
            app=app,
            store=store,
            on_request=services.background.request_arrived,
            slack_ready=lambda: verified,
            roles=[sweep_role],
            oauth=app.oauth_flow,
            awaiting_install=None if tenancy is None else awaiting_install,
            serving=None if tenancy is None else lambda: len(tenancy.installed),
        )
    runner = web.AppRunner(
        web_app, shutdown_timeout=settings.shutdown_timeout, access_log=None, handle_signals=False
    )
    await runner.setup()
    site = web.TCPSite(runner, host=settings.benefits_host, port=settings.port)
    await site.start()
    port = settings.port
    server = getattr(site, "_server", None)
    if server is not None and server.sockets:
        port = server.sockets[0].getsockname()[1]
    bot = RunningBot(services, store, app, runner, port, http=http, tenancy=tenancy)
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on port {port}, {EVENTS_PATH}"
    every = settings.benefits_delivery_poll_seconds * 5
    if tenancy is not None:  # Add to Slack: each installation served with its own token
        verified = True
        bot.receipts = asyncio.get_running_loop().create_task(
            _take_over_receipts(app.client, services, every=every, route=_routing(tenancy)),
            name="receipt take-over",
        )
        served = await tenancy.start_all()
        bot.expiry = asyncio.get_running_loop().create_task(
            _look_after_workspaces(
                tenancy, sweep_role, every=settings.benefits_sweep_interval_seconds
            ),
            name="installations made elsewhere; retention of those gone",
        )
        if served:
            log.info("benefits bot running (%s), serving %d installations", mode, served)
        else:
            log.info(
                "benefits bot running (%s), not installed yet: open %s to install it",
                mode,
                INSTALL_PATH,
            )
        return bot
    # The app's client, without the SDK's own retry: each attempt is one log line.
    check = AsyncWebClient(
        token=app.client.token, base_url=app.client.base_url, session=http, retry_handlers=[]
    )
    try:  # SettingsError: Slack refused the token; /healthz says 503 until it answers
        answer = await verify_bot_token(check, first_wait=settings.benefits_slack_retry_seconds)
        await _resume(
            services,
            installation_key(
                answer.get("enterprise_id"),
                answer.get("team_id"),
                bool(answer.get("is_enterprise_install")),
            ),
        )
    except BaseException:
        await runner.cleanup()
        await http.close()
        await store.close()
        raise
    verified = True
    if settings.socket_mode:
        assert settings.slack_app_token is not None
        socket_handler = AsyncSocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), web_client=app.client
        )
        bot.socket_handler = socket_handler
        await socket_handler.connect_async()  # type: ignore[no-untyped-call]
    bot.work = _start_work(
        settings, services, store, app.client, installed=None, sweep_role=sweep_role, clock=clock
    )
    bot.receipts = asyncio.get_running_loop().create_task(
        _take_over_receipts(app.client, services, every=every), name="receipt take-over"
    )
    log.info("benefits bot running (%s)", mode)
    return bot


def _start_work(
    settings: Settings,
    services: Services,
    store: Store,
    client: AsyncWebClient,
    *,
    installed: InstalledToken | None,
    sweep_role: Exclusive,
    clock: Clock,
) -> ReminderRuntime:
    """What the bot does on its own for one workspace or org: its people's languages,
    its reminders and delivery (the sweep while this replica holds ``sweep_role``), its
    holders imported by email, its requests never posted."""
    services.locales.start()  # the workspace's languages, loaded in the background
    reminders = start_reminders(
        settings,
        services.reminders,
        services.outbox,
        render=Renderer(services),
        sweep_role=sweep_role,
        upkeep=lambda upkeep_client: upkeep_sweeps(services, upkeep_client),
        installed=installed,
        tenancy=services.tenancy,
        gate=lambda since: services.background.quiet_moment(since=since),
    )
    services.events.subscribe_all(_waking(services, reminders.delivery))
    services.background.spawn(_resolve_holders(store, client, clock), name="resolve email holders")
    services.background.spawn(
        _queue_unannounced(services, reminders.delivery), name="queue unannounced requests"
    )
    return reminders


def _routing(tenancy: Tenancy) -> Route:
    """A receipt's workspace, read from its payload as Bolt reads a request's."""

    async def route(body: dict[str, Any]) -> tuple[AsyncWebClient, Services] | None:
        tenant = await tenancy.for_request(
            extract_enterprise_id(body),
            extract_team_id(body),
            bool(extract_is_enterprise_install(body)),
        )
        return None if tenant is None else (tenant.client, tenant.services)

    return route


async def _resume(services: Services, key: tuple[str | None, str | None]) -> None:
    """Slack accepted the token of this workspace or org at start-up: it is recorded as
    the database's, and a suspension (a token Slack refused earlier) ends.

    Raises:
        SettingsError: The database holds another workspace's or org's data.
    """
    try:
        requeued = await services.tenancy.started(*key)
    except OtherTenant as other:
        raise SettingsError(
            [
                f"SLACK_BOT_TOKEN belongs to {describe_tenant(*key)}, but {other}: use that "
                "workspace's own database, or delete the data kept here first with "
                "`benefits-bot tenant delete`."
            ]
        ) from None
    if requeued:
        log.info(
            "sending resumed in %s: %d parked messages queued again",
            describe_tenant(*key),
            requeued,
        )


async def _tenancy_with_oauth(
    settings: Settings,
    store: Store,
    services: Services,
    clock: Clock,
    http: aiohttp.ClientSession,
    *,
    serve: Callable[[Tenant], Awaitable[ReminderRuntime]],
) -> tuple[Tenancy, AsyncOAuthSettings]:
    """The installations served (:class:`~bot.runtime.tenancy.Tenancy`) and Bolt's OAuth
    settings; ``serve`` starts a tenant's background work.

    Raises:
        SettingsError: A stored token cannot be decrypted with ``BENEFITS_ENCRYPTION_KEY``.
    """
    vault = key_vault(settings)
    assert vault is not None  # the settings require the key with Add to Slack
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    installations = InstallationService(store, clock=clock, vault=vault)
    rotator = SharedRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=AsyncWebClient(base_url=settings.slack_api_url, session=http),
    )
    try:
        await installations.all()
    except TokensUnreadable as error:
        raise SettingsError(
            [
                f"{SETTING} does not decrypt the bot token of the installation in "
                f"{describe_key(error.enterprise_id, error.team_id)}: set it to the key it was "
                "saved with; when rotating, list the new key first and the old one after it."
            ]
        ) from None
    tenancy = Tenancy(
        base=services,
        stores=await open_tenants(store, migrate=settings.benefits_migrate_on_start),
        installations=installations,
        make_services=lambda tenant_store: services_from_settings(
            settings, tenant_store, clock=clock
        ),
        make_token=lambda key: InstalledToken(installations, key=key, rotator=rotator),
        make_client=lambda installed: InstalledClient(
            installed, base_url=settings.slack_api_url, session=http
        ),
        attach=attach_slack,
        go_live=serve,
    )

    async def services_of(installation: Installation) -> Services:
        key = installation_key(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        tenant = await tenancy.tenant(key)
        if await tenant.services.tenancy.started(*key):  # installed again: parked ones resume
            log.info("sending resumed in %s", describe_tenant(*key))
        return tenant.services

    oauth = oauth_settings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        installation_store=tenancy.store,
        service=installations,
        services_of=services_of,
        rotator=rotator,
    )
    return tenancy, oauth


async def _look_after_workspaces(tenancy: Tenancy, role: Exclusive, *, every: float) -> None:
    """Every ``every`` seconds: the workspaces installed through another replica are
    served here too; and, on the replica that holds the sweep ``role``, the data of
    workspaces no longer served is deleted once their retention ran out (now as well)."""
    while True:
        try:
            if await role.hold():
                await tenancy.expire_idle()
        except Exception as error:  # the database is away: the next round tries again
            log.warning("retention of idle workspaces failed: %s", type(error).__name__)
        await asyncio.sleep(every)
        try:
            await tenancy.start_all()
        except Exception as error:
            log.warning("could not look for new installations: %s", type(error).__name__)


async def _take_over_receipts(
    client: AsyncWebClient, services: Services, *, every: float, route: Route | None = None
) -> None:
    """Every ``every`` seconds, carry out the receipts whose lease ran out (their process
    died before it was done; see :mod:`handlers.receipts`), each by its workspace's
    client and services with ``route``."""
    while True:
        await asyncio.sleep(every)
        try:
            taken = await take_over(client, services, route=route)
        except Exception as error:  # the database is away: the next round tries again
            log.warning("receipt take-over failed: %s", type(error).__name__)
            continue
        if taken:
            log.info("carried out %d receipts another process left", taken)


def _waking(services: Services, delivery: Delivery) -> EventSink:
    """An event sink that wakes the delivery loop: every event queued messages.

    The wake is deferred work (:class:`bot.runtime.background.Background`), so a
    burst of clicks is acknowledged first; it comes after the transaction that
    queued the messages has committed, or the loop's next poll finds them.
    """

    async def wake(uow: UnitOfWork, event: Event) -> None:
        del uow, event
        services.background.call_later("wake delivery", delivery.wake)

    return wake


async def _queue_unannounced(services: Services, delivery: Delivery) -> None:
    """A safety net for requests saved by a version of the bot that posted them after
    its acknowledgement and was stopped first: queue their posts now. Requests
    filed since queue their post in the transaction that saves them."""
    queued = await services.notices.queue_unannounced()
    if queued:
        log.info("queued the posts of %d requests that had not reached the admins", queued)
        delivery.wake()


async def _resolve_holders(store: Store, client: AsyncWebClient, clock: Clock) -> None:
    """Turn holders imported by email into Slack users, via users.lookupByEmail."""

    async def lookup(email: str) -> str | None:
        try:
            response = await client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", error.response.get("error"))
            return None
        user = response.get("user") or {}
        user_id = user.get("id")
        return str(user_id) if user_id else None

    resolved = await resolve_email_holders(store, lookup, clock=clock)
    if resolved:
        log.info("resolved %d holders imported by email", resolved)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # A stop while start-up still waits for Slack ends the wait (start_bot cleans up).
    starting = asyncio.ensure_future(start_bot(settings))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        with suppress(asyncio.CancelledError):
            await starting
        log.info("stopped before Slack answered")
        return
    stopping.cancel()
    bot = starting.result()
    try:
        await stop.wait()
        log.info("stopping: finishing in-flight work")
    finally:
        await bot.stop(timeout=settings.shutdown_timeout)
    log.info("stopped")
