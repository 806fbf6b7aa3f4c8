"""The loopback server every fake shares: it lives in the product (the playground uses it)."""

from bot.playground.loopback import LoopbackServer

__all__ = ["LoopbackServer"]
