"""Yes, keep it / No, free it on the "still using it?" DM, and Free seat in the digest
(docs/rules.md#idle-seats)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.blocks.digest import parse_idle_value
from bot.blocks.idle import seat_answered_message, seat_freed_message
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import InvalidInput
from bot.domain.offboarding import Answer
from bot.domain.validation import whole_number
from bot.runtime.container import Services
from handlers.refusals import Listener, refusing_click
from handlers.replies import answer


def _assignment_id(text: str) -> int:
    number = whole_number(text, maximum=MAX_RECORD_ID)
    if number is None or number < 1:
        raise InvalidInput("This button is broken: it names no seat.")
    return number


def _answering(choice: Answer, name: str) -> Listener:
    """The listener of the button on the "still using it?" DM that answers ``choice``."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        services: Services,
    ) -> None:
        assignment_id = _assignment_id(str(action.get("value", "")))
        benefit = await services.idle.answer(body["user"]["id"], assignment_id, choice)
        await ack()
        answer(services, respond, seat_answered_message(benefit, choice), replace=True, name="seat")

    listener.__name__ = listener.__qualname__ = name
    return refusing_click(listener)


keep_seat = _answering(Answer.KEEP, "keep_seat")
free_seat = _answering(Answer.FREE, "free_seat")


@refusing_click
async def free_idle_seat(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    services: Services,
) -> None:
    assignment_id, user_id, benefit_id = parse_idle_value(str(action.get("value", "")))
    if assignment_id < 1 or not user_id or not benefit_id:
        raise InvalidInput("This button is broken: it names no seat.")
    benefit = await services.idle.free(body["user"]["id"], benefit_id, user_id, assignment_id)
    await ack()
    answer(services, respond, seat_freed_message(benefit, user_id), name="idle")
