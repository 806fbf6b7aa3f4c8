"""Approve and Deny on an approval request.

A click is acknowledged as soon as the service has decided. The decision queued
the update of every copy of the request and the requester's DM in the outbox,
in its own transaction; the delivery loop sends them.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import requests as request_blocks
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import InvalidInput
from bot.domain.validation import whole_number
from bot.runtime.container import Services
from handlers.refusals import refusing_click


def request_id_of(action: dict[str, Any]) -> int:
    """The request a button names (Approve, Deny, Withdraw)."""
    request_id = whole_number(str(action.get("value", "")), maximum=MAX_RECORD_ID)
    if request_id is None:
        raise InvalidInput("This button is broken: it names no request.")
    return request_id


@refusing_click
async def approve(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await services.requests.approve(body["user"]["id"], request_id_of(action))
    await ack()


@refusing_click
async def deny(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Open the modal asking why (its submission is :mod:`handlers.views.requests`)."""
    request, benefit = await services.requests.check_can_decide(
        body["user"]["id"], request_id_of(action)
    )
    await ack()
    await client.views_open(
        trigger_id=body["trigger_id"], view=request_blocks.deny_view(request, benefit)
    )
