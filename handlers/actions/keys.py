"""Product keys: the **Get keys** button and the pages of the keys modal.

The button (on a benefit's details, or typed as `keys <benefit>`) opens the modal to
pick a language and an OS; a refusal is that modal too, saying why. Keys appear only
in the modal (see :mod:`handlers.views.keys`); further pages replace its content with
``views.update`` of the same modal. A Slack call whose arguments hold keys logs only
Slack's error code when it fails.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import keys as key_blocks
from bot.domain.model import DomainError, InvalidInput
from bot.runtime.container import Services
from handlers.refusals import refusing_click_in_modal

log = logging.getLogger(__name__)


async def quietly(work: Any, what: str) -> None:
    """Await a Slack call whose arguments hold keys; on failure log only Slack's error code."""
    try:
        await work
    except SlackApiError as error:
        log.warning("%s failed: %s", what, error.response.get("error"))


async def get_keys(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    try:
        choice = await services.keys.prepare(body["user"]["id"], str(action.get("value")))
    except DomainError as error:  # the modal that opens says why
        view = key_blocks.keys_error_view(error)
    else:
        view = key_blocks.keys_choice_view(choice)
    trigger_id = str(body.get("trigger_id", ""))
    opened = body.get("view")
    if isinstance(opened, dict) and opened.get("type") == "modal":  # from the details modal
        opening = client.views_push(trigger_id=trigger_id, view=view)
    else:
        opening = client.views_open(trigger_id=trigger_id, view=view)
    services.background.spawn(quietly(opening, "opening the keys modal"), name="keys modal")


@refusing_click_in_modal(key_blocks.keys_error_view)
async def keys_page_turned(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    shown = body.get("view")
    if not isinstance(shown, dict) or not shown.get("id"):
        return  # not a click in the keys modal: there is nothing to turn
    # Everything the click names is read before the reveal: a reveal is audited and
    # ends refund eligibility, so it happens only when its keys are then shown.
    try:
        page = key_blocks.parse_keys_page(str(action.get("value", "")))
        benefit_id, language, os = key_blocks.parse_result_metadata(
            str(shown.get("private_metadata", ""))
        )
    except ValueError:
        raise InvalidInput("This button is broken: it names no page of keys.") from None
    revealed = await services.keys.reveal(body["user"]["id"], benefit_id, language, os)
    services.background.spawn(
        quietly(
            client.views_update(
                view_id=str(shown["id"]),
                hash=shown.get("hash"),
                view=key_blocks.keys_view(revealed, page),
            ),
            "turning a page of keys",
        ),
        name="keys page",
    )
