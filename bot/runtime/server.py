"""Running the bot: HTTP mode or Socket Mode, ``/healthz``, and a clean stop.

In HTTP mode Slack's commands, interactivity and events all arrive at
``POST /slack/events``. In both modes ``GET /healthz`` answers 200 while the
database is reachable (and, in Socket Mode, the socket is connected).
SIGTERM and SIGINT stop the bot: in-flight requests and the Slack calls
that follow them finish, then the database is closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.clock import Clock, SystemClock
from bot.runtime.app import build_app
from bot.runtime.bootstrap import ensure_keys_readable, key_vault, services_from_settings
from bot.runtime.container import Services
from bot.runtime.scheduler import ReminderRuntime, start_reminders
from bot.services.inventory.importer import resolve_email_holders
from bot.settings import Settings
from handlers.replies import post_approval_request
from storage import Store, open_store

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# A pending request never posted and older than this was cut off by a stop.
ANNOUNCE_GRACE = timedelta(minutes=1)


def web_application(
    *,
    app: AsyncApp | None,
    store: Store,
    socket_connected: Callable[[], Awaitable[bool]] | None = None,
    on_request: Callable[[], None] | None = None,
) -> web.Application:
    """The aiohttp application: Slack's endpoint (HTTP mode) and the health check."""
    web_app = web.Application(client_max_size=1024 * 1024)

    async def health(_: web.Request) -> web.Response:
        database = await store.ping()
        socket = True if socket_connected is None else await socket_connected()
        ok = database and socket
        body = {"status": "ok" if ok else "unavailable", "database": database}
        if socket_connected is not None:
            body["socket"] = socket
        return web.json_response(body, status=200 if ok else 503)

    web_app.router.add_get(HEALTH_PATH, health)
    if app is not None:

        async def events(request: web.Request) -> web.Response:
            if on_request is not None:
                on_request()
            return await to_aiohttp_response(
                await app.async_dispatch(await to_bolt_request(request))
            )

        web_app.router.add_post(EVENTS_PATH, events)
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
    _stopped: bool = field(default=False, init=False)

    async def stop(self, *, timeout: float = 10.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.socket_handler is not None:
            with suppress(Exception):
                await self.socket_handler.close_async()  # type: ignore[no-untyped-call]
        await self.runner.cleanup()  # finishes in-flight requests, up to shutdown_timeout
        await self.services.background.drain(timeout)
        if self.reminders is not None:
            await self.reminders.stop(timeout=timeout)
        if self.http is not None:
            await self.http.close()
        await self.store.close()


async def start_bot(settings: Settings, *, clock: Clock | None = None) -> RunningBot:
    """Open the database, build the app and start serving; returns once listening."""
    store = await open_store(settings.database_url, **settings.store_options())
    try:
        await ensure_keys_readable(
            store, key_vault(settings)
        )  # SettingsError: no key, or the wrong one
    except BaseException:
        await store.close()
        raise
    services = services_from_settings(settings, store, clock=clock or SystemClock())
    http = aiohttp.ClientSession()
    app = build_app(
        bot_token=settings.slack_bot_token.get_secret_value(),
        signing_secret=(
            None
            if settings.socket_mode or settings.slack_signing_secret is None
            else settings.slack_signing_secret.get_secret_value()
        ),
        api_url=settings.slack_api_url,
        services=services,
        session=http,
    )
    socket_handler: AsyncSocketModeHandler | None = None
    if settings.socket_mode:
        assert settings.slack_app_token is not None
        socket_handler = AsyncSocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), web_client=app.client
        )
        handler = socket_handler
        web_app = web_application(
            app=None, store=store, socket_connected=lambda: handler.client.is_connected()
        )
    else:
        web_app = web_application(
            app=app, store=store, on_request=services.background.request_arrived
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
    if socket_handler is not None:
        await socket_handler.connect_async()  # type: ignore[no-untyped-call]
    bot = RunningBot(services, store, app, runner, port, socket_handler, http=http)
    bot.reminders = start_reminders(settings, services.reminders)
    services.background.spawn(_resolve_holders(bot), name="resolve email holders")
    services.background.spawn(_announce_missed(bot), name="announce missed requests")
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on port {port}, {EVENTS_PATH}"
    log.info("benefits bot running (%s)", mode)
    return bot


async def _announce_missed(bot: RunningBot) -> None:
    """Post the requests filed just before the bot last stopped, which never
    reached the admins (they were saved, but the bot died before posting)."""
    missed = await bot.services.requests.unannounced(older_than=ANNOUNCE_GRACE)
    for created in missed:
        await post_approval_request(bot.app.client, bot.services, created)
    if missed:
        log.info("posted %d requests that had not reached the admins", len(missed))


async def _resolve_holders(bot: RunningBot) -> None:
    """Turn holders imported by email into Slack users, via users.lookupByEmail."""

    async def lookup(email: str) -> str | None:
        try:
            response = await bot.app.client.users_lookupByEmail(email=email)
        except SlackApiError as error:
            if error.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", error.response.get("error"))
            return None
        user = response.get("user") or {}
        user_id = user.get("id")
        return str(user_id) if user_id else None

    resolved = await resolve_email_holders(bot.store, lookup)
    if resolved:
        log.info("resolved %d holders imported by email", resolved)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot = await start_bot(settings)
    try:
        await stop.wait()
        log.info("stopping: finishing in-flight work")
    finally:
        await bot.stop(timeout=settings.shutdown_timeout)
    log.info("stopped")
