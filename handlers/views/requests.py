"""The reason for a denial: the submission of the Deny modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import DomainError
from bot.domain.validation import whole_number
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
    """Deny the request the form names, as the submitter.

    The form's hidden field only names the request: the service checks it against the
    database like a click on Deny (the request exists and is pending, the submitter is
    a Global admin and not its requester), and the messages to update are the ones the
    database knows for that request.
    """
    request_id = whole_number(str(view.get("private_metadata", "")), maximum=MAX_RECORD_ID)
    state = view.get("state", {}).get("values", {})
    reason = state.get(ids.DENY_REASON_BLOCK, {}).get(ids.DENY_REASON_INPUT, {}).get("value")
    if request_id is None:
        raise DomainError("This form names no request; open it again from the request.")
    # The copies' updates and the requester's DM are queued with the decision.
    await services.requests.deny(
        body["user"]["id"], request_id, reason if isinstance(reason, str) else ""
    )
    await ack()
