"""Global shortcuts (the lightning menu), one module per feature; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from handlers.shortcuts import picker


def register(app: AsyncApp) -> None:
    app.shortcut(ids.REQUEST_SHORTCUT)(picker.request_shortcut)
