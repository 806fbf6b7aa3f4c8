"""The Previous / Next pages of the audit log."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.blocks import audit as audit_blocks
from bot.runtime.container import Services
from handlers.refusals import refusing_click
from handlers.replies import answer


@refusing_click
async def audit_page_turned(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    limit, page = audit_blocks.parse_audit_page_value(str(action.get("value", "")))
    entries = await services.audit.audit_log(body["user"]["id"], limit)
    answer(services, respond, audit_blocks.audit_message(entries, limit, page), replace=True)
