"""The reason for a denial: the submission of the Deny modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.domain.model import DomainError
from bot.runtime.container import Services
from handlers.refusals import errors_at, refusing_submission


@refusing_submission(errors_at(ids.DENY_REASON_BLOCK))
async def denial_reasoned(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    metadata = str(view.get("private_metadata", ""))
    state = view.get("state", {}).get("values", {})
    reason = state.get(ids.DENY_REASON_BLOCK, {}).get(ids.DENY_REASON_INPUT, {}).get("value")
    if not metadata.isdigit():
        raise DomainError("This form names no request; open it again from the request.")
    # The copies' updates and the requester's DM are queued with the decision.
    await services.requests.deny(body["user"]["id"], int(metadata), reason or "")
    await ack()
