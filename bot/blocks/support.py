"""Support and advisory hours: which support to use for a problem, what is left of it
and the IDs to quote; an advisory hours request, and what the admins read about it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks import ids
from bot.blocks.activation import allowance_text, support_ids_text
from bot.blocks.primitives import (
    Message,
    actions,
    button,
    clip,
    context,
    day,
    escape,
    fields_section,
    mention,
    message,
    posted,
    section,
)
from bot.domain.activations import State
from bot.domain.entitlements import LEVEL_LABELS, PROBLEM_LABELS, SUPPORT_LABELS, Problem
from bot.i18n.translate import t
from bot.services.support import AdvisoryFiled, SupportAnswer

# The button that answers each kind of problem (one action_id per button of a block).
SUPPORT_BUTTONS: Mapping[Problem, str] = {
    Problem.CLOUD: ids.SUPPORT_CLOUD,
    Problem.ON_PREMISES: ids.SUPPORT_ON_PREMISES,
    Problem.ADVICE: ids.SUPPORT_ADVICE,
}


def support_question_message() -> Message:
    """Asks what the problem is about, one button per kind of problem."""
    text = t("What is the problem about?")
    buttons = [
        button(t(PROBLEM_LABELS[p]), action_id=SUPPORT_BUTTONS[p], value=p.value) for p in Problem
    ]
    return message(text, [section(text), actions(buttons, block_id=ids.SUPPORT_ACTIONS_BLOCK)])


def support_answer_message(answer: SupportAnswer) -> Message:
    kind_label = t(SUPPORT_LABELS[answer.kind])
    level = t(LEVEL_LABELS[answer.membership.level])
    lines = [
        t(
            "*{problem}*: use *{support}*.",
            problem=t(PROBLEM_LABELS[answer.problem]),
            support=kind_label,
        )
    ]
    if answer.state is State.NOT_AVAILABLE:
        lines.append(
            t(
                "The {level} membership includes none of it. For something broken in an "
                "on-premises product, product support incidents may help: `{command} support "
                "on-premises`.",
                level=level,
                command=ids.COMMAND,
            )
        )
        return _answer(lines)
    left = allowance_text(answer.allowance)
    if answer.hours_left is not None:
        lines.append(
            t(
                "The {level} membership includes {total}; {left} are left.",
                level=level,
                total=left,
                left=answer.hours_left,
            )
        )
    else:
        lines.append(t("The {level} membership includes {total}.", level=level, total=left))
    activators = ", ".join(mention(u) for u in answer.activators) or t(
        "nobody yet (the operator grants the role)"
    )
    benefit_id = answer.benefit.id if answer.benefit else "<benefit>"
    if answer.state is State.NO_ACTIVATION_NEEDED:
        lines.append(
            t(
                "No activation needed: file a request with `{command} advisory <hours> <topic>`.",
                command=ids.COMMAND,
            )
        )
    elif answer.state is State.ACTIVE and answer.activation is not None:
        lines.append(
            t(
                "Quote these on your first support request: {ids}",
                ids=support_ids_text(answer.activation),
            )
        )
    elif answer.state is State.PENDING and answer.activation is not None:
        lines.append(
            t(
                "Its activation is pending since {date} (asked by {requester}); the Access ID "
                "and Contract ID appear once it is active.",
                date=day(answer.activation.requested_at),
                requester=mention(answer.activation.requested_by),
            )
        )
    else:
        lines.append(
            t(
                "It must be activated first, by an MPN partner admin or Global admin "
                "({activators}) with `{command} activate {id}`; then the Access ID and "
                "Contract ID appear here.",
                activators=activators,
                command=ids.COMMAND,
                id=benefit_id,
            )
        )
    return _answer(lines)


def _answer(lines: list[str]) -> Message:
    text = "\n".join(lines)
    return message(
        text,
        [
            section(text),
            context(t("Ask again with `{command} support`.", command=ids.COMMAND)),
        ],
    )


def advisory_filed_text(filed: AdvisoryFiled, where: str) -> str:
    return t(
        "Your request #{request_id} for {hours} advisory hours on “{topic}” is filed; the admins "
        "were told {where}. {left} of the membership's {total} hours are left.",
        request_id=filed.request.id,
        hours=filed.request.hours,
        topic=escape(clip(filed.request.topic, 200)),
        where=where,
        left=filed.hours_left,
        total=filed.allowance.amount or 0,
    )


def advisory_admin_message(filed: AdvisoryFiled) -> Message:
    """What the admins read about a new advisory hours request."""
    r = filed.request
    return advisory_notice(
        requester=r.user_id,
        request_id=r.id,
        hours=r.hours,
        topic=r.topic,
        hours_left=filed.hours_left,
        hours_total=filed.allowance.amount or 0,
    )


def advisory_notice(
    *, requester: str, request_id: int, hours: int, topic: str, hours_left: int, hours_total: int
) -> Message:
    """The admins' message about an advisory hours request, from the values it was queued with."""
    text = t(
        "{requester} filed advisory hours request #{request_id}: {hours} hours.",
        requester=mention(requester),
        request_id=request_id,
        hours=hours,
    )
    return posted(
        text,
        [
            section(text),
            fields_section(
                [
                    (t("Topic"), escape(topic)),
                    (
                        t("Hours left"),
                        t("{left} of {total}", left=hours_left, total=hours_total),
                    ),
                ]
            ),
        ],
    )
