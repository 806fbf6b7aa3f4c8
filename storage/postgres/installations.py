"""The PostgreSQL installations repository (tokens as ciphertexts) and OAuth states."""

from __future__ import annotations

from datetime import datetime

from bot.domain.installations import SealedInstallation
from storage.postgres.area import Area
from storage.sql import installations as sql
from storage.sql.rows import stamp


class PostgresInstallations(Area):
    """Installations keyed by (enterprise, team), one per key."""

    __slots__ = ()

    async def put(self, installation: SealedInstallation) -> None:
        await self._rows(sql.PUT_INSTALLATION, sql.installation_params(installation))

    async def get(
        self, enterprise_id: str | None, team_id: str | None
    ) -> SealedInstallation | None:
        row = await self._one(sql.GET_INSTALLATION, (enterprise_id or "", team_id or ""))
        return None if row is None else sql.installation(row)

    async def delete(self, enterprise_id: str | None, team_id: str | None) -> bool:
        return bool(await self._rows(sql.DELETE_INSTALLATION, (enterprise_id or "", team_id or "")))

    async def all(self) -> list[SealedInstallation]:
        return [sql.installation(row) for row in await self._rows(sql.ALL_INSTALLATIONS)]


class PostgresOAuthStates(Area):
    """OAuth states, each consumed at most once (one ``DELETE … RETURNING``)."""

    __slots__ = ()

    async def add(self, state: str, *, expires_at: datetime) -> None:
        await self._rows(sql.ADD_STATE, (state, stamp(expires_at)))

    async def consume(self, state: str, *, now: datetime) -> bool:
        return bool(await self._rows(sql.CONSUME_STATE, (state, stamp(now))))

    async def purge(self, *, now: datetime) -> int:
        return len(await self._rows(sql.PURGE_STATES, (stamp(now),)))
