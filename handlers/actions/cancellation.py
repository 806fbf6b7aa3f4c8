"""**Request cancellation**: file the cancellation of the package and tell the Global
admins by DM (queued in the outbox with the filing; the delivery loop sends it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import cancellation as cancellation_blocks
from bot.blocks.primitives import error_message
from bot.domain.cancellation import CancellationRefused
from bot.domain.model import Conflict
from bot.runtime.container import Services
from handlers.refusals import refusing_click
from handlers.replies import answer

log = logging.getLogger(__name__)


@refusing_click
async def request_cancellation(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    """File it, or say why not; other refusals go to :mod:`handlers.refusals`.

    The check message the button sits on is replaced by the outcome: the request, the
    conditions that now fail, or (a Conflict) that one is already open.
    """
    await ack()
    try:
        filed = await services.cancellation.request_cancellation(body["user"]["id"])
    except CancellationRefused as refused:
        outcome = cancellation_blocks.cancellation_refused_message(refused, refused.blockers)
    except Conflict as conflict:
        outcome = error_message(conflict)
    else:
        outcome = cancellation_blocks.cancellation_filed_message(filed)
        answer(services, respond, outcome, replace=True, name="cancellation")
        return
    answer(services, respond, outcome, replace=True, name="cancellation")
