"""The PostgreSQL product-keys repository: ciphertexts by position, and key reveals."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import KeyReveal
from storage.postgres.area import Area
from storage.sql import keys as sql
from storage.sql.rows import dt, stamp


class PostgresKeys(Area):
    """Product keys (opaque ciphertexts) and the key-reveal log."""

    __slots__ = ()

    async def put(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        await self._rows(sql.DELETE, (benefit_id,))
        if ciphertexts:
            await self._many(
                sql.INSERT,
                [(benefit_id, i, text) for i, text in enumerate(ciphertexts)],
            )

    async def ciphertexts(self, benefit_id: str) -> list[str]:
        rows = await self._rows(sql.CIPHERTEXTS, (benefit_id,))
        return [r[0] for r in rows]

    async def count(self, benefit_id: str) -> int:
        row = await self._one(sql.COUNT, (benefit_id,))
        assert row is not None
        return int(row[0])

    async def all_ciphertexts(self) -> list[tuple[str, int, str]]:
        rows = await self._rows(sql.ALL_CIPHERTEXTS)
        return [(r[0], r[1], r[2]) for r in rows]

    async def update_ciphertext(self, benefit_id: str, position: int, ciphertext: str) -> None:
        row = await self._one(sql.UPDATE_CIPHERTEXT, (ciphertext, benefit_id, position))
        if row is None:
            raise KeyError((benefit_id, position))

    async def add_reveal(self, reveal: KeyReveal) -> None:
        await self._rows(
            sql.ADD_REVEAL,
            (reveal.benefit_id, reveal.user_id, stamp(reveal.at)),
        )

    async def first_reveal(self) -> KeyReveal | None:
        row = await self._one(sql.FIRST_REVEAL)
        return None if row is None else KeyReveal(row[0], row[1], dt(row[2]))
