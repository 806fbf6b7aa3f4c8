"""Slack deliveries that follow a request or a decision, run after the ack.

They post the approval request where Global admins see it, update every
copy in place once it is decided, and tell the requester by DM.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import benefits as blocks
from bot.domain.model import MessageRef, RequestStatus
from bot.runtime.container import Services
from bot.services.benefits import Decision, RequestCreated

log = logging.getLogger(__name__)


async def _call(description: str, call: Any) -> Any:
    """Await a Web API call; a Slack error is logged (its code only) and gives None."""
    try:
        return await call
    except SlackApiError as error:
        log.warning("Slack refused to %s: %s", description, error.response.get("error"))
        return None


async def post_approval_request(
    client: AsyncWebClient, services: Services, created: RequestCreated
) -> list[MessageRef]:
    """Post the request to the admin channel, or to each Global admin by DM."""
    payload = blocks.approval_request_message(created.request, created.benefit, created.seats_left)
    targets = [services.admin_channel] if services.admin_channel else created.approvers
    responses = await asyncio.gather(
        *(
            _call(
                f"post request #{created.request.id} to {target}",
                client.chat_postMessage(channel=target, **payload),
            )
            for target in targets
        )
    )
    refs = [MessageRef(r["channel"], r["ts"]) for r in responses if r is not None]
    request = await services.benefits.add_request_messages(created.request.id, refs)
    if request.status is not RequestStatus.PENDING:
        # Decided while the copies were being posted: bring them up to date.
        await publish_decision(client, services, await services.benefits.decision(request.id))
    return refs


async def publish_decision(client: AsyncWebClient, services: Services, decision: Decision) -> None:
    """Show the outcome in every copy of the request.

    The requester's DM is not sent here: the decision queued it in the outbox
    in its own transaction, and the delivery loop sends it.
    """
    del services
    updated = blocks.decided_request_message(decision)
    await asyncio.gather(
        *(
            _call(
                f"update request #{decision.request.id} in {ref.channel}",
                client.chat_update(channel=ref.channel, ts=ref.ts, **updated),
            )
            for ref in decision.messages
        )
    )
