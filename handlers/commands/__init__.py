"""Slash commands: `/benefits` and its subcommands, one module per feature.

``register`` only wires; :mod:`handlers.commands.benefits` is the listener, which
parses the text (:mod:`handlers.commands.parser`) and hands the typed command to
the feature's function.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from handlers.commands.benefits import benefits_command


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(benefits_command)
