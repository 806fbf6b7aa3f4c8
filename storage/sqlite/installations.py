"""The SQLite installations repository (tokens as ciphertexts) and OAuth states."""

from __future__ import annotations

from datetime import datetime

from bot.domain.installations import SealedInstallation
from storage.sql import installations as sql
from storage.sql.rows import stamp
from storage.sqlite.area import Area


class SqliteInstallations(Area):
    """Installations keyed by (enterprise, team), one per key."""

    __slots__ = ()

    async def put(self, installation: SealedInstallation) -> None:
        self._rows(sql.PUT_INSTALLATION, sql.installation_params(installation))

    async def get(
        self, enterprise_id: str | None, team_id: str | None
    ) -> SealedInstallation | None:
        row = self._one(sql.GET_INSTALLATION, (enterprise_id or "", team_id or ""))
        return None if row is None else sql.installation(row)

    async def delete(self, enterprise_id: str | None, team_id: str | None) -> bool:
        return bool(self._rows(sql.DELETE_INSTALLATION, (enterprise_id or "", team_id or "")))

    async def all(self) -> list[SealedInstallation]:
        return [sql.installation(row) for row in self._rows(sql.ALL_INSTALLATIONS)]


class SqliteOAuthStates(Area):
    """OAuth states, each consumed at most once (one ``DELETE … RETURNING``)."""

    __slots__ = ()

    async def add(self, state: str, *, expires_at: datetime) -> None:
        self._rows(sql.ADD_STATE, (state, stamp(expires_at)))

    async def consume(self, state: str, *, now: datetime) -> bool:
        return bool(self._rows(sql.CONSUME_STATE, (state, stamp(now))))

    async def purge(self, *, now: datetime) -> int:
        return len(self._rows(sql.PURGE_STATES, (stamp(now),)))
