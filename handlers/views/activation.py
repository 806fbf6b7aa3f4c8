"""The Mark active modal's submission: record the Access ID and Contract ID, or an
offer's Expires date; the pending message it came from shows the outcome."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import activation as activation_blocks
from bot.blocks import ids
from bot.domain.model import DomainError, MessageRef
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.refusals import refusing_submission
from handlers.views.forms import state_value, text

log = logging.getLogger(__name__)


def refusal(error: DomainError, view: dict[str, Any]) -> dict[str, Any]:
    """Each wrong field at its input; anything else at the form's first input."""
    state = view.get("state", {}).get("values", {})
    first = ids.EXPIRES_BLOCK if ids.EXPIRES_BLOCK in state else ids.ACCESS_ID_BLOCK
    return {
        "response_action": "errors",
        "errors": activation_blocks.form_errors(error, first_block=first),
    }


@refusing_submission(refusal)
async def activation_completed(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    origin = activation_blocks.Origin.load(str(view.get("private_metadata", "")))
    state = view.get("state", {}).get("values", {})
    done = await services.activation.complete(
        body["user"]["id"],
        origin.benefit_id,
        access_id=text(state_value(state, ids.ACCESS_ID_BLOCK, ids.ACCESS_ID_INPUT)),
        contract_id=text(state_value(state, ids.CONTRACT_ID_BLOCK, ids.CONTRACT_ID_INPUT)),
        expires_on=text(state_value(state, ids.EXPIRES_BLOCK, ids.EXPIRES_INPUT)),
        # The message it was opened from shows the outcome: queued with the change.
        message=MessageRef(origin.channel, origin.ts) if origin.channel and origin.ts else None,
    )
    await ack(
        response_action="update",
        view=activation_blocks.done_view(
            activation_blocks.completed_text(done), title=t("Mark active")
        ),
    )
