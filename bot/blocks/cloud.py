"""Usage-based cloud credits: the answer to activating one, and the modal that shows
the outcome (or the refusal) of a click made in the details modal."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import Block, Message, button, message, plain, render_error, section
from bot.domain.cloud import AZURE_PORTAL_URL
from bot.domain.model import DomainError
from bot.i18n.translate import t
from bot.services.cloud import CloudActivation


def cloud_activated(result: CloudActivation) -> Message:
    """The answer to activating an Azure credit: it is yours, or it waits for approval."""
    b = result.benefit
    if result.request is not None:
        text = t(
            ":hourglass_flowing_sand: *{benefit}* needs a Global admin's approval first: your "
            "request #{request_id} was sent to them. Once it is approved, manage the credit in "
            "the Azure portal as {email}.",
            benefit=b.name,
            request_id=result.request.request.id,
            email=result.email,
        )
    else:
        text = t(
            ":white_check_mark: *{benefit}* is now yours, for {email}. Manage it in the Azure "
            "portal.",
            benefit=b.name,
            email=result.email,
        )
    portal = button(
        t("Open the Azure portal"),
        action_id=ids.AZURE_PORTAL,
        value=b.id,
        url=AZURE_PORTAL_URL,
    )
    return message(text, [section(text, accessory=portal)])


def result_view(text: str, blocks: list[Block]) -> Block:
    """A modal showing the outcome of a click made in a modal."""
    return {
        "type": "modal",
        "callback_id": ids.CLOUD_RESULT_VIEW,
        "title": plain(t("Benefit details"), 24),
        "close": plain(t("Close"), 24),
        "blocks": blocks or [section(text)],
    }


def error_view(error: DomainError) -> Block:
    text = render_error(error)
    return result_view(text, [section(f":warning: {text}")])
