"""The submission of the Request a benefit form.

A refusal shows at the field it is about (``response_action: errors``): the
reason's at the reason, every other (no seat left, already held, already
pending, nobody to approve) at the picker. On success the form closes, the
request goes the same way as one typed as a command (the approval request is
queued in the outbox with it), and the requester gets a DM saying so.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids
from bot.blocks.activation import form_errors
from bot.blocks.picker import request_sent_text
from bot.blocks.primitives import notice
from bot.domain.model import DomainError, InvalidInput
from bot.domain.validation import check_reason
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.refusals import errors_at, refusing_submission
from handlers.replies import admins_where
from handlers.views.forms import state_value


@refusing_submission(errors_at(ids.REQUEST_BENEFIT_BLOCK))
async def request_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    actor = body["user"]["id"]
    state = view.get("state", {}).get("values", {})
    benefit_id = state_value(state, ids.REQUEST_BENEFIT_BLOCK, ids.REQUEST_BENEFIT_INPUT)
    raw_reason = state_value(state, ids.REQUEST_REASON_BLOCK, ids.REQUEST_REASON_INPUT)
    try:
        reason = check_reason(raw_reason if isinstance(raw_reason, str) else "")
    except DomainError as error:
        await ack(
            response_action="errors",
            errors=form_errors(error, first_block=ids.REQUEST_REASON_BLOCK),
        )
        return
    if not isinstance(benefit_id, str) or not benefit_id:
        raise InvalidInput("Pick a benefit from the list.")
    created = await services.requests.request_by_form(actor, benefit_id, reason)
    await ack()
    where = await admins_where(services, otherwise=t("to the Global admins"))
    text = request_sent_text(created.request.id, created.benefit.name, where)
    services.background.spawn(
        client.chat_postMessage(channel=actor, **notice(text)), name="request confirmation"
    )
