"""Block Kit builders for cloud credits, reassignment, cancellation and the audit log.

Pure functions like those of :mod:`bot.blocks.benefits`, whose primitives they use.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.blocks import ids
from bot.blocks.benefits import (
    Block,
    Message,
    actions,
    button,
    clip,
    context,
    header,
    mention,
    message,
    packed_sections,
    plain,
    render_error,
    section,
)
from bot.domain.cancellation import Blocker, CancellationCheck, CancellationFiled
from bot.domain.model import AuditEntry, DomainError
from bot.i18n.translate import t
from bot.services.benefits import Reassignment

AUDIT_PAGE_SIZE = 25
AUDIT_DETAIL_LIMIT = 200
CONFIRM_TEXT_LIMIT = 300
CONFIRM_BUTTON_LIMIT = 30

_USER_TOKEN = re.compile(r"\buser:([UW][A-Z0-9]{2,})\b")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


# -- cloud credits, shown in a modal when the click came from one -------------


def result_view(text: str, blocks: list[Block]) -> Block:
    """A modal showing the outcome of a click made in a modal."""
    return {
        "type": "modal",
        "callback_id": ids.CLOUD_RESULT_VIEW,
        "title": plain(t("Benefit details"), 24),
        "close": plain(t("Close"), 24),
        "blocks": blocks or [section(text)],
    }


def error_view(error: DomainError) -> Block:
    text = render_error(error)
    return result_view(text, [section(f":warning: {text}")])


# -- reassignment -------------------------------------------------------------


def reassigned_message(change: Reassignment) -> Message:
    text = t(
        "*{benefit}* moved from {from_user} to {to_user}.",
        benefit=change.benefit.name,
        from_user=mention(change.released.user_id),
        to_user=mention(change.assignment.user_id),
    )
    return message(text, [section(text)])


# -- cancellation ---------------------------------------------------------------


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
    text = t(
        "{creator} filed cancellation request #{request_id} for the membership package "
        "(bought on {purchased}; refund window until {deadline}). Submit it in Partner Center "
        "as a service request.",
        creator=mention(filed.request.created_by),
        request_id=filed.request.id,
        purchased=filed.check.membership.purchase_date.isoformat(),
        deadline=filed.check.refund_window_ends.isoformat(),
    )
    return message(text, [section(text)])


# -- the audit log --------------------------------------------------------------


def audit_page_value(limit: int, page: int) -> str:
    return f"{limit}|{page}"


def parse_audit_page_value(value: str) -> tuple[int, int]:
    """The entry count and page of an audit paging button; ValueError when broken."""
    limit, _, page = value.partition("|")
    if not (limit + page).isascii() or not (limit.isdigit() and page.isdigit()):
        raise ValueError(value)
    if len(limit) > 4 or len(page) > 4:
        raise ValueError(value)
    return int(limit), int(page)


def _who(actor: str) -> str:
    return mention(actor) if _USER_ID.match(actor) else f"`{clip(actor, 40)}`"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_mentions(text: str) -> str:
    return _USER_TOKEN.sub(lambda m: mention(m.group(1)), _escaped(text))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def audit_line(entry: AuditEntry) -> str:
    parts = [_when(entry.at), _who(entry.actor), f"`{clip(entry.action, 60)}`"]
    parts.append(_with_mentions(clip(entry.subject, 100)))
    if entry.detail:
        parts.append(_with_mentions(clip(" ".join(entry.detail.split()), AUDIT_DETAIL_LIMIT)))
    return " · ".join(parts)


def audit_message(entries: list[AuditEntry], limit: int, page: int) -> Message:
    """One page of the latest ``limit`` audit entries, newest first."""
    pages = max((len(entries) + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * AUDIT_PAGE_SIZE : (page + 1) * AUDIT_PAGE_SIZE]
    title = t("Audit log")
    if not entries:
        text = t("The audit log is empty.")
        return message(text, [header(title), section(text)])
    blocks: list[Block] = [header(title), *packed_sections(audit_line(e) for e in shown)]
    blocks.append(
        context(
            t(
                "Latest {count} entries, newest first · page {page} of {pages} · everything: "
                "`benefits-bot audit --csv`",
                count=len(entries),
                page=page + 1,
                pages=pages,
            )
        )
    )
    nav: list[Block] = []
    if page > 0:
        nav.append(
            button(
                t("‹ Previous"),
                action_id=ids.AUDIT_PREVIOUS,
                value=audit_page_value(limit, page - 1),
            )
        )
    if page + 1 < pages:
        nav.append(
            button(
                t("Next ›"),
                action_id=ids.AUDIT_NEXT,
                value=audit_page_value(limit, page + 1),
            )
        )
    if nav:
        blocks.append(actions(nav, block_id=ids.AUDIT_NAV_BLOCK))
    text = t("Audit log: the latest {count} entries", count=len(entries))
    return message(text, blocks)
