"""Statements of product keys (ciphertexts by position) and key reveals."""

from __future__ import annotations

from typing import Final

DELETE: Final = "DELETE FROM product_keys WHERE benefit_id = ?"
INSERT: Final = "INSERT INTO product_keys (benefit_id, position, ciphertext) VALUES (?, ?, ?)"
CIPHERTEXTS: Final = "SELECT ciphertext FROM product_keys WHERE benefit_id = ? ORDER BY position"
COUNT: Final = "SELECT COUNT(*) FROM product_keys WHERE benefit_id = ?"
ALL_CIPHERTEXTS: Final = (
    "SELECT benefit_id, position, ciphertext FROM product_keys ORDER BY benefit_id, position"
)
UPDATE_CIPHERTEXT: Final = (
    "UPDATE product_keys SET ciphertext = ? WHERE benefit_id = ? AND position = ? RETURNING 1"
)
ADD_REVEAL: Final = "INSERT INTO key_reveals (benefit_id, user_id, at) VALUES (?, ?, ?)"
FIRST_REVEAL: Final = "SELECT benefit_id, user_id, at FROM key_reveals ORDER BY at, id LIMIT 1"
