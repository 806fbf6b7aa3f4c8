"""The bot installed in a workspace or an Enterprise Grid org, and the OAuth states of installs.

An installation is keyed by ``(enterprise_id, team_id)``: a workspace install
by its team (and its org, when the workspace belongs to one), an org-wide
install of Enterprise Grid by its org alone (``team_id`` None), which then
serves every workspace of the org. One installation per key: installing again,
or rotating the bot token, replaces it.

:class:`BotInstallation` holds the bot token and refresh token as plaintext,
for the code that calls Slack with them; :class:`SealedInstallation` holds them
as ciphertexts, as the storage keeps them (``bot.services.installations``
encrypts and decrypts). Neither shows a token in its ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationFacts:
    """What an installation says besides its tokens.

    ``team_id`` is None for an org-wide install (``is_enterprise_install``);
    ``enterprise_id`` is None for a workspace outside Enterprise Grid.
    ``bot_token_expires_at`` is set only with token rotation on.
    """

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool = False
    app_id: str | None = None
    enterprise_name: str | None = None
    team_name: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: tuple[str, ...] = ()
    bot_token_expires_at: datetime | None = None
    installer_user_id: str | None = None
    installed_at: datetime

    @property
    def key(self) -> tuple[str | None, str | None]:
        """``(enterprise_id, team_id)``, the installation's identity (see :func:`installation_key`)."""
        return installation_key(self.enterprise_id, self.team_id, self.is_enterprise_install)

    def facts(self) -> dict[str, Any]:
        """The fields of :class:`InstallationFacts`, by name (to build the other kind from)."""
        return {f.name: getattr(self, f.name) for f in fields(InstallationFacts)}


@dataclass(frozen=True, slots=True, kw_only=True)
class BotInstallation(InstallationFacts):
    """An installation with its tokens in plaintext; they stay out of ``repr``."""

    bot_token: str = field(repr=False)
    bot_refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SealedInstallation(InstallationFacts):
    """An installation as the storage keeps it: its tokens as ciphertexts, never plaintext."""

    bot_token_ciphertext: str = field(repr=False)
    bot_refresh_token_ciphertext: str | None = field(default=None, repr=False)


def installation_key(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> tuple[str | None, str | None]:
    """The key an installation is kept under: an org-wide install's has no team.

    Empty ids count as absent, as Slack's own stores treat them.
    """
    team = None if is_enterprise_install else team_id or None
    return enterprise_id or None, team
