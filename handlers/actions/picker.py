"""The Request a benefit button (on the Home) and shortcut: opens the form."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.picker import request_form_view
from bot.runtime.container import Services


async def open_request_form(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, services: Services
) -> None:
    await ack()
    services.background.spawn(
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=request_form_view()),
        name="request form",
    )
