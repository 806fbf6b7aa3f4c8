"""Reclaim all, Keep and Reclaim (one item) on an offboarding message.

The service decides in one transaction and queues the update of every copy of
the message in the outbox with it; the click is acknowledged once it decided.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks.offboarding import parse_item_value
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import InvalidInput
from bot.domain.validation import whole_number
from bot.runtime.container import Services
from bot.services.offboarding import OffboardingService
from handlers.refusals import Listener, refusing_click


def _offboarding_id(text: str) -> int:
    number = whole_number(text, maximum=MAX_RECORD_ID)
    if number is None or number < 1:
        raise InvalidInput("This button is broken: it names no offboarding.")
    return number


Decide = Callable[[OffboardingService, str, int], Awaitable[object]]
"""What a button about a whole offboarding does: the service, the clicker, the offboarding."""


def _deciding(decide: Decide, name: str) -> Listener:
    """The listener of a button that decides a whole offboarding with ``decide``."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], services: Services
    ) -> None:
        offboarding_id = _offboarding_id(str(action.get("value", "")))
        await decide(services.offboarding, body["user"]["id"], offboarding_id)
        await ack()

    listener.__name__ = listener.__qualname__ = name
    return refusing_click(listener)


reclaim_all = _deciding(OffboardingService.reclaim, "reclaim_all")
keep = _deciding(OffboardingService.keep, "keep")


@refusing_click
async def reclaim_item(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], services: Services
) -> None:
    number, item = parse_item_value(str(action.get("value", "")))
    await services.offboarding.reclaim(body["user"]["id"], _offboarding_id(str(number)), item)
    await ack()
