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

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock, SystemClock
from bot.domain.events import Event
from bot.runtime.app import build_app
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
from bot.runtime.upkeep import upkeep_sweeps
from bot.services.core import EventSink
from bot.services.installations import InstallationService, TokensUnreadable, describe_key
from bot.services.inventory.importer import resolve_email_holders
from bot.services.keys import SETTING
from bot.settings import Settings, SettingsError
from handlers.receipts import take_over
from storage import Store, open_store
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
    reminders: ReminderRuntime | None = None
    http: aiohttp.ClientSession | None = None
    receipts: asyncio.Task[None] | None = None  # the take-over of receipts others left
    # What the bot asks Slack outside Slack's requests (the app's client unless installed
    # with Add to Slack), the installed token then, and the start waiting for an install.
    client: AsyncWebClient | None = None
    installed: InstalledToken | None = None
    waiting: asyncio.Task[None] | None = None
    _stopped: bool = field(default=False, init=False)

    @property
    def slack(self) -> AsyncWebClient:
        """The client of the bot's own Slack calls (outside Slack's requests)."""
        return self.client or self.app.client

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
        if self.waiting is not None and not self.waiting.done():
            self.waiting.cancel()
            with suppress(asyncio.CancelledError):
                await self.waiting
        if self.receipts is not None:  # a receipt it was at stays leased: another takes it
            self.receipts.cancel()
            with suppress(asyncio.CancelledError):
                await self.receipts
        await self.services.background.drain(timeout)  # receipts carried out, answers sent
        if self.reminders is not None:  # the message being sent may still ask for a locale
            await self.reminders.stop(timeout=timeout)
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
    installed: InstalledToken | None = None
    oauth: AsyncOAuthSettings | None = None
    bot_client: AsyncWebClient | None = None
    if settings.oauth:
        try:
            installed, oauth = await _installed_with_oauth(settings, store, services, clock, http)
        except BaseException:
            await http.close()
            await store.close()
            raise
        bot_client = InstalledClient(installed, base_url=settings.slack_api_url, session=http)
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
        bot_client=bot_client,
    )
    verified = False  # Slack accepted the token: /healthz and Slack's requests wait for it
    socket_handler: AsyncSocketModeHandler | None = None

    async def socket_connected() -> bool:
        return socket_handler is not None and await socket_handler.client.is_connected()

    def awaiting_install() -> bool:
        return installed is not None and not installed.installed.is_set()

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
            awaiting_install=None if installed is None else awaiting_install,
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
    bot = RunningBot(
        services, store, app, runner, port, http=http, client=bot_client, installed=installed
    )
    # The app's client, without the SDK's own retry: each attempt is one log line.
    check = (
        AsyncWebClient(
            token=app.client.token, base_url=app.client.base_url, session=http, retry_handlers=[]
        )
        if installed is None
        else InstalledClient(
            installed, base_url=settings.slack_api_url, session=http, retry_handlers=[]
        )
    )

    async def go_live() -> None:
        nonlocal verified, socket_handler
        verified = True
        services.locales.start()  # the workspace's languages, loaded in the background
        if settings.socket_mode:
            assert settings.slack_app_token is not None
            socket_handler = AsyncSocketModeHandler(
                app, settings.slack_app_token.get_secret_value(), web_client=app.client
            )
            bot.socket_handler = socket_handler
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
        bot.reminders = start_reminders(
            settings,
            services.reminders,
            services.outbox,
            render=Renderer(services),
            sweep_role=sweep_role,
            upkeep=lambda client: upkeep_sweeps(services, client),
            installed=installed,
        )
        services.events.subscribe_all(_waking(services, bot.reminders.delivery))
        bot.receipts = asyncio.get_running_loop().create_task(
            _take_over_receipts(
                bot.slack, services, every=settings.benefits_delivery_poll_seconds * 5
            ),
            name="receipt take-over",
        )
        services.background.spawn(_resolve_holders(bot, clock), name="resolve email holders")
        services.background.spawn(_queue_unannounced(bot), name="queue unannounced requests")

    async def once_installed() -> None:
        assert installed is not None
        await installed.installed.wait()
        try:
            await go_live()
        except Exception as error:  # nobody awaits this task: say it, or it is lost
            log.error("could not start after the install: %s", type(error).__name__, exc_info=error)
            raise
        log.info("installed: the bot serves %s", _where(installed))

    mode = "Socket Mode" if settings.socket_mode else f"HTTP on port {port}, {EVENTS_PATH}"
    if installed is not None and installed.installation is not None:
        try:  # a token Slack refuses now (the app uninstalled meanwhile): install it again
            await verify_bot_token(check, first_wait=settings.benefits_slack_retry_seconds)
        except SettingsError:
            log.error(
                "Slack refused the token of the installation in %s: install the bot again at %s",
                _where(installed),
                INSTALL_PATH,
            )
            installed.forget()
        except BaseException:
            await bot.stop(timeout=settings.shutdown_timeout)
            raise
    if installed is not None and installed.installation is None:
        bot.waiting = asyncio.get_running_loop().create_task(
            once_installed(), name="waiting for an install"
        )
        log.info(
            "benefits bot running (%s), not installed yet: open %s to install it",
            mode,
            INSTALL_PATH,
        )
        return bot
    if installed is None:
        try:  # SettingsError: Slack refused the token; /healthz says 503 until it answers
            await verify_bot_token(check, first_wait=settings.benefits_slack_retry_seconds)
        except BaseException:
            await runner.cleanup()
            await http.close()
            await store.close()
            raise
    await go_live()
    log.info("benefits bot running (%s)", mode)
    return bot


def _where(installed: InstalledToken) -> str:
    installation = installed.installation
    return "no workspace" if installation is None else describe_key(*installation.key)


async def _installed_with_oauth(
    settings: Settings,
    store: Store,
    services: Services,
    clock: Clock,
    http: aiohttp.ClientSession,
) -> tuple[InstalledToken, AsyncOAuthSettings]:
    """The installed token (read from the database) and Bolt's OAuth settings.

    Raises:
        SettingsError: The stored token cannot be decrypted with ``BENEFITS_ENCRYPTION_KEY``.
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
    installed = InstalledToken(installations, rotator=rotator)
    try:
        await installed.load()
    except TokensUnreadable as error:
        raise SettingsError(
            [
                f"{SETTING} does not decrypt the bot token of the installation in "
                f"{describe_key(error.enterprise_id, error.team_id)}: set it to the key it was "
                "saved with; when rotating, list the new key first and the old one after it."
            ]
        ) from None
    oauth = oauth_settings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        installed=installed,
        service=installations,
        roles=services.roles,
        rotator=rotator,
        setup=services.setup,
    )
    return installed, oauth


async def _take_over_receipts(client: AsyncWebClient, services: Services, *, every: float) -> None:
    """Every ``every`` seconds, carry out the receipts whose lease ran out (their process
    died before it was done; see :mod:`handlers.receipts`)."""
    while True:
        await asyncio.sleep(every)
        try:
            taken = await take_over(client, services)
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


async def _queue_unannounced(bot: RunningBot) -> None:
    """A safety net for requests saved by a version of the bot that posted them after
    its acknowledgement and was stopped first: queue their posts now. Requests
    filed since queue their post in the transaction that saves them."""
    queued = await bot.services.notices.queue_unannounced()
    if queued:
        log.info("queued the posts of %d requests that had not reached the admins", queued)
        if bot.reminders is not None:
            bot.reminders.delivery.wake()


async def _resolve_holders(bot: RunningBot, clock: Clock) -> None:
    """Turn holders imported by email into Slack users, via users.lookupByEmail."""

    async def lookup(email: str) -> str | None:
        try:
            response = await bot.slack.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", error.response.get("error"))
            return None
        user = response.get("user") or {}
        user_id = user.get("id")
        return str(user_id) if user_id else None

    resolved = await resolve_email_holders(bot.store, lookup, clock=clock)
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
