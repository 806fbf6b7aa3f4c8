"""Usage-based cloud credits: the member assigns an Azure credit to themselves.

:func:`activate_cloud` is what both `activate <benefit>` (for a cloud benefit) and
the **Activate** button of a benefit's details (:mod:`handlers.actions.cloud`) call.
The caller's email is read from Slack's ``users.info`` (scope ``users:read.email``)
only when the bot's directory knows none, before the service is called.
"""

from __future__ import annotations

from bot.blocks import cloud as cloud_blocks
from bot.runtime.container import Services
from handlers.replies import Reply


async def activate_cloud(benefit: str, actor: str, services: Services) -> Reply:
    """Activate a usage-based cloud credit for ``actor``; DomainError when refused."""
    email: str | None = None
    if not await services.roles.directory_email(actor):
        email = await services.user_email(actor)
    result = await services.cloud.activate_cloud(actor, benefit, email=email)
    return Reply(cloud_blocks.cloud_activated(result))
