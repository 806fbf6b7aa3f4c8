"""Answering a click only its clicker sees, after the acknowledgement."""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond

from bot.blocks import benefits as blocks
from bot.domain.model import DomainError
from bot.runtime.container import Services


def answer(
    services: Services,
    respond: AsyncRespond,
    payload: blocks.Message,
    *,
    replace: bool = False,
    name: str = "answer",
) -> None:
    """Send ``payload`` as an ephemeral reply through the response URL, in the background."""
    services.background.spawn(
        respond(response_type="ephemeral", replace_original=replace, **payload), name=name
    )


def refuse(services: Services, respond: AsyncRespond, error: DomainError) -> None:
    """Say why a click was refused, to the clicker only."""
    answer(services, respond, blocks.error_message(error), name="refusal")
