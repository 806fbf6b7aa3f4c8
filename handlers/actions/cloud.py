"""**Activate** on a cloud credit's details, and the Azure portal link.

The answer replaces the details modal's content when the click came from it, and
is an ephemeral message otherwise.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import cloud as cloud_blocks
from bot.runtime.container import Services
from handlers.commands.cloud import activate_cloud
from handlers.refusals import refusing_click_in_modal
from handlers.replies import answer


@refusing_click_in_modal(cloud_blocks.error_view)
async def activate(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    reply = await activate_cloud(str(action.get("value", "")), body["user"]["id"], services)
    opened = body.get("view")
    if isinstance(opened, dict) and opened.get("id"):
        view = cloud_blocks.result_view(reply.message["text"], reply.message.get("blocks", []))
        services.background.spawn(
            client.views_update(view_id=opened["id"], hash=opened.get("hash"), view=view),
            name="cloud activation",
        )
    else:
        answer(services, respond, reply.message, name="cloud activation")


async def portal_link(ack: AsyncAck) -> None:
    await ack()  # a link button: Slack opens the URL and tells the app about the click
