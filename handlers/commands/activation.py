"""`activate <benefit>`: a technical benefit or go-to-market offer becomes pending
(a cloud credit goes to :mod:`handlers.commands.cloud`).

The pending activation is posted, with its **Mark active** button, where it lasts:
the admin channel, or the caller's DM with the bot (queued in the outbox with the
activation; the delivery loop posts it). The **Activate** button of
`list technical` / `list gtm` (:mod:`handlers.actions.activation`) does the same.
"""

from __future__ import annotations

from bot.blocks import activation as activation_blocks
from bot.blocks.primitives import Message, notice
from bot.domain.model import Category
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.activation import ActivationRequested
from handlers.commands.cloud import activate_cloud
from handlers.replies import Reply, admins_where


async def activate(benefit: str, actor: str, services: Services) -> Reply:
    found = await services.catalog.find_benefit(benefit)
    if found.category is Category.CLOUD:
        return await activate_cloud(found.id, actor, services)
    result = await services.activation.activate(actor, found.id)
    return Reply(await requested_notice(result, services))


async def requested_notice(result: ActivationRequested, services: Services) -> Message:
    where = await admins_where(services, otherwise=t("in your DMs with me"))
    return notice(activation_blocks.activation_requested_text(result, where))
