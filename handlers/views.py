"""Modal submissions (``view_submission``): the reason for a denial."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import benefits as blocks
from bot.blocks import ids
from bot.domain.model import DomainError
from bot.runtime.container import Services
from handlers.publish import publish_decision

ERROR_LIMIT = 2000


def register(app: AsyncApp, services: Services) -> None:
    async def on_deny_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        metadata = str(view.get("private_metadata", ""))
        state = view.get("state", {}).get("values", {})
        reason = state.get(ids.DENY_REASON_BLOCK, {}).get(ids.DENY_REASON_INPUT, {}).get("value")
        try:
            if not metadata.isdigit():
                raise DomainError("This form names no request; open it again from the request.")
            decision = await services.benefits.deny(body["user"]["id"], int(metadata), reason or "")
        except DomainError as error:
            text = blocks.clip(blocks.render_error(error), ERROR_LIMIT)
            await ack(response_action="errors", errors={ids.DENY_REASON_BLOCK: text})
            return
        await ack()
        services.background.spawn(
            publish_decision(client, services, decision), name="denial", deferred=True
        )

    app.view(ids.DENY_VIEW)(on_deny_submitted)
