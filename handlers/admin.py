"""Clicks on holders' pages of the details modal, on Request cancellation, and on
the audit log's pages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import admin as admin_blocks
from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.cancellation import CancellationFiled, CancellationRefused
from bot.domain.model import Conflict, DomainError, InvalidInput
from bot.runtime.container import Services
from handlers import replies

log = logging.getLogger(__name__)


async def _dm(client: AsyncWebClient, user: str, payload: blocks.Message) -> None:
    try:
        await client.chat_postMessage(channel=user, **payload)
    except SlackApiError as error:
        log.warning("Slack refused a cancellation notice: %s", error.response.get("error"))


async def tell_global_admins(
    client: AsyncWebClient, services: Services, filed: CancellationFiled
) -> None:
    """DM every Global admin that a cancellation was filed."""
    del services
    payload = admin_blocks.cancellation_admin_dm(filed)
    await asyncio.gather(*(_dm(client, admin, payload) for admin in filed.global_admins))


def register(app: AsyncApp, services: Services) -> None:
    service = services.benefits

    def answer(respond: AsyncRespond, payload: blocks.Message, *, replace: bool) -> None:
        replies.answer(services, respond, payload, replace=replace, name="admin answer")

    async def on_holders_page(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        opened = body.get("view")
        error: DomainError | None = None
        try:
            benefit_id, page = blocks.parse_holders_page_value(str(action.get("value", "")))
            details = await service.details(body["user"]["id"], benefit_id, holders_page=page)
        except ValueError:
            error = InvalidInput("This button is broken: it names no page.")
            view = admin_blocks.error_view(error)
        except DomainError as refused:
            error, view = refused, admin_blocks.error_view(refused)
        else:
            view = blocks.details_view(details)
        if isinstance(opened, dict) and opened.get("id"):
            services.background.spawn(
                client.views_update(view_id=opened["id"], hash=opened.get("hash"), view=view),
                name="holders page",
            )
        elif error is not None:
            answer(respond, blocks.error_message(error), replace=False)

    async def on_cancel(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            filed = await service.request_cancellation(body["user"]["id"])
        except CancellationRefused as refused:
            payload = admin_blocks.cancellation_refused_message(refused, refused.blockers)
            answer(respond, payload, replace=True)
            return
        except Conflict as conflict:
            answer(respond, blocks.error_message(conflict), replace=True)
            return
        except DomainError as error:
            answer(respond, blocks.error_message(error), replace=False)
            return
        answer(respond, admin_blocks.cancellation_filed_message(filed), replace=True)
        services.background.spawn(
            tell_global_admins(client, services, filed), name="cancellation notice"
        )

    async def on_audit_page(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            limit, page = admin_blocks.parse_audit_page_value(str(action.get("value", "")))
        except ValueError:
            refusal = InvalidInput("This button is broken: it names no page.")
            answer(respond, blocks.error_message(refusal), replace=False)
            return
        try:
            entries = await service.audit_log(body["user"]["id"], limit)
        except DomainError as error:
            answer(respond, blocks.error_message(error), replace=False)
            return
        answer(respond, admin_blocks.audit_message(entries, limit, page), replace=True)

    app.action(ids.DETAILS_HOLDERS_PREVIOUS)(on_holders_page)
    app.action(ids.DETAILS_HOLDERS_NEXT)(on_holders_page)
    app.action(ids.CANCEL_REQUEST)(on_cancel)
    app.action(ids.AUDIT_PREVIOUS)(on_audit_page)
    app.action(ids.AUDIT_NEXT)(on_audit_page)
