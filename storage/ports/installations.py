"""The installations port: the bot's installations per workspace or Enterprise Grid org,
with their tokens as opaque ciphertexts (only ``bot.services.installations`` encrypts or
decrypts them), and the OAuth states of installs under way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.installations import SealedInstallation


class InstallationRepository(Protocol):
    """Installations keyed by ``(enterprise_id, team_id)``, one per key.

    ``team_id`` None is an org-wide install; ``enterprise_id`` None a workspace
    outside Enterprise Grid. Keys are taken as given: normalising them (an
    org-wide install has no team) is the caller's business.
    """

    async def put(self, installation: SealedInstallation) -> None:
        """Keep the installation, replacing whatever its key held (tokens included)."""
        ...

    async def get(
        self, enterprise_id: str | None, team_id: str | None
    ) -> SealedInstallation | None:
        """The installation kept under exactly this key."""
        ...

    async def delete(self, enterprise_id: str | None, team_id: str | None) -> bool:
        """Forget the installation kept under this key; whether there was one."""
        ...

    async def all(self) -> list[SealedInstallation]:
        """Every installation, ordered by key (to re-encrypt their tokens)."""
        ...


class OAuthStateRepository(Protocol):
    """The ``state`` values of OAuth installs under way, each good until it expires, once."""

    async def add(self, state: str, *, expires_at: datetime) -> None: ...

    async def consume(self, state: str, *, now: datetime) -> bool:
        """Use the state up: True once for a state added and not expired by ``now``.

        An unknown, expired or already consumed state answers False. Atomic: of
        two transactions consuming one state at once, even on two replicas,
        exactly one gets True.
        """
        ...

    async def purge(self, *, now: datetime) -> int:
        """Forget the states expired by ``now``; how many."""
        ...
