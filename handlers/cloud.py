"""Usage-based cloud credits: the member assigns an Azure credit to themselves.

:func:`activate_cloud` is what both the `activate <benefit>` command (for a
cloud benefit) and the **Activate** button of a benefit's details call. The
caller's email is read from Slack's ``users.info`` (scope ``users:read.email``)
only when the bot's directory knows none, before the service is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import admin as admin_blocks
from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.model import DomainError
from bot.runtime.container import Services, UserEmail
from bot.services.benefits import RequestCreated
from handlers import replies
from handlers.publish import post_approval_request

log = logging.getLogger(__name__)

FollowUp = Callable[[AsyncWebClient, AsyncRespond], Coroutine[Any, Any, None]]


def slack_user_email(client: AsyncWebClient) -> UserEmail:
    """A :data:`bot.container.UserEmail` that asks Slack's ``users.info``."""

    async def lookup(user_id: str) -> str:
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("Slack refused users.info: %s", error.response.get("error"))
            return ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return str(profile.get("email") or "")

    return lookup


@dataclass(frozen=True, slots=True)
class CloudReply:
    """What to answer, and (when a request was filed) the posting to the Global admins."""

    message: blocks.Message
    follow_up: FollowUp | None = None


async def activate_cloud(services: Services, actor: str, benefit: str) -> CloudReply:
    """Activate a usage-based cloud credit for ``actor``; DomainError when refused."""
    email: str | None = None
    if not await services.benefits.directory_email(actor):
        email = await services.user_email(actor)
    result = await services.benefits.activate_cloud(actor, benefit, email=email)
    follow_up = _post_request(services, result.request) if result.request is not None else None
    return CloudReply(blocks.cloud_activated(result), follow_up)


def _post_request(services: Services, created: RequestCreated) -> FollowUp:
    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        del respond
        await post_approval_request(client, services, created)

    return post


def register(app: AsyncApp, services: Services) -> None:
    async def on_activate(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        actor = body["user"]["id"]
        follow_up: FollowUp | None = None
        try:
            reply = await activate_cloud(services, actor, str(action.get("value", "")))
        except DomainError as error:
            answer = blocks.error_message(error)
            view = admin_blocks.error_view(error)
        else:
            answer = reply.message
            view = admin_blocks.result_view(answer["text"], answer.get("blocks", []))
            follow_up = reply.follow_up
        opened = body.get("view")
        if isinstance(opened, dict) and opened.get("id"):
            services.background.spawn(
                client.views_update(view_id=opened["id"], hash=opened.get("hash"), view=view),
                name="cloud activation",
            )
        else:
            replies.answer(services, respond, answer, name="cloud activation")
        if follow_up is not None:
            services.background.spawn(follow_up(client, respond), name="cloud request")

    async def on_portal_link(ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL and tells the app about the click

    app.action(ids.CLOUD_ACTIVATE)(on_activate)
    app.action(ids.AZURE_PORTAL)(on_portal_link)
