"""The PostgreSQL product-keys repository: ciphertexts by position, and key reveals."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import KeyReveal
from storage.postgres.area import Area
from storage.sqlite.rows import dt, stamp


class PostgresKeys(Area):
    """Product keys (opaque ciphertexts) and the key-reveal log."""

    __slots__ = ()

    async def put(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        await self._rows("DELETE FROM product_keys WHERE benefit_id = ?", (benefit_id,))
        if ciphertexts:
            await self._many(
                "INSERT INTO product_keys (benefit_id, position, ciphertext) VALUES (?, ?, ?)",
                [(benefit_id, i, text) for i, text in enumerate(ciphertexts)],
            )

    async def ciphertexts(self, benefit_id: str) -> list[str]:
        rows = await self._rows(
            "SELECT ciphertext FROM product_keys WHERE benefit_id = ? ORDER BY position",
            (benefit_id,),
        )
        return [r[0] for r in rows]

    async def count(self, benefit_id: str) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM product_keys WHERE benefit_id = ?", (benefit_id,)
        )
        assert row is not None
        return int(row[0])

    async def all_ciphertexts(self) -> list[tuple[str, int, str]]:
        rows = await self._rows(
            "SELECT benefit_id, position, ciphertext FROM product_keys "
            "ORDER BY benefit_id, position"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def update_ciphertext(self, benefit_id: str, position: int, ciphertext: str) -> None:
        row = await self._one(
            "UPDATE product_keys SET ciphertext = ? WHERE benefit_id = ? AND position = ? "
            "RETURNING 1",
            (ciphertext, benefit_id, position),
        )
        if row is None:
            raise KeyError((benefit_id, position))

    async def add_reveal(self, reveal: KeyReveal) -> None:
        await self._rows(
            "INSERT INTO key_reveals (benefit_id, user_id, at) VALUES (?, ?, ?)",
            (reveal.benefit_id, reveal.user_id, stamp(reveal.at)),
        )

    async def first_reveal(self) -> KeyReveal | None:
        row = await self._one(
            "SELECT benefit_id, user_id, at FROM key_reveals ORDER BY at, id LIMIT 1"
        )
        return None if row is None else KeyReveal(row[0], row[1], dt(row[2]))
