"""`activate <benefit>`: a technical benefit or go-to-market offer becomes pending
(a cloud credit goes to :mod:`handlers.commands.cloud`).

The pending activation is posted, with its **Mark active** button, where it lasts:
the admin channel, or the caller's DM with the bot. The **Activate** button of
`list technical` / `list gtm` (:mod:`handlers.actions.activation`) does the same.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import activation as activation_blocks
from bot.blocks import ids
from bot.blocks.primitives import Message, notice
from bot.domain.model import Category
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.activation import ActivationRequested
from handlers.commands.cloud import activate_cloud
from handlers.replies import FollowUp, Reply, admins_where, post_quietly


async def activate(benefit: str, actor: str, services: Services) -> Reply:
    found = await services.catalog.find_benefit(benefit)
    if found.category is Category.CLOUD:
        return await activate_cloud(found.id, actor, services)
    result = await services.activation.activate(actor, found.id)
    return Reply(requested_notice(result, services), post_pending(services, result))


def requested_notice(result: ActivationRequested, services: Services) -> Message:
    where = admins_where(services, otherwise=t("in your DMs with me"))
    return notice(activation_blocks.activation_requested_text(result, where))


def post_pending(services: Services, result: ActivationRequested) -> FollowUp:
    """Post the pending activation, with its Mark active button, where it lasts."""

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        target = services.admin_channel or result.activation.requested_by
        payload = activation_blocks.pending_activation_message(result)
        if not await post_quietly(client, target, payload):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=t(
                    "The activation is saved, but I couldn't post its *Mark active* button. "
                    "Find it later with `{command} list {category}`.",
                    command=ids.COMMAND,
                    category=result.benefit.category.value,
                ),
            )

    return post
