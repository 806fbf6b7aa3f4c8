"""Slack listeners, one module per kind, each exposing ``register(app, services)``.

Listeners are thin: acknowledge, parse the payload into a typed command, call
one service function, render the result with a builder, send. Slack calls
that the acknowledgement does not need run afterwards, in the background.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime.container import Services
from handlers import (
    actions,
    activation,
    admin,
    cloud,
    commands,
    events,
    keys,
    reminders,
    views,
)


def register_all(app: AsyncApp, services: Services) -> None:
    for module in (commands, actions, views, events, keys, cloud, admin, activation, reminders):
        module.register(app, services)
