"""Usage-based cloud credits: the member assigns an Azure credit to themselves.

:func:`activate_cloud` is what both `activate <benefit>` (for a cloud benefit) and
the **Activate** button of a benefit's details (:mod:`handlers.actions.cloud`) call.
The caller's email is read from Slack's ``users.info`` (scope ``users:read.email``)
only when the bot's directory knows none, before the service is called.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import cloud as cloud_blocks
from bot.runtime.container import Services
from bot.services.requests import RequestCreated
from handlers.replies import FollowUp, Reply, post_approval_request


async def activate_cloud(benefit: str, actor: str, services: Services) -> Reply:
    """Activate a usage-based cloud credit for ``actor``; DomainError when refused."""
    email: str | None = None
    if not await services.roles.directory_email(actor):
        email = await services.user_email(actor)
    result = await services.cloud.activate_cloud(actor, benefit, email=email)
    follow_up = _post_request(services, result.request) if result.request is not None else None
    return Reply(cloud_blocks.cloud_activated(result), follow_up)


def _post_request(services: Services, created: RequestCreated) -> FollowUp:
    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        del respond
        await post_approval_request(client, services, created)

    return post
