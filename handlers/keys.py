"""Product keys in Slack: the **Get keys** button, the modal and its pages.

`/benefits keys <benefit>` (handlers/commands.py) and the button on a
benefit's details open a modal where the caller picks a language and an
operating system. Its submission is answered with ``response_action:
"update"``: the keys appear in that modal and nowhere else — never in a
message, a DM or a log line. Further pages of keys replace the modal's
content with ``views.update`` of the same modal.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.blocks import keys as key_views
from bot.domain.model import Conflict, DomainError, InvalidInput
from bot.runtime.container import Services
from bot.services.keys import InvalidChoice, KeyService

log = logging.getLogger(__name__)

ERROR_LIMIT = 2000
MAX_PAGE_DIGITS = 6


def key_service(services: Services) -> KeyService:
    if services.keys is None:
        raise Conflict("Product keys are not set up in this bot.")
    return services.keys


async def choice_view(services: Services, actor: str, query: str) -> blocks.Block:
    """The modal to pick a language and an OS; raises why the caller can't have the keys."""
    choice = await key_service(services).prepare(actor, query)
    return key_views.keys_choice_view(choice)


def _selected(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    option = values.get(block_id, {}).get(action_id, {}).get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def _input_blocks(view: dict[str, Any]) -> list[str]:
    return [
        str(b.get("block_id"))
        for b in view.get("blocks", [])
        if isinstance(b, dict) and b.get("type") == "input"
    ]


async def _quietly(work: Any, what: str) -> None:
    """Await a Slack call whose arguments hold keys; on failure log only Slack's error code."""
    try:
        await work
    except SlackApiError as error:
        log.warning("%s failed: %s", what, error.response.get("error"))


def register(app: AsyncApp, services: Services) -> None:
    async def on_keys_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        try:
            view = await choice_view(services, body["user"]["id"], str(action.get("value")))
        except DomainError as error:
            view = key_views.keys_error_view(error)
        trigger_id = str(body.get("trigger_id", ""))
        if isinstance(body.get("view"), dict):  # from the details modal: stack on top of it
            opening = client.views_push(trigger_id=trigger_id, view=view)
        else:
            opening = client.views_open(trigger_id=trigger_id, view=view)
        services.background.spawn(_quietly(opening, "opening the keys modal"), name="keys modal")

    async def on_keys_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view.get("state", {}).get("values", {})
        language = _selected(values, ids.KEYS_LANGUAGE_BLOCK, ids.KEYS_LANGUAGE_INPUT)
        os = _selected(values, ids.KEYS_OS_BLOCK, ids.KEYS_OS_INPUT)
        benefit_id = str(view.get("private_metadata", ""))
        try:
            if not benefit_id:
                raise InvalidInput("This form names no benefit; open it again.")
            revealed = await key_service(services).reveal(
                body["user"]["id"], benefit_id, language, os
            )
        except DomainError as error:
            inputs = _input_blocks(view)
            wanted = (
                ids.KEYS_OS_BLOCK
                if isinstance(error, InvalidChoice) and error.field == "os"
                else ids.KEYS_LANGUAGE_BLOCK
            )
            target = wanted if wanted in inputs else next(iter(inputs), None)
            if target is None:
                await ack(response_action="update", view=key_views.keys_error_view(error))
                return
            text = blocks.clip(blocks.render_error(error), ERROR_LIMIT)
            await ack(response_action="errors", errors={target: text})
            return
        await ack(response_action="update", view=key_views.keys_view(revealed, 0))

    async def on_keys_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        shown = body.get("view")
        if not isinstance(shown, dict) or not shown.get("id"):
            return  # not a click in the keys modal: there is nothing to turn
        value = str(action.get("value", ""))
        try:
            if not value.isdigit() or len(value) > MAX_PAGE_DIGITS:
                raise ValueError("no page")
            benefit_id, language, os = key_views.parse_result_metadata(
                str(shown.get("private_metadata", ""))
            )
        except ValueError:
            page_view = key_views.keys_error_view(
                InvalidInput("This button is broken: it names no page of keys.")
            )
        else:
            try:
                revealed = await key_service(services).reveal(
                    body["user"]["id"], benefit_id, language, os
                )
            except DomainError as error:
                page_view = key_views.keys_error_view(error)
            else:
                page_view = key_views.keys_view(revealed, int(value))
        services.background.spawn(
            _quietly(
                client.views_update(
                    view_id=str(shown["id"]), hash=shown.get("hash"), view=page_view
                ),
                "turning a page of keys",
            ),
            name="keys page",
        )

    app.action(ids.KEYS_BUTTON)(on_keys_button)
    app.action(ids.KEYS_PREVIOUS)(on_keys_page)
    app.action(ids.KEYS_NEXT)(on_keys_page)
    app.view(ids.KEYS_VIEW)(on_keys_submitted)
