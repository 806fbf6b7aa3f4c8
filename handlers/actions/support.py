"""The buttons that say what a support problem is about."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.blocks import support as support_blocks
from bot.domain.entitlements import Problem
from bot.domain.model import InvalidInput
from bot.runtime.container import Services
from handlers.refusals import refusing_click
from handlers.replies import answer


@refusing_click
async def problem_chosen(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
) -> None:
    await ack()
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    try:
        problem = Problem(str(value))
    except ValueError:
        raise InvalidInput("This button is broken: it names no kind of problem.") from None
    support = await services.support.support(body["user"]["id"], problem)
    answer(
        services,
        respond,
        support_blocks.support_answer_message(support),
        replace=True,
        name="activation answer",
    )
