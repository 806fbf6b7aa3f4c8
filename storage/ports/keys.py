"""The product-keys port: keys as opaque ciphertexts (only bot.services.keys
encrypts or decrypts them) and who revealed one, when.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.model import (
    KeyReveal,
)


class KeyRepository(Protocol):
    """Product keys, stored as opaque ciphertexts, and their reveals."""

    async def put(self, benefit_id: str, ciphertexts: Sequence[str]) -> None:
        """Replace the benefit's keys, in order."""
        ...

    async def ciphertexts(self, benefit_id: str) -> list[str]: ...

    async def count(self, benefit_id: str) -> int: ...

    async def all_ciphertexts(self) -> list[tuple[str, int, str]]:
        """Every stored key as (benefit id, position, ciphertext)."""
        ...

    async def update_ciphertext(self, benefit_id: str, position: int, ciphertext: str) -> None: ...

    async def add_reveal(self, reveal: KeyReveal) -> None: ...

    async def first_reveal(self) -> KeyReveal | None: ...
