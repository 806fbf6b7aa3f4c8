"""Button clicks (``block_actions``): Approve, Deny, Details and list paging.

A click is acknowledged as soon as the service has decided; the message
updates, modals and DMs follow in the background.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.model import DomainError, InvalidInput
from bot.runtime.container import Services
from bot.services.activation import ACTIVATED_CATEGORIES
from handlers import activation, replies
from handlers.publish import publish_decision


def _request_id(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput("This button is broken: it names no request.")
    return int(value)


def register(app: AsyncApp, services: Services) -> None:
    service = services.benefits

    def refuse(respond: AsyncRespond, error: DomainError) -> None:
        replies.refuse(services, respond, error)

    async def on_approve(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        try:
            decision = await service.approve(body["user"]["id"], _request_id(action))
        except DomainError as error:
            await ack()
            refuse(respond, error)
            return
        await ack()
        services.background.spawn(
            publish_decision(client, services, decision), name="approval", deferred=True
        )

    async def on_deny(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        try:
            request, benefit = await service.check_can_decide(
                body["user"]["id"], _request_id(action)
            )
        except DomainError as error:
            await ack()
            refuse(respond, error)
            return
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"], view=blocks.deny_view(request, benefit)
        )

    async def on_details(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        try:
            details = await service.details(body["user"]["id"], str(action.get("value", "")))
        except DomainError as error:
            refuse(respond, error)
            return
        await client.views_open(trigger_id=body["trigger_id"], view=blocks.details_view(details))

    async def on_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            category, number = blocks.parse_page_value(str(action.get("value", "")))
        except ValueError:
            refuse(respond, InvalidInput("This button is broken: it names no page."))
            return
        if category in ACTIVATED_CATEGORIES:
            assert category is not None
            listing = await activation.list_message(services, body["user"]["id"], category, number)
        else:
            page = await service.list_benefits(body["user"]["id"], category=category, page=number)
            listing = blocks.benefit_list_message(page, category)
        services.background.spawn(
            respond(replace_original=True, response_type="ephemeral", **listing),
            name="list page",
        )

    app.action(ids.APPROVE)(on_approve)
    app.action(ids.DENY)(on_deny)
    app.action(ids.DETAILS)(on_details)
    app.action(ids.LIST_PREVIOUS)(on_page)
    app.action(ids.LIST_NEXT)(on_page)
