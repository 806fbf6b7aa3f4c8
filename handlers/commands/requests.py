"""`request <benefit> [reason]`: ask the Global admins for a seat."""

from __future__ import annotations

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.primitives import notice
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.replies import Reply, admins_where, post_approval_request


async def request_benefit(
    benefit: str, reason: str | None, actor: str, services: Services
) -> Reply:
    created = await services.requests.request_benefit(actor, benefit, reason)
    where = admins_where(services, otherwise=t("to the Global admins"))
    text = t(
        "Your request #{request_id} for *{benefit}* was sent {where}. I'll tell you "
        "when it is decided.",
        request_id=created.request.id,
        benefit=created.benefit.name,
        where=where,
    )

    async def post(client: AsyncWebClient, respond: AsyncRespond) -> None:
        if not await post_approval_request(client, services, created):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=t(
                    "Your request #{request_id} is saved, but I couldn't post it to the "
                    "Global admins. Please tell one of them.",
                    request_id=created.request.id,
                ),
            )

    return Reply(notice(text), post)
