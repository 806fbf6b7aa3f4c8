"""**Activate** and **Mark active** on technical benefits and go-to-market offers.

Activate answers the clicker and posts the pending activation where it lasts;
Mark active opens the modal whose submission is :mod:`handlers.views.activation`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import activation as activation_blocks
from bot.runtime.container import Services
from handlers.commands.activation import requested_notice
from handlers.refusals import refusing_click
from handlers.replies import answer


@refusing_click
async def activate(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    result = await services.activation.activate(body["user"]["id"], str(action.get("value", "")))
    answer(services, respond, await requested_notice(result, services), name="activation answer")


@refusing_click
async def mark_active(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    benefit, pending = await services.activation.completion_form(
        body["user"]["id"], str(action.get("value", ""))
    )
    container = body.get("container") or {}
    lasting = container.get("type") == "message" and not container.get("is_ephemeral")
    origin = activation_blocks.Origin(
        benefit.id,
        str(container.get("channel_id", "")) if lasting else "",
        str(container.get("message_ts", "")) if lasting else "",
    )
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=activation_blocks.completion_view(benefit, pending, origin),
    )
