"""The admin channel modal's submission: the bot checks it can post in the channel (a
hello there), then keeps the choice; a channel it can't post in is refused in the form."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import aiohttp
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import activation as activation_blocks
from bot.blocks import ids
from bot.blocks import setup as setup_blocks
from bot.domain.model import Conflict
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.refusals import errors_at, refusing_submission
from handlers.views.forms import state_value, text

POST_TIMEOUT: Final = 2.0
"""How long the check that the bot can post waits (the form is answered within 3 s)."""


@refusing_submission(errors_at(ids.SETUP_CHANNEL_BLOCK))
async def admin_channel_chosen(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    actor = body["user"]["id"]
    state = view.get("state", {}).get("values", {})
    channel = text(state_value(state, ids.SETUP_CHANNEL_BLOCK, ids.SETUP_CHANNEL_INPUT)) or None
    before = await services.setup.admin_channel(actor)  # a Global admin's, or refused
    if channel is not None and channel != before.chosen:
        await _check_can_post(client, channel, actor)
    choice = await services.setup.choose_admin_channel(actor, channel)
    await ack(
        response_action="update",
        view=activation_blocks.done_view(
            setup_blocks.admin_channel_saved_text(choice), title=t("Admin channel")
        ),
    )


async def _check_can_post(client: AsyncWebClient, channel: str, actor: str) -> None:
    """Post the hello in ``channel``; refused when Slack won't let the bot post there."""
    try:
        async with asyncio.timeout(POST_TIMEOUT):
            await client.chat_postMessage(
                channel=channel, **setup_blocks.channel_chosen_message(actor)
            )
    except SlackApiError:
        raise Conflict(
            "I can't post in <#{channel}>. Invite me there first (type `/invite @benefits` "
            "in the channel), then choose it again.",
            channel=channel,
        ) from None
    except (TimeoutError, OSError, SlackClientError, aiohttp.ClientError):
        raise Conflict(
            "Slack did not answer in time, so <#{channel}> was not saved. Please try again.",
            channel=channel,
        ) from None
