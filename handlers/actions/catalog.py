"""Browsing: Details, the Previous / Next pages of a list, and the pages of the holders
in the details modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import cloud as cloud_blocks
from bot.blocks import details as details_blocks
from bot.blocks.primitives import parse_page_value
from bot.runtime.container import Services
from handlers.commands.catalog import list_page
from handlers.refusals import refusing_click, refusing_click_in_modal
from handlers.replies import answer_after_ack


@refusing_click
async def details(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    found = await services.catalog.details(body["user"]["id"], str(action.get("value", "")))
    await client.views_open(trigger_id=body["trigger_id"], view=details_blocks.details_view(found))


@refusing_click
async def list_page_turned(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    category, number = parse_page_value(str(action.get("value", "")))
    actor = body["user"]["id"]
    answer_after_ack(
        services,
        respond,
        lambda: list_page(category, number, actor, services),
        replace=True,
        name="list page",
    )


@refusing_click_in_modal(cloud_blocks.error_view)
async def holders_page_turned(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    services: Services,
) -> None:
    await ack()
    benefit_id, page = details_blocks.parse_holders_page_value(str(action.get("value", "")))
    found = await services.catalog.details(body["user"]["id"], benefit_id, holders_page=page)
    opened = body.get("view")
    if isinstance(opened, dict) and opened.get("id"):
        services.background.spawn(
            client.views_update(
                view_id=opened["id"],
                hash=opened.get("hash"),
                view=details_blocks.details_view(found),
            ),
            name="holders page",
        )
