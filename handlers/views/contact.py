"""The marketing contact modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.blocks import activation as activation_blocks
from bot.blocks import contact as contact_blocks
from bot.blocks import ids
from bot.i18n.translate import t
from bot.runtime.container import Services
from handlers.refusals import errors_at, refusing_submission
from handlers.views.forms import state_value, text


@refusing_submission(errors_at(ids.CONTACT_USER_BLOCK))
async def contact_chosen(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services
) -> None:
    state = view.get("state", {}).get("values", {})
    contact = await services.contact.set_marketing_contact(
        body["user"]["id"],
        user_id=text(state_value(state, ids.CONTACT_USER_BLOCK, ids.CONTACT_USER_INPUT)),
        email=text(state_value(state, ids.CONTACT_EMAIL_BLOCK, ids.CONTACT_EMAIL_INPUT)),
        phone=text(state_value(state, ids.CONTACT_PHONE_BLOCK, ids.CONTACT_PHONE_INPUT)),
        language=text(state_value(state, ids.CONTACT_LANGUAGE_BLOCK, ids.CONTACT_LANGUAGE_INPUT)),
    )
    await ack(
        response_action="update",
        view=activation_blocks.done_view(
            contact_blocks.contact_saved_text(contact), title=t("Marketing contact")
        ),
    )
