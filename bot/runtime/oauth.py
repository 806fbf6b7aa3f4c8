"""Installing the bot with Add to Slack: Slack's OAuth flow, one workspace per database.

Without ``SLACK_BOT_TOKEN`` but with ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET``
the bot serves Bolt's OAuth flow beside ``POST /slack/events``: ``GET /slack/install``
(the Add to Slack page, with a state good once for ten minutes) and
``GET /slack/oauth_redirect`` (the code exchanged through ``oauth.v2.access``, the
installation saved with its tokens encrypted). Bolt authorizes each of Slack's
requests from the saved installation, rotating its token when token rotation is on.

The bot's data is not yet kept apart per workspace (docs/installations.md), so one
database serves one workspace or org: the first install is kept; an install
into another one is refused on the redirect page and nothing is saved; installing
again into the same one (new scopes, say) replaces the installation. The person who
installs the bot becomes its first Global admin when it has none.

What the bot sends outside Slack's requests (the delivery loop, the languages, the
receipts another process left, the email holders) goes through an
:class:`InstalledClient`, which takes the installed token from
:class:`InstalledToken`: read from the database, kept in memory, replaced when an
install or a rotation saves a new one.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from aiohttp import FormData
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.installations import BotInstallation
from bot.runtime.installations import (
    DatabaseInstallationStore,
    DatabaseOAuthStateStore,
    OtherWorkspaceRefused,
    to_bot,
)
from bot.services.installations import InstallationService, describe_key

if TYPE_CHECKING:
    from bot.runtime.container import Services

log = logging.getLogger(__name__)

INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"
# The bot scopes of app.yaml (tests/slack/test_manifest.py keeps them the same).
BOT_SCOPES: Final = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
    "files:write",
    "files:read",
)
# With token rotation on, a token is refreshed this long before it expires (Bolt's default).
ROTATE_MINUTES: Final = 120
# How often the installed token is read again from the database (another process may
# have replaced it).
RELOAD_SECONDS: Final = 300.0
# The audit log's actor of the first Global admin made by an install.
INSTALLER: Final = "slack-install"

REFUSED_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Not installed</title></head>
<body>
<p>{sentence}</p>
</body>
</html>
"""
REFUSED_SENTENCE: Final = (
    "This benefits bot is already installed in another Slack workspace, and it does not yet "
    "keep the data of different workspaces apart, so it was not installed here and nothing "
    "was saved; a workspace of its own needs a bot of its own, with its own database."
)


class NotInstalled(SlackClientError, ConnectionError):
    """A Slack call made before the bot is installed (or after it was uninstalled).

    A ``ConnectionError`` too: the delivery loop tries such a message again later,
    as it does when Slack cannot be reached.
    """

    def __init__(self) -> None:
        super().__init__(f"the bot is not installed yet: open {INSTALL_PATH} to install it")


class SharedRotator(AsyncTokenRotator):
    """A token rotator that refreshes a token once however many ask at once.

    Bolt's authorization of a request and :class:`InstalledToken` may both find the
    same token about to expire; the first refreshes it, the others get the refreshed
    token (a refresh token may be good only once). Within this process: replicas
    each refresh on their own.
    """

    def __init__(self, *, client_id: str, client_secret: str, client: AsyncWebClient) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, client=client)
        self._lock = asyncio.Lock()
        self._refreshed: dict[str, Bot] = {}  # the last token refreshed → its successor

    async def perform_bot_token_rotation(
        self, *, bot: Bot, minutes_before_expiration: int = ROTATE_MINUTES
    ) -> Bot | None:
        async with self._lock:
            done = self._refreshed.get(bot.bot_token or "")
            if done is not None:
                return done
            refreshed = await super().perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=minutes_before_expiration
            )
            if refreshed is not None and bot.bot_token:
                self._refreshed = {bot.bot_token: refreshed}
            return refreshed


class InstalledToken:
    """The bot token of the one installation, kept in memory.

    :attr:`store` is the installation store for Bolt: every installation it saves (an
    install, a rotated token) replaces the token kept here, and :attr:`installed` is
    set from the first one on. The token is read again from the database every
    ``reload_every`` seconds, and refreshed with ``rotator`` when it expires within
    ``rotate_minutes`` (token rotation on).
    """

    def __init__(
        self,
        service: InstallationService,
        *,
        key: tuple[str | None, str | None] | None = None,
        rotator: AsyncTokenRotator | None = None,
        rotate_minutes: int = ROTATE_MINUTES,
        reload_every: float = RELOAD_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``key``: the installation of that workspace or org (one of many: see
        :mod:`bot.runtime.tenancy`); without it, the database's one installation."""
        self._service = service
        self.key = key
        self._rotator = rotator
        self._rotate_within = timedelta(minutes=rotate_minutes)
        self._reload_every = reload_every
        self._monotonic = monotonic
        self._installation: BotInstallation | None = None
        self._loaded_at = 0.0
        self._rotating = asyncio.Lock()
        self.installed = asyncio.Event()  # set while an installation is kept
        self.store = DatabaseInstallationStore(
            service, single_workspace=True, on_saved=self.replace, on_deleted=self.forget
        )

    @property
    def installation(self) -> BotInstallation | None:
        """The installation kept in memory (None before the first install)."""
        return self._installation

    def replace(self, installation: BotInstallation) -> None:
        """Keep ``installation`` (just saved) as the current one."""
        self._installation = installation
        self._loaded_at = self._monotonic()
        self.installed.set()

    def forget(self) -> None:
        """The installation was deleted (the app uninstalled): no token until the next."""
        self._installation = None
        self._loaded_at = self._monotonic()
        self.installed.clear()

    async def load(self) -> BotInstallation | None:
        """Read the installation from the database and keep it."""
        found = (
            await self._service.sole()
            if self.key is None
            else await self._service.find(*self.key, is_enterprise_install=self.key[1] is None)
        )
        if found is None:
            self.forget()
        else:
            self.replace(found)
        return found

    def _expiring(self, installation: BotInstallation) -> bool:
        expires = installation.bot_token_expires_at
        return expires is not None and expires - self._rotate_within <= datetime.now(UTC)

    async def token(self) -> str:
        """The current bot token, refreshed first when it is about to expire.

        Raises:
            NotInstalled: The bot is not installed.
        """
        installation = self._installation
        if self._monotonic() - self._loaded_at >= self._reload_every:
            try:
                installation = await self.load()
            except Exception as error:  # the database is away: the token kept will do
                log.warning("could not read the installation again: %s", type(error).__name__)
        if installation is None:
            raise NotInstalled()
        if self._rotator is not None and self._expiring(installation):
            installation = await self._rotate()
        return installation.bot_token

    async def _rotate(self) -> BotInstallation:
        async with self._rotating:
            installation = await self.load()  # another task or process may have rotated it
            if installation is None:
                raise NotInstalled()
            if self._rotator is None or not self._expiring(installation):
                return installation
            refreshed = await self._rotator.perform_bot_token_rotation(
                bot=to_bot(installation),
                minutes_before_expiration=int(self._rotate_within.total_seconds() // 60),
            )
            if refreshed is not None:
                await self.store.async_save_bot(refreshed)  # replaces the one kept here
                log.info("refreshed the bot token of %s", describe_key(*installation.key))
            return self._installation or installation


class InstalledClient(AsyncWebClient):
    """A Web API client whose every call carries the installed token (:class:`InstalledToken`).

    Raises :class:`NotInstalled` from a call made while the bot is not installed.
    """

    def __init__(self, source: InstalledToken, **options: Any) -> None:
        super().__init__(token=None, **options)
        self._source = source

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        # Read before the request is built, with no await in between: calls made at
        # once all carry the current token.
        self.token = await self._source.token()
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


ServicesOf = Callable[[Installation], Awaitable["Services"]]
"""The services of the workspace or org an installation (just saved) serves."""


def callback_options(services_of: ServicesOf) -> AsyncCallbackOptions:
    """What the redirect page does: a completed install makes its installer the first
    Global admin of its workspace (when it has none), with a welcome DM queued in the same
    transaction, before Bolt's page says it is done; other failures get Bolt's own page."""

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installer = args.installation.user_id
        services = await services_of(args.installation)
        welcome = (
            None
            if not installer
            else functools.partial(services.setup.queue_welcome, installer=installer)
        )
        if installer and await services.roles.grant_first_admin(
            installer, operator=INSTALLER, then=welcome
        ):
            log.info("the installer %s is the first Global admin", installer)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        if isinstance(args.error, OtherWorkspaceRefused):
            return BoltResponse(
                status=403,
                body=REFUSED_PAGE.format(sentence=html.escape(REFUSED_SENTENCE)),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        return await args.default.failure(args)

    return AsyncCallbackOptions(success=success, failure=failure)


def oauth_settings(
    *,
    client_id: str,
    client_secret: str,
    installation_store: AsyncInstallationStore,
    service: InstallationService,
    services_of: ServicesOf,
    rotator: AsyncTokenRotator,
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: the bot scopes of app.yaml, the installations and states in
    the bot's database, the two paths, token rotation (through ``rotator``, whose client
    asks the Web API the bot is pointed at)."""
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        installation_store=installation_store,
        state_store=DatabaseOAuthStateStore(service),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=callback_options(services_of),
        token_rotation_expiration_minutes=ROTATE_MINUTES,
    )
    # Bolt's authorization rotates tokens with a client of its own, bound to slack.com.
    if isinstance(settings.authorize, AsyncInstallationStoreAuthorize):
        settings.authorize.token_rotator = rotator
        # What auth.test says of a token, asked once per token rather than before every
        # acknowledgement (a rotated token is a new one, asked once again).
        settings.authorize.cache_enabled = True
    return settings


__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "InstalledClient",
    "InstalledToken",
    "NotInstalled",
    "SharedRotator",
    "oauth_settings",
]
