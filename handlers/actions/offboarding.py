"""Reclaim all, Keep and Reclaim (one item) on an offboarding message.

The service decides in one transaction and queues the update of every copy of
the message in the outbox with it; the click is acknowledged once it decided.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks.offboarding import parse_item_value
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import InvalidInput
from bot.domain.validation import whole_number
from bot.runtime.container import Services
from handlers.refusals import refusing_click


def _offboarding_id(text: str) -> int:
    number = whole_number(text, maximum=MAX_RECORD_ID)
    if number is None or number < 1:
        raise InvalidInput("This button is broken: it names no offboarding.")
    return number


@refusing_click
async def reclaim_all(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], services: Services
) -> None:
    await services.offboarding.reclaim(
        body["user"]["id"], _offboarding_id(str(action.get("value", "")))
    )
    await ack()


@refusing_click
async def keep(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], services: Services
) -> None:
    await services.offboarding.keep(
        body["user"]["id"], _offboarding_id(str(action.get("value", "")))
    )
    await ack()


@refusing_click
async def reclaim_item(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], services: Services
) -> None:
    number, item = parse_item_value(str(action.get("value", "")))
    await services.offboarding.reclaim(body["user"]["id"], _offboarding_id(str(number)), item)
    await ack()
