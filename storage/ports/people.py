"""The people port: roles, the directory (names and e-mail addresses) and chosen languages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain.model import (
    DirectoryUser,
    Role,
)


class PeopleRepository(Protocol):
    """Roles people hold and the directory of people the bot knows."""

    async def grant_role(self, user_id: str, role: Role, *, at: datetime) -> bool:
        """Grant a role; False when the user already held it."""
        ...

    async def revoke_role(self, user_id: str, role: Role) -> bool:
        """Revoke a role; False when the user did not hold it."""
        ...

    async def roles_of(self, user_id: str) -> frozenset[Role]: ...

    async def role_holders(self, role: Role) -> list[str]: ...

    async def all_roles(self) -> list[tuple[str, Role]]: ...

    async def get_user(self, user_id: str) -> DirectoryUser | None: ...

    async def add_user(self, user_id: str) -> None:
        """Add ``user_id`` to the directory, with no name or email, unless it is there
        (then nothing changes)."""
        ...

    async def put_user(self, user: DirectoryUser) -> None: ...

    async def language_of(self, user_id: str) -> str | None:
        """The language the person chose (``nl``, ``en``); None: follow their Slack locale."""
        ...

    async def set_language(self, user_id: str, language: str | None) -> None:
        """Keep the person's choice; None forgets it (back to their Slack locale)."""
        ...

    async def note_home_opened(self, user_id: str, *, at: datetime) -> bool:
        """Record that ``user_id`` opened their App Home (once); True the first time."""
        ...

    async def home_viewers(self, user_ids: Sequence[str]) -> set[str]:
        """Which of ``user_ids`` have ever opened their App Home (only theirs are republished)."""
        ...

    async def all_languages(self) -> dict[str, str]:
        """Every language chosen, by user ID."""
        ...
