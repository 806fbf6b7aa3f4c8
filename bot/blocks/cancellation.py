"""Cancelling the membership package with a refund: the check, its confirm button,
the filed request, the refusal and the Global admins' DM."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    actions,
    button,
    context,
    header,
    mention,
    message,
    packed_sections,
    plain,
    posted,
    render_error,
    section,
)
from bot.domain.cancellation import Blocker, CancellationCheck, CancellationFiled
from bot.domain.model import DomainError
from bot.i18n.translate import t

CONFIRM_TEXT_LIMIT = 300


CONFIRM_BUTTON_LIMIT = 30


def blocker_text(blocker: Blocker) -> str:
    return render_error(DomainError(blocker.message, **blocker.params))


def _blocker_lines(blockers: list[Blocker]) -> list[str]:
    return [f":x: {blocker_text(b)}" for b in blockers]


def cancellation_check_message(check: CancellationCheck) -> Message:
    """The result of `cancel`: what fails and since when, or a button to file it."""
    title = t("Cancel the package with a refund")
    purchased = t(
        "Bought on {purchased}; a refund can be asked for until {deadline}.",
        purchased=check.membership.purchase_date.isoformat(),
        deadline=check.refund_window_ends.isoformat(),
    )
    blocks: list[Block] = [header(title), context(purchased)]
    if check.open_request is not None:
        text = t(
            "A cancellation request is already open: #{request_id}, filed by {creator} on {since}.",
            request_id=check.open_request.id,
            creator=mention(check.open_request.created_by),
            since=check.open_request.created_at.date().isoformat(),
        )
        blocks.append(section(text))
        return message(text, blocks)
    if check.blockers:
        text = t(
            "The package can't be cancelled with a refund. Every condition must hold: within 30 "
            "days of the purchase, no software benefit activated, no product key viewed. These "
            "fail:",
        )
        blocks.append(section(text))
        blocks += packed_sections(_blocker_lines(check.blockers))
        return message(text, blocks)
    text = t(
        ":white_check_mark: All three conditions hold: it is within 30 days of the purchase, "
        "no software benefit was activated and no product key was viewed.",
    )
    blocks.append(section(text))
    blocks.append(
        actions(
            [cancel_button()],
            block_id=ids.CANCEL_ACTIONS_BLOCK,
        )
    )
    blocks.append(
        context(
            t(
                "Filing records a cancellation service request and tells the Global admins.",
            )
        )
    )
    return message(text, blocks)


def cancel_button() -> Block:
    element = button(
        t("Request cancellation"),
        action_id=ids.CANCEL_REQUEST,
        value="cancel",
        style="danger",
    )
    element["confirm"] = {
        "title": plain(t("Cancel the package?"), 100),
        "text": plain(
            t(
                "This files a request to cancel the membership package with a refund. Its "
                "benefits end once Microsoft processes it.",
            ),
            CONFIRM_TEXT_LIMIT,
        ),
        "confirm": plain(t("Request cancellation"), CONFIRM_BUTTON_LIMIT),
        "deny": plain(t("Keep it"), CONFIRM_BUTTON_LIMIT),
        "style": "danger",
    }
    return element


def cancellation_filed_message(filed: CancellationFiled) -> Message:
    text = t(
        ":white_check_mark: Cancellation request #{request_id} is filed (status: open), by "
        "{creator} on {date}. The Global admins are told.",
        request_id=filed.request.id,
        creator=mention(filed.request.created_by),
        date=filed.request.created_at.date().isoformat(),
    )
    return message(text, [section(text)])


def cancellation_refused_message(error: DomainError, blockers: list[Blocker]) -> Message:
    text = render_error(error)
    blocks = [section(f":warning: {text}"), *packed_sections(_blocker_lines(blockers))]
    return message(text, blocks)


def cancellation_admin_dm(filed: CancellationFiled) -> Message:
    """What each Global admin reads when a cancellation is filed."""
    return cancellation_notice(
        creator=filed.request.created_by,
        request_id=filed.request.id,
        purchased=filed.check.membership.purchase_date.isoformat(),
        deadline=filed.check.refund_window_ends.isoformat(),
    )


def cancellation_notice(*, creator: str, request_id: int, purchased: str, deadline: str) -> Message:
    """The Global admins' DM about a filed cancellation, from the values it was queued with."""
    text = t(
        "{creator} filed cancellation request #{request_id} for the membership package "
        "(bought on {purchased}; refund window until {deadline}). Submit it in Partner Center "
        "as a service request.",
        creator=mention(creator),
        request_id=request_id,
        purchased=purchased,
        deadline=deadline,
    )
    return posted(text, [section(text)])
