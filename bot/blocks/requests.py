"""Requests for a seat: the message Global admins decide on, its decided form, the
requester's DM about the outcome and the modal asking why a request is denied."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    actions,
    button,
    category_label,
    context,
    day,
    escape,
    fields_section,
    mention,
    plain,
    posted,
    section,
)
from bot.domain.model import Benefit, Request, RequestStatus
from bot.i18n.translate import t
from bot.services.requests import WITHDRAWN, Decision


def _request_summary(request: Request, benefit: Benefit, seats_left: int | None) -> list[Block]:
    left = t("no seat limit") if seats_left is None else str(seats_left)
    return [
        section(
            t(
                "{requester} asks for *{benefit}* (`{id}`).",
                requester=mention(request.requester_id),
                benefit=benefit.name,
                id=benefit.id,
            )
        ),
        fields_section(
            [
                (t("Reason"), escape(request.reason) or t("(none given)")),
                (t("Seats left"), left),
                (t("Category"), category_label(benefit.category)),
                (t("Request"), f"#{request.id} · {day(request.created_at)}"),
            ]
        ),
    ]


def approval_request_message(request: Request, benefit: Benefit, seats_left: int | None) -> Message:
    """The message Global admins decide on, with Approve and Deny buttons."""
    blocks = _request_summary(request, benefit, seats_left)
    blocks.append(
        actions(
            [
                button(
                    t("Approve"),
                    action_id=ids.APPROVE,
                    value=str(request.id),
                    style="primary",
                ),
                button(t("Deny"), action_id=ids.DENY, value=str(request.id), style="danger"),
            ],
            block_id=ids.REQUEST_ACTIONS_BLOCK,
        )
    )
    text = t(
        "{requester} asks for {benefit}",
        requester=mention(request.requester_id),
        benefit=benefit.name,
    )
    return posted(text, blocks)


def outcome_line(request: Request) -> str:
    when = day(request.decided_at) if request.decided_at else ""
    if request.status is RequestStatus.APPROVED:
        return t(
            ":white_check_mark: Approved by {decider} on {when}.",
            decider=mention(request.decided_by),
            when=when,
        )
    if request.status is RequestStatus.DENIED:
        return t(
            ":x: Denied by {decider} on {when}: {reason}",
            decider=mention(request.decided_by),
            when=when,
            reason=escape(request.decision_note),
        )
    if request.decision_note == WITHDRAWN:
        return t(
            ":leftwards_arrow_with_hook: Withdrawn by {requester} on {when}.",
            requester=mention(request.requester_id),
            when=when,
        )
    return t("Closed.")


def decided_request_message(decision: Decision) -> Message:
    """The approval request after its decision: the outcome instead of buttons."""
    blocks = _request_summary(decision.request, decision.benefit, decision.seats_left)
    outcome = outcome_line(decision.request)
    blocks.append(context(outcome))
    text = t(
        "{requester}'s request for {benefit}: {outcome}",
        requester=mention(decision.request.requester_id),
        benefit=decision.benefit.name,
        outcome=outcome,
    )
    return posted(text, blocks)


def outcome_dm(decision: Decision) -> Message:
    """What the requester reads when their request is decided."""
    r = decision.request
    return outcome_message(r.status, decision.benefit.name, r.decided_by, r.decision_note)


def outcome_message(
    status: RequestStatus,
    benefit: str,
    decider: str | None,
    note: str,
) -> Message:
    """The requester's DM about a decision, from its plain facts (the outbox keeps those)."""
    if status is RequestStatus.APPROVED:
        text = t(
            ":white_check_mark: Your request for *{benefit}* was approved by {decider}. The seat is yours; see `{command} mine`.",
            benefit=benefit,
            decider=mention(decider),
            command=ids.COMMAND,
        )
    else:
        text = t(
            ":x: Your request for *{benefit}* was denied by {decider}: {reason}",
            benefit=benefit,
            decider=mention(decider),
            reason=escape(note),
        )
    return posted(text, [section(text)])


def deny_view(request: Request, benefit: Benefit) -> Block:
    """The modal that asks a Global admin why a request is denied."""
    return {
        "type": "modal",
        "callback_id": ids.DENY_VIEW,
        "private_metadata": str(request.id),
        "title": plain(t("Deny request"), 24),
        "submit": plain(t("Deny"), 24),
        "close": plain(t("Cancel"), 24),
        "blocks": [
            section(
                t(
                    "Deny {requester}'s request for *{benefit}*? They will read your reason.",
                    requester=mention(request.requester_id),
                    benefit=benefit.name,
                )
            ),
            {
                "type": "input",
                "block_id": ids.DENY_REASON_BLOCK,
                "label": plain(t("Reason"), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DENY_REASON_INPUT,
                    "multiline": True,
                    "min_length": 1,
                    "max_length": 500,
                    "placeholder": plain(t("Why is this request denied?"), 150),
                },
            },
        ],
    }
