"""The "still using it?" DM of an idle seat, and the answer that replaces it
(docs/rules.md#idle-seats)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks import ids
from bot.blocks.primitives import Message, actions, button, escape, message, posted, section
from bot.domain.model import Benefit
from bot.domain.offboarding import Answer
from bot.domain.outbox import ParamValue
from bot.i18n.translate import t


def seat_check_message(params: Mapping[str, ParamValue]) -> Message:
    """The question, with Yes, keep it / No, free it (the value is the assignment id)."""
    benefit = escape(str(params.get("benefit") or ""))
    since = str(params.get("since") or "")
    if params.get("keys"):
        text = t(
            "You have held a seat of *{benefit}* since {day} and never opened its product "
            "keys. Are you still using it?",
            benefit=benefit,
            day=since,
        )
    else:
        text = t(
            "You have held a seat of *{benefit}* since {day}. Are you still using it?",
            benefit=benefit,
            day=since,
        )
    value = str(params.get("assignment_id") or "")
    return posted(
        text,
        [
            section(text),
            actions(
                [
                    button(
                        t("Yes, keep it"), action_id=ids.SEAT_KEEP, value=value, style="primary"
                    ),
                    button(t("No, free it"), action_id=ids.SEAT_FREE, value=value),
                ],
                block_id=ids.SEAT_CHECK_BLOCK,
            ),
        ],
    )


def seat_answered_message(benefit: Benefit, answer: Answer) -> Message:
    if answer is Answer.KEEP:
        text = t("Thanks: you keep your seat of *{benefit}*.", benefit=escape(benefit.name))
    else:
        text = t(
            "Thanks: your seat of *{benefit}* is offered to the admins to free.",
            benefit=escape(benefit.name),
        )
    return message(text, [section(text)])


def seat_freed_message(benefit: Benefit, holder: str) -> Message:
    text = t(
        "Freed the idle seat of *{benefit}* held by <@{user}>.",
        benefit=escape(benefit.name),
        user=holder,
    )
    return message(text, [section(text)])
