"""Global shortcuts (the lightning menu), one module per feature; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from handlers.actions import picker


def register(app: AsyncApp) -> None:
    # The same form as the Home's Request a benefit button.
    app.shortcut(ids.REQUEST_SHORTCUT)(picker.open_request_form)
