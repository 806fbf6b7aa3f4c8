"""Options of external selects (``block_suggestion``), one module per feature;
``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from handlers.options import picker


def register(app: AsyncApp) -> None:
    app.options(ids.REQUEST_BENEFIT_INPUT)(picker.benefit_options)
