"""Slash commands: `/benefits` and its subcommands, one module per feature.

``register`` only wires; :mod:`handlers.commands.benefits` is the listener, which
parses the text (:mod:`handlers.commands.parser`) and hands the typed command to
the feature's function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks import ids
from bot.domain.model import DomainError
from handlers.commands import parser
from handlers.commands.benefits import benefits_command
from handlers.receipts import receipted


def files_a_request(body: Mapping[str, Any]) -> bool:
    """`request <benefit> …`: saved as a receipt (the rest answer from the acknowledgement)."""
    text = str(body.get("text", ""))
    if parser.verb_of(text) != "request":
        return False  # every other command: no second parse on its way to the answer
    try:
        return isinstance(parser.parse(text), parser.RequestBenefit)
    except DomainError:
        return False  # refused before anything is saved


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(receipted("command", benefits_command, wanted=files_a_request))
