"""Modal submissions (``view_submission``), one module per feature; ``register`` only wires."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from handlers.views import activation, contact, keys, picker, requests, setup


def register(app: AsyncApp) -> None:
    app.view(ids.DENY_VIEW)(requests.denial_reasoned)
    app.view(ids.KEYS_VIEW)(keys.keys_chosen)
    app.view(ids.ACTIVATION_VIEW)(activation.activation_completed)
    app.view(ids.CONTACT_VIEW)(contact.contact_chosen)
    app.view(ids.REQUEST_VIEW)(picker.request_submitted)
    app.view(ids.SETUP_VIEW)(setup.admin_channel_chosen)
