"""What listeners of every surface share: the shape of a reply, answering only the
clicker, and the Slack deliveries that follow a request or a decision.

Deliveries run after the acknowledgement: posting an approval request where
Global admins see it, and updating every copy of it in place once it is decided.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import requests as request_blocks
from bot.blocks.primitives import Block, Message, error_message
from bot.domain.model import DomainError, MessageRef, RequestStatus
from bot.i18n.translate import t
from bot.runtime.container import Services
from bot.services.requests import Decision, RequestCreated

log = logging.getLogger(__name__)

FollowUp = Callable[[AsyncWebClient, AsyncRespond], Coroutine[Any, Any, None]]
"""Slack calls a reply needs after the acknowledgement, e.g. posting to the admins."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer, what to do after, or a modal to open instead of answering."""

    message: Message
    follow_up: FollowUp | None = None
    view: Block | None = None


def admins_where(services: Services, *, otherwise: str) -> str:
    """Where the admins were told: the admin channel, or ``otherwise`` (already translated)."""
    if services.admin_channel:
        return t("in <#{channel}>", channel=services.admin_channel)
    return otherwise


def answer(
    services: Services,
    respond: AsyncRespond,
    payload: Message,
    *,
    replace: bool = False,
    name: str = "answer",
) -> None:
    """Send ``payload`` as an ephemeral reply through the response URL, in the background."""
    services.background.spawn(
        respond(response_type="ephemeral", replace_original=replace, **payload), name=name
    )


def refuse(services: Services, respond: AsyncRespond, error: DomainError) -> None:
    """Say why a click was refused, to the clicker only."""
    answer(services, respond, error_message(error), name="refusal")


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
    payload = request_blocks.approval_request_message(
        created.request, created.benefit, created.seats_left
    )
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
    request = await services.requests.add_request_messages(created.request.id, refs)
    if request.status is not RequestStatus.PENDING:
        # Decided while the copies were being posted: bring them up to date.
        await publish_decision(client, await services.requests.decision(request.id))
    return refs


async def publish_decision(client: AsyncWebClient, decision: Decision) -> None:
    """Show the outcome in every copy of the request.

    The requester's DM is not sent here: the decision queued it in the outbox
    in its own transaction, and the delivery loop sends it.
    """
    updated = request_blocks.decided_request_message(decision)
    await asyncio.gather(
        *(
            _call(
                f"update request #{decision.request.id} in {ref.channel}",
                client.chat_update(channel=ref.channel, ts=ref.ts, **updated),
            )
            for ref in decision.messages
        )
    )


async def post_quietly(client: AsyncWebClient, channel: str, payload: Message) -> bool:
    """Post ``payload``; a Slack refusal is logged (its code only) and gives False."""
    try:
        await client.chat_postMessage(channel=channel, **payload)
    except SlackApiError as error:
        log.warning("Slack refused to post to %s: %s", channel, error.response.get("error"))
        return False
    return True
