"""The setup checklist's buttons on a Global admin's Home: choose the admin channel, how
to enter the membership, how to import the inventory."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks import setup as setup_blocks
from bot.runtime.container import Services
from handlers.refusals import refusing_click


@refusing_click
async def setup_step(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    """Open the modal of the step the button names (refused unless a Global admin)."""
    actor = body["user"]["id"]
    choice = await services.setup.admin_channel(actor)  # a Global admin's, or refused
    action_id = action.get("action_id")
    if action_id == ids.SETUP_CHANNEL:
        view = setup_blocks.admin_channel_view(choice)
    elif action_id == ids.SETUP_MEMBERSHIP:
        view = setup_blocks.membership_help_view()
    else:
        view = setup_blocks.inventory_help_view(services.setup.upload_limit // (1024 * 1024))
    await ack()
    services.background.spawn(
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view), name="setup"
    )
