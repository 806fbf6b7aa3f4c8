"""slack_sdk's installation and OAuth state stores over the bot's own database.

:class:`DatabaseInstallationStore` is an ``AsyncInstallationStore`` and
:class:`DatabaseOAuthStateStore` an ``AsyncOAuthStateStore``: Bolt's
``AsyncOAuthSettings`` takes them for its OAuth flow (``/slack/install``,
``/slack/oauth_redirect``) and its authorization of each request. Both only
translate between slack_sdk's ``Installation``/``Bot`` and
:class:`bot.services.installations.InstallationService`, which keeps the tokens
encrypted. ``benefits-bot run`` uses them when the bot is installed with Add
to Slack (:mod:`bot.runtime.oauth`, docs/installations.md), keeping one
installation per database (``single_workspace``) until the bot's data is kept
apart per workspace.

The bot keeps one installation per workspace or org: the bot's part of it. An
installer's user token (the manifest asks for no user scope) is not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from logging import Logger
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.domain.installations import BotInstallation
from bot.services.installations import (
    STATE_LIFETIME,
    AnotherWorkspace,
    InstallationService,
    describe_key,
)

log = logging.getLogger(__name__)


class MissingBotToken(ValueError):
    """An installation without a bot token: the bot needs its bot scopes to work."""

    def __init__(self, enterprise_id: str | None, team_id: str | None) -> None:
        super().__init__(
            f"the installation in {describe_key(enterprise_id, team_id)} has no bot token: "
            "install the app with its bot scopes"
        )


class OtherWorkspaceRefused(BoltError):
    """An install refused because the bot serves another workspace or org (Bolt's OAuth
    flow shows its failure page for a ``BoltError`` raised while saving)."""

    def __init__(self, refused: AnotherWorkspace) -> None:
        super().__init__(str(refused))
        self.installed = refused.installed


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def from_installation(installation: Installation) -> BotInstallation:
    """The bot's part of a slack_sdk ``Installation``."""
    return _bot_part(installation, installer=installation.user_id or None)


def from_bot(bot: Bot) -> BotInstallation:
    """A slack_sdk ``Bot`` as an installation whose installer is unknown."""
    return _bot_part(bot, installer=None)


def _bot_part(source: Installation | Bot, *, installer: str | None) -> BotInstallation:
    """What an ``Installation`` and a ``Bot`` share (the same attribute names)."""
    if not source.bot_token:
        raise MissingBotToken(source.enterprise_id, source.team_id)
    installed_at = _moment(source.installed_at)
    assert installed_at is not None
    return BotInstallation(
        enterprise_id=source.enterprise_id or None,
        team_id=source.team_id or None,
        is_enterprise_install=bool(source.is_enterprise_install),
        app_id=source.app_id,
        enterprise_name=source.enterprise_name,
        team_name=source.team_name,
        bot_id=source.bot_id or None,
        bot_user_id=source.bot_user_id or None,
        bot_scopes=tuple(source.bot_scopes or ()),
        bot_token_expires_at=_moment(source.bot_token_expires_at),
        installer_user_id=installer,
        installed_at=installed_at,
        bot_token=source.bot_token,
        bot_refresh_token=source.bot_refresh_token,
    )


def _expiry(installation: BotInstallation) -> int | None:
    expires = installation.bot_token_expires_at
    return None if expires is None else int(expires.timestamp())


def to_installation(installation: BotInstallation) -> Installation:
    """A slack_sdk ``Installation`` of the bot's part (no user token; ``user_id`` is the
    installer, "" when unknown)."""
    return Installation(
        app_id=installation.app_id,
        enterprise_id=installation.enterprise_id,
        enterprise_name=installation.enterprise_name,
        team_id=installation.team_id,
        team_name=installation.team_name,
        bot_token=installation.bot_token,
        bot_id=installation.bot_id,
        bot_user_id=installation.bot_user_id,
        bot_scopes=list(installation.bot_scopes),
        bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_at=_expiry(installation),
        user_id=installation.installer_user_id or "",
        is_enterprise_install=installation.is_enterprise_install,
        installed_at=installation.installed_at.timestamp(),
    )


def to_bot(installation: BotInstallation) -> Bot:
    """A slack_sdk ``Bot`` of the installation."""
    return Bot(
        app_id=installation.app_id,
        enterprise_id=installation.enterprise_id,
        enterprise_name=installation.enterprise_name,
        team_id=installation.team_id,
        team_name=installation.team_name,
        bot_token=installation.bot_token,
        bot_id=installation.bot_id or "",
        bot_user_id=installation.bot_user_id or "",
        bot_scopes=list(installation.bot_scopes),
        bot_refresh_token=installation.bot_refresh_token,
        bot_token_expires_at=_expiry(installation),
        is_enterprise_install=installation.is_enterprise_install,
        installed_at=installation.installed_at.timestamp(),
    )


class DatabaseInstallationStore(AsyncInstallationStore):
    """slack_sdk's ``AsyncInstallationStore`` over :class:`InstallationService`.

    One installation per workspace or org (saving replaces it, as a token
    rotation must); an org-wide install is found from every workspace of its org.
    """

    def __init__(
        self,
        service: InstallationService,
        *,
        logger: Logger | None = None,
        single_workspace: bool = False,
        on_saved: Callable[[BotInstallation], None] | None = None,
        on_deleted: Callable[[], None] | None = None,
    ) -> None:
        """``single_workspace``: refuse an install into another workspace or org than the
        one installed (:class:`OtherWorkspaceRefused`). ``on_saved`` hears every
        installation saved (an install, a rotated token), ``on_deleted`` every one deleted."""
        self._service = service
        self._logger = logger or log
        self._single_workspace = single_workspace
        self._on_saved = on_saved
        self._on_deleted = on_deleted

    @property
    def logger(self) -> Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        kept = from_installation(installation)
        if installation.user_token is not None:
            self._logger.info("the installer's user token is not kept (the bot asks no user scope)")
        if self._single_workspace:
            try:
                requeued = await self._service.save_sole(kept)
            except AnotherWorkspace as refused:
                self._logger.warning(
                    "refused the install in %s: the bot is installed in %s",
                    describe_key(*kept.key),
                    describe_key(*refused.installed),
                )
                raise OtherWorkspaceRefused(refused) from None
            if requeued:
                self._logger.info(
                    "sending resumed in %s: %d parked messages queued again",
                    describe_key(*kept.key),
                    requeued,
                )
        else:
            await self._service.save(kept)
        self._logger.info("saved the installation in %s", describe_key(*kept.key))
        if self._on_saved is not None:
            self._on_saved(kept)

    async def async_save_bot(self, bot: Bot) -> None:
        kept = from_bot(bot)
        await self._service.save_bot(kept)
        self._logger.info("saved the bot of %s", describe_key(*kept.key))
        if self._on_saved is not None:
            self._on_saved(kept)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await self._service.find(
            enterprise_id, team_id, is_enterprise_install=is_enterprise_install
        )
        return None if found is None else to_bot(found)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self._service.find(
            enterprise_id,
            team_id,
            is_enterprise_install=is_enterprise_install,
            user_id=user_id,
        )
        return None if found is None else to_installation(found)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        if await self._service.delete(enterprise_id, team_id):
            self._logger.info(
                "deleted the installation in %s", describe_key(enterprise_id, team_id)
            )
            if self._on_deleted is not None:
                self._on_deleted()

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        # A person's tokens revoked: the bot keeps none of them, and the bot's stay.
        if user_id is None:
            await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)


class DatabaseOAuthStateStore(AsyncOAuthStateStore):
    """slack_sdk's ``AsyncOAuthStateStore`` over :class:`InstallationService`: random
    states kept in the database, each good once until it expires."""

    def __init__(
        self,
        service: InstallationService,
        *,
        expiration_seconds: int = int(STATE_LIFETIME.total_seconds()),
        logger: Logger | None = None,
    ) -> None:
        self._service = service
        self._lifetime = timedelta(seconds=expiration_seconds)
        self._logger = logger or log

    @property
    def logger(self) -> Logger:
        return self._logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await self._service.issue_state(lifetime=self._lifetime)

    async def async_consume(self, state: str) -> bool:
        consumed = await self._service.consume_state(state)
        if not consumed:
            self._logger.info("refused an OAuth state: unknown, expired or used already")
        return consumed


__all__ = [
    "DatabaseInstallationStore",
    "DatabaseOAuthStateStore",
    "MissingBotToken",
    "OtherWorkspaceRefused",
    "from_bot",
    "from_installation",
    "to_bot",
    "to_installation",
]
