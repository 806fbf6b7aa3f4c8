"""Installations of the bot per workspace or Enterprise Grid org, and the OAuth states
of installs under way, kept in the bot's own database.

The bot token and refresh token of an installation are encrypted at rest with the
same :class:`~bot.services.keys.KeyVault` as product keys (``BENEFITS_ENCRYPTION_KEY``):
the storage holds their ciphertexts only, and :func:`rotate_installation_tokens`
re-encrypts them under the newest key, as ``rotate_keys`` does product keys.
Saving an installation again (a new install, or a token rotation) replaces its
tokens. An org-wide install of Enterprise Grid is kept under its org alone and
found from any workspace of the org.

No Slack types here: ``bot.runtime.installations`` adapts this service to
slack_sdk's installation and OAuth state stores. Nothing here puts a token or
the key material into a log line, an exception message or a ``repr``.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Final

from cryptography.fernet import InvalidToken

from bot.domain.clock import Clock
from bot.domain.installations import (
    BotInstallation,
    SealedInstallation,
    installation_key,
)
from bot.domain.tenancy import Tenant
from bot.services.keys import SETTING, KeyVault
from bot.services.tenancy import OtherTenant, record_in, resume_in
from storage.unit_of_work import Store

STATE_LIFETIME: Final = timedelta(minutes=10)  # as long as Bolt's own state stores keep one
STATE_BYTES: Final = 32  # random bytes of a state (43 url-safe characters)
LONGEST_STATE: Final = 128  # anything longer was never issued: refused without a query


class TokensUnreadable(Exception):
    """Stored tokens that the configured key material cannot decrypt.

    The message names the workspace or org and the setting, never a token.
    """

    def __init__(self, enterprise_id: str | None, team_id: str | None) -> None:
        where = describe_key(enterprise_id, team_id)
        super().__init__(
            f"the tokens of the installation in {where} cannot be decrypted with {SETTING}; set "
            "it to the key they were encrypted with (when rotating: the new key first, then the old)"
        )
        self.enterprise_id = enterprise_id
        self.team_id = team_id


class AnotherWorkspace(Exception):
    """An install into a workspace or org other than the one the bot is installed in.

    Until the bot's data is kept apart per workspace (tenancy, issue 12), one
    database serves one workspace or org: the first install is kept, others refused.
    """

    def __init__(self, installed: tuple[str | None, str | None]) -> None:
        super().__init__(
            f"the bot is installed in {describe_key(*installed)} already, and its data is not "
            "yet kept apart per workspace: another workspace or org needs a bot of its own"
        )
        self.installed = installed


def describe_key(enterprise_id: str | None, team_id: str | None) -> str:
    """``workspace T1``, ``workspace T1 of org E1`` or ``org E1`` (for messages and logs)."""
    if team_id is None:
        return f"org {enterprise_id}"
    return f"workspace {team_id}" + (f" of org {enterprise_id}" if enterprise_id else "")


def seal(installation: BotInstallation, vault: KeyVault) -> SealedInstallation:
    """The installation with its tokens encrypted, under its normalised key."""
    refresh = installation.bot_refresh_token
    enterprise_id, team_id = installation.key
    return SealedInstallation(
        **{**installation.facts(), "enterprise_id": enterprise_id, "team_id": team_id},
        bot_token_ciphertext=vault.encrypt(installation.bot_token),
        bot_refresh_token_ciphertext=None if refresh is None else vault.encrypt(refresh),
    )


def unseal(sealed: SealedInstallation, vault: KeyVault) -> BotInstallation:
    """The installation with its tokens decrypted; raises :class:`TokensUnreadable`."""
    refresh = sealed.bot_refresh_token_ciphertext
    try:
        return BotInstallation(
            **sealed.facts(),
            bot_token=vault.decrypt(sealed.bot_token_ciphertext),
            bot_refresh_token=None if refresh is None else vault.decrypt(refresh),
        )
    except (InvalidToken, UnicodeError):
        raise TokensUnreadable(sealed.enterprise_id, sealed.team_id) from None


class InstallationService:
    """Keeps installations (tokens encrypted) and OAuth states in the store."""

    def __init__(self, store: Store, *, clock: Clock, vault: KeyVault) -> None:
        self._store = store
        self._clock = clock
        self._vault = vault

    async def save(self, installation: BotInstallation) -> None:
        """Keep the installation, replacing the one its workspace or org had (tokens included)."""
        sealed = seal(installation, self._vault)
        async with self._store.write() as uow:
            await uow.installations.put(sealed)

    async def save_sole(self, installation: BotInstallation) -> int:
        """Keep the installation unless another workspace or org has one, or its data
        (one per database until tenancy); installing again into the same one replaces
        it, and ends a suspension (the app uninstalled, its token revoked): the pings
        that it parked are queued again. Returns how many.

        Checked and saved in one write transaction, so of two first installs into
        different workspaces at once one is refused.

        Raises:
            AnotherWorkspace: The bot is installed elsewhere; nothing is saved.
        """
        sealed = seal(installation, self._vault)
        key = (sealed.enterprise_id, sealed.team_id)
        async with self._store.write() as uow:
            for kept in await uow.installations.all():
                if (kept.enterprise_id, kept.team_id) != key:
                    raise AnotherWorkspace((kept.enterprise_id, kept.team_id))
            try:  # the data of an uninstalled workspace, kept for its retention period
                await record_in(uow, Tenant(*key, recorded_at=self._clock.now()))
            except OtherTenant as other:
                held = other.held.key if other.held is not None else (None, None)
                raise AnotherWorkspace(held) from None
            await uow.installations.put(sealed)
            requeued = await resume_in(uow)
        return requeued

    async def sole(self) -> BotInstallation | None:
        """The one installation of a database that serves one workspace or org, if any.

        Raises:
            TokensUnreadable: Its tokens cannot be decrypted.
        """
        async with self._store.read() as uow:
            stored = await uow.installations.all()
        return unseal(stored[0], self._vault) if stored else None

    async def all(self) -> list[BotInstallation]:
        """Every installation kept, tokens decrypted.

        Raises:
            TokensUnreadable: The tokens of one cannot be decrypted.
        """
        async with self._store.read() as uow:
            stored = await uow.installations.all()
        return [unseal(sealed, self._vault) for sealed in stored]

    async def save_bot(self, installation: BotInstallation) -> None:
        """Keep a bot's installation (its tokens rotated, say) that does not know its installer.

        The installer already stored stays, unless ``installation`` names one.
        """
        sealed = seal(installation, self._vault)
        async with self._store.write() as uow:
            kept = await uow.installations.get(sealed.enterprise_id, sealed.team_id)
            if kept is not None and sealed.installer_user_id is None:
                sealed = replace(sealed, installer_user_id=kept.installer_user_id)
            await uow.installations.put(sealed)

    async def find(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        *,
        is_enterprise_install: bool | None = False,
        user_id: str | None = None,
    ) -> BotInstallation | None:
        """The installation that serves this workspace or org, tokens decrypted.

        An org-wide install (``is_enterprise_install``, or no team given) is looked
        up under the org alone. A workspace of an org with no installation of its
        own is served by the org's org-wide install, if there is one. With
        ``user_id``, only an installation that this person installed is found:
        the bot keeps no per-person installations (see docs/installations.md).

        Raises:
            TokensUnreadable: The stored tokens cannot be decrypted.
        """
        key = installation_key(enterprise_id, team_id, is_enterprise_install)
        async with self._store.read() as uow:
            sealed = await uow.installations.get(*key)
            if sealed is None and key[0] is not None and key[1] is not None:
                org_wide = await uow.installations.get(key[0], None)
                if org_wide is not None and org_wide.is_enterprise_install:
                    sealed = org_wide
        if sealed is None or (user_id is not None and sealed.installer_user_id != user_id):
            return None
        return unseal(sealed, self._vault)

    async def delete(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """Forget the installation kept under exactly this key; whether there was one."""
        async with self._store.write() as uow:
            return await uow.installations.delete(enterprise_id or None, team_id or None)

    async def issue_state(self, *, lifetime: timedelta = STATE_LIFETIME) -> str:
        """A new random OAuth state, good once for ``lifetime``; forgets expired ones."""
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self._clock.now()
        async with self._store.write(concurrent=True) as uow:
            await uow.oauth_states.purge(now=now)
            await uow.oauth_states.add(state, expires_at=now + lifetime)
        return state

    async def consume_state(self, state: str) -> bool:
        """True once for a state issued here and not expired; False for any other.

        Consuming is one conditional delete, so of two replicas consuming one
        state at once exactly one is told True.
        """
        if not state or len(state) > LONGEST_STATE:
            return False
        async with self._store.write(concurrent=True) as uow:
            return await uow.oauth_states.consume(state, now=self._clock.now())


async def rotate_installation_tokens(store: Store, vault: KeyVault) -> int:
    """Re-encrypt every stored token under the newest key, in one transaction; how many
    installations.

    Raises:
        TokensUnreadable: An installation's tokens cannot be decrypted with any
            listed key; nothing is changed.
    """
    async with store.write() as uow:
        stored = await uow.installations.all()
        for sealed in stored:
            refresh = sealed.bot_refresh_token_ciphertext
            try:
                rotated = replace(
                    sealed,
                    bot_token_ciphertext=vault.rotate(sealed.bot_token_ciphertext),
                    bot_refresh_token_ciphertext=None if refresh is None else vault.rotate(refresh),
                )
            except (InvalidToken, UnicodeError):
                raise TokensUnreadable(sealed.enterprise_id, sealed.team_id) from None
            await uow.installations.put(rotated)
    return len(stored)


__all__ = [
    "STATE_LIFETIME",
    "AnotherWorkspace",
    "InstallationService",
    "TokensUnreadable",
    "describe_key",
    "rotate_installation_tokens",
    "seal",
    "unseal",
]
