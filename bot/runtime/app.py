"""Assembling the Bolt app: the Web API client, the middleware that hands listeners
the services and sets the reader's language, the listeners and one error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n.translate import set_reader, t
from bot.runtime.container import Services, UserEmail
from bot.runtime.locales import ReaderLocales, SlackUser, SlackUsers
from bot.runtime.tenancy import Tenancy
from handlers import register_all

log = logging.getLogger(__name__)

SERVICES = "services"
"""The context key (and so the listener argument) that holds the :class:`Services`."""


class _Before(AsyncMiddleware):
    """A middleware that prepares every request (:meth:`before`) and passes it on.

    A subclass rather than a function middleware: Bolt calls it directly, without
    building listener arguments for it, which keeps acknowledgements fast.
    """

    def before(self, req: AsyncBoltRequest) -> None:
        raise NotImplementedError

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        self.before(req)
        return await next()


class ServicesInContext(_Before):
    """Puts the services into every request's context.

    Bolt passes context values to listener arguments of the same name, so a
    listener declaring ``services`` gets them.
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    def before(self, req: AsyncBoltRequest) -> None:
        req.context[SERVICES] = self._services


class TenantInContext(AsyncMiddleware):
    """Many workspaces (:mod:`bot.runtime.tenancy`): puts the services of the request's
    workspace or org into its context, and sets the reader's language from them.

    A running tenant is found with two dictionary reads; the first request of one
    not running yet waits for it to start. A request no installation serves (Bolt's
    authorization let it through: Slack's URL check, say) gets the base services.
    """

    def __init__(self, tenancy: Tenancy) -> None:
        self._tenancy = tenancy

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        context = req.context
        org_wide = bool(context.is_enterprise_install)
        tenant = self._tenancy.cached(context.enterprise_id, context.team_id, org_wide)
        if tenant is None:
            tenant = await self._tenancy.for_request(
                context.enterprise_id, context.team_id, org_wide
            )
        services = self._tenancy.base if tenant is None else tenant.services
        context[SERVICES] = services
        set_reader(services.locales.for_request(context.user_id))
        return await next()


class ReaderLocale(_Before):
    """Sets the language of the person behind every request before its listener runs.

    :func:`bot.i18n.translate.t` reads it, so builders need no locale
    argument. Bolt runs the listeners after every middleware returned, in the
    same task, so the language is set for the rest of the request (and the
    tasks it spawns) rather than inside a ``with`` block. It is a dictionary
    read: what is not known yet is asked for in the background (see
    :mod:`bot.runtime.locales`), so acknowledgements never wait for Slack.
    """

    def __init__(self, locales: ReaderLocales) -> None:
        self._locales = locales

    def before(self, req: AsyncBoltRequest) -> None:
        set_reader(self._locales.for_request(req.context.user_id))


# Slack's answers for a person it does not know (or the bot may not see): English.
UNKNOWN_USER_ERRORS = frozenset({"user_not_found", "user_not_visible", "users_not_found"})


def slack_user(client: AsyncWebClient) -> SlackUser:
    """A :data:`bot.runtime.locales.SlackUser`: ``users.info`` with ``include_locale``.

    None for a person Slack does not know; any other refusal raises, so the
    lookup is tried again soon rather than remembered.
    """

    async def lookup(user_id: str) -> dict[str, Any] | None:
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except SlackApiError as error:
            code = error.response.get("error")
            if code in UNKNOWN_USER_ERRORS:
                return None
            log.warning("Slack refused users.info: %s", code)
            raise
        user = response.get("user")
        return user if isinstance(user, dict) else None

    return lookup


USERS_PAGE = 200  # users.list: Slack's recommended page size


def slack_users(client: AsyncWebClient) -> SlackUsers:
    """A :data:`bot.runtime.locales.SlackUsers`: ``users.list`` with ``include_locale``, paged."""

    async def load() -> dict[str, str]:
        locales: dict[str, str] = {}
        cursor = ""
        while True:
            response = await client.users_list(
                limit=USERS_PAGE, include_locale=True, **({"cursor": cursor} if cursor else {})
            )
            for member in response.get("members") or []:
                if isinstance(member, dict) and member.get("id"):
                    locales[str(member["id"])] = str(member.get("locale") or "")
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return locales

    return load


def slack_user_email(locales: ReaderLocales) -> UserEmail:
    """A :data:`bot.runtime.container.UserEmail` from Slack's ``users.info``.

    Asked through the language cache: one ``users.info`` call answers both.
    """

    async def lookup(user_id: str) -> str:
        user = await locales.slack_profile(user_id) or {}
        profile = user.get("profile") or {}
        return str(profile.get("email") or "")

    return lookup


def attach_slack(services: Services, client: AsyncWebClient) -> None:
    """Point ``services`` at Slack: people's languages and emails asked through ``client``."""
    services.locales.slack_user = slack_user(client)
    services.locales.slack_users = slack_users(client)
    services.user_email = slack_user_email(services.locales)


def build_app(
    *,
    bot_token: str | None,
    signing_secret: str | None,
    api_url: str,
    services: Services,
    session: aiohttp.ClientSession | None = None,
    oauth: AsyncOAuthSettings | None = None,
    bot_client: AsyncWebClient | None = None,
    tenancy: Tenancy | None = None,
) -> AsyncApp:
    """A Bolt ``AsyncApp`` with every listener registered.

    Args:
        bot_token: The bot token (``xoxb-…``); ``None`` with ``oauth``.
        signing_secret: Verifies HTTP requests; ``None`` in Socket Mode, where
            Slack's requests arrive over the app's own websocket.
        api_url: The Web API base URL (tests point it at a fake Slack).
        services: What the listeners call.
        session: One HTTP session for every Web API call, so connections are
            reused instead of opened per call; the caller closes it.
        oauth: Installed with Add to Slack (:mod:`bot.runtime.oauth`): Bolt's OAuth
            flow, and each request authorized from the saved installation.
        bot_client: What the bot asks Slack outside requests (languages, emails);
            by default the app's own client.
        tenancy: Many workspaces: each request gets its workspace's services (and
            ``services`` are the base's); each tenant is pointed at Slack when made.
    """
    client = AsyncWebClient(token=bot_token, base_url=api_url, session=session)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        process_before_response=True,
        logger=logging.getLogger("bot.bolt"),
        oauth_settings=oauth,
    )
    # app_uninstalled and tokens_revoked: handlers.events.installs (in both modes), which
    # suspends sending and, with Add to Slack, deletes the installation in one write.
    if tenancy is None:
        attach_slack(services, bot_client or client)
        app.use(ServicesInContext(services))
        app.use(ReaderLocale(services.locales))
    else:
        app.use(TenantInContext(tenancy))
    register_all(app)

    async def on_error(error: Exception, body: dict[str, Any], respond: AsyncRespond) -> None:
        # Only the kind of error: its text may quote a payload.
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        if body.get("response_url"):
            services.background.spawn(
                respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=t(
                        "Something went wrong on my side. Please try again; if it keeps happening, tell the operator."
                    ),
                ),
                name="error notice",
            )

    app.error(on_error)
    return app
