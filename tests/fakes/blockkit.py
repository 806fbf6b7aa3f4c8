"""Block Kit's limits: the checker lives in the product (the playground enforces it too)."""

from bot.playground.blockkit import Surface, assert_within_block_kit_limits, block_kit_violations

__all__ = ["Surface", "assert_within_block_kit_limits", "block_kit_violations"]
