"""The PostgreSQL people repository: roles and the user directory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.model import DirectoryUser, Role
from storage.postgres.area import Area
from storage.sql import people as sql
from storage.sql.rows import stamp


class PostgresPeople(Area):
    """Roles and the user directory."""

    __slots__ = ()

    async def grant_role(self, user_id: str, role: Role, *, at: datetime) -> bool:
        rows = await self._rows(sql.GRANT_ROLE, (user_id, role.value, stamp(at)))
        return bool(rows)

    async def revoke_role(self, user_id: str, role: Role) -> bool:
        rows = await self._rows(sql.REVOKE_ROLE, (user_id, role.value))
        return bool(rows)

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        rows = await self._rows(sql.ROLES_OF, (user_id,))
        return frozenset(Role(r[0]) for r in rows)

    async def role_holders(self, role: Role) -> list[str]:
        rows = await self._rows(sql.ROLE_HOLDERS, (role.value,))
        return [r[0] for r in rows]

    async def all_roles(self) -> list[tuple[str, Role]]:
        rows = await self._rows(sql.ALL_ROLES)
        return [(r[0], Role(r[1])) for r in rows]

    async def get_user(self, user_id: str) -> DirectoryUser | None:
        row = await self._one(sql.GET_USER, (user_id,))
        return None if row is None else DirectoryUser(user_id=row[0], name=row[1], email=row[2])

    async def add_user(self, user_id: str) -> None:
        await self._rows(sql.ADD_USER, (user_id,))

    async def put_user(self, user: DirectoryUser) -> None:
        await self._rows(sql.PUT_USER, (user.user_id, user.name, user.email))

    async def language_of(self, user_id: str) -> str | None:
        row = await self._one(sql.LANGUAGE_OF, (user_id,))
        return None if row is None else str(row[0])

    async def set_language(self, user_id: str, language: str | None) -> None:
        if language is None:
            await self._rows(sql.CLEAR_LANGUAGE, (user_id,))
        else:
            await self._rows(sql.SET_LANGUAGE, (user_id, language))

    async def all_languages(self) -> dict[str, str]:
        rows = await self._rows(sql.ALL_LANGUAGES)
        return {str(r[0]): str(r[1]) for r in rows}

    async def note_home_opened(self, user_id: str, *, at: datetime) -> bool:
        return bool(await self._rows(sql.NOTE_HOME_OPENED, (user_id, stamp(at))))

    async def home_viewers(self, user_ids: Sequence[str]) -> set[str]:
        if not user_ids:
            return set()
        rows = await self._rows(sql.home_viewers(len(user_ids)), tuple(user_ids))
        return {str(r[0]) for r in rows}
