"""The direct messages that reminders become: pure builders, one per kind.

A ping carries its kind and the values it was queued with; the message is
built when it is sent. Every text goes through :func:`bot.i18n.t`; text that
people typed (a request's reason) is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.blocks import ids
from bot.blocks.primitives import (
    Block,
    Message,
    actions,
    button,
    context,
    escape,
    fields_section,
    mention,
    posted,
    section,
)
from bot.blocks.requests import outcome_message
from bot.domain.model import Level, RequestStatus
from bot.domain.outbox import ParamValue, Ping
from bot.i18n.translate import format_day, t
from bot.services.reminders import As, Kind

PARTNER_CENTER_URL = "https://partner.microsoft.com/dashboard"

Params = Mapping[str, ParamValue]


def ping_message(ping: Ping) -> Message:
    """The DM a ping becomes."""
    build = _BUILDERS.get(ping.kind)
    if build is None:  # a kind from a newer version of the bot: still say something
        text = t("You have a reminder from the benefits bot.")
        return posted(text, [section(text)])
    return build(ping.params)


# -- pieces ------------------------------------------------------------------


def _s(params: Params, name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value)


def _n(params: Params, name: str) -> int:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _details_button(params: Params) -> Block:
    return button(t("Details"), action_id=ids.DETAILS, value=_s(params, "benefit_id"))


def _partner_center_button() -> Block:
    return button(
        t("Open Partner Center"),
        action_id=ids.REMINDER_LINK,
        value="partner_center",
        url=PARTNER_CENTER_URL,
    )


def _ends_text(params: Params) -> str:
    """ "ends in 7 days, on 2026-03-31", or today / tomorrow / ended."""
    days, day = _n(params, "days_left"), _s(params, "ends_on")
    if days > 1:
        return t("ends in {days} days, on {date}", days=days, date=day)
    if days == 1:
        return t("ends tomorrow, {date}", date=day)
    if days == 0:
        return t("ends today, {date}", date=day)
    return t("ended on {date}", date=day)


def _why(params: Params) -> str:
    reason = _s(params, "as")
    if reason == As.HOLDER:
        return t("You hold a seat of it.")
    if reason == As.CONTACT:
        return t("You get this as the company's marketing contact.")
    if reason == As.REQUESTER:
        return t("You asked for this activation.")
    return t("You get this as an admin of the company's benefits.")


def _dm(text: str, blocks: list[Block]) -> Message:
    return posted(text, blocks)


# -- one builder per kind ----------------------------------------------------


def activation_completed(params: Params) -> Message:
    text = t(
        ":white_check_mark: *{benefit}* is active now, marked by {completer}.",
        benefit=_s(params, "benefit"),
        completer=mention(_s(params, "completed_by") or None),
    )
    blocks: list[Block] = [section(text, accessory=_details_button(params))]
    if params.get("category") == "technical":
        blocks.append(
            fields_section(
                [
                    (t("Access ID"), f"`{_s(params, 'access_id')}`"),
                    (t("Contract ID"), f"`{_s(params, 'contract_id')}`"),
                ]
            )
        )
        blocks.append(
            context(
                t(
                    "Everyone in the company may see and share these IDs: the first support "
                    "request for on-premises, Azure (non-CSP) and Dynamics products needs them.",
                )
            )
        )
    elif params.get("expires_on"):
        blocks.append(
            section(
                t(
                    "It can be used until {date}.",
                    date=_s(params, "expires_on"),
                )
            )
        )
    blocks.append(context(_why(params)))
    return _dm(text, blocks)


def expiring(params: Params) -> Message:
    text = t(
        ":hourglass: *{benefit}* {ends}.",
        benefit=_s(params, "benefit"),
        ends=_ends_text(params),
    )
    advice = (
        t("Plan for what replaces it, or ask an admin.")
        if params.get("as") == As.HOLDER
        else t("Renew it in Partner Center if it is still needed.")
    )
    blocks = [
        section(text, accessory=_details_button(params)),
        section(advice),
        context(_why(params)),
    ]
    return _dm(text, blocks)


def approval_waiting(params: Params) -> Message:
    request_id = _s(params, "request_id")
    text = t(
        ":hourglass_flowing_sand: Request #{request_id} from {requester} for *{benefit}* has "
        "waited {hours} hours for a Global admin.",
        request_id=request_id,
        requester=mention(_s(params, "requester") or None),
        benefit=_s(params, "benefit"),
        hours=_n(params, "hours"),
    )
    reason = escape(_s(params, "reason")) or t("(none given)")
    blocks = [
        section(text),
        fields_section(
            [
                (t("Reason"), reason),
                (t("Request"), f"#{request_id} · {format_day(_s(params, 'created_on'))}"),
            ]
        ),
        actions(
            [
                button(t("Approve"), action_id=ids.APPROVE, value=request_id, style="primary"),
                button(t("Deny"), action_id=ids.DENY, value=request_id, style="danger"),
            ],
            block_id=ids.REQUEST_ACTIONS_BLOCK,
        ),
        context(t("You'll be reminded once a day until it is decided.")),
    ]
    return _dm(text, blocks)


def activation_pending(params: Params) -> Message:
    text = t(
        ":warning: The activation of *{benefit}*, asked for by {requester} on {date}, has been "
        "pending for {days} days. Check its status in Partner Center, then record its "
        "completion in the bot.",
        benefit=_s(params, "benefit"),
        requester=mention(_s(params, "requested_by") or None),
        date=_s(params, "requested_on"),
        days=_n(params, "days"),
    )
    blocks = [
        section(text),
        actions([_details_button(params), _partner_center_button()]),
    ]
    return _dm(text, blocks)


def refund_closing(params: Params) -> Message:
    text = t(
        ":money_with_wings: The refund window of the membership bought on {purchased} closes "
        "on {date} ({days} days left).",
        purchased=_s(params, "purchased"),
        date=_s(params, "ends_on"),
        days=_n(params, "days_left"),
    )
    detail = t(
        "Nothing is activated yet: no software benefit is assigned and no product key was "
        "viewed, so the package can still be cancelled with a refund through a service request.",
    )
    blocks = [section(text), section(detail), actions([_partner_center_button()])]
    return _dm(text, blocks)


def membership_ending(params: Params) -> Message:
    level = _s(params, "level")
    text = t(
        ":calendar: The membership {ends}.",
        ends=_ends_text(params),
    )
    if level == Level.ACTION_PACK:
        advice = t(
            "An Action Pack can be renewed only after it expires, within 30 days of the end date.",
        )
    else:
        advice = t("Renew it in Partner Center before it ends.")
    blocks = [section(text), section(advice), actions([_partner_center_button()])]
    return _dm(text, blocks)


def vs_reassignable(params: Params) -> Message:
    holder = _s(params, "holder")
    text = t(
        ":arrows_counterclockwise: *{benefit}* was assigned to {holder} on {date}; 90 days have "
        "passed, so it can be reassigned now if needed.",
        benefit=_s(params, "benefit"),
        holder=mention(holder) if holder else _s(params, "holder_email"),
        date=_s(params, "assigned_on"),
    )
    return _dm(text, [section(text, accessory=_details_button(params))])


def delivery_parked(params: Params) -> Message:
    recipient = _s(params, "recipient")
    # The admin channel (an approval request, a notice) or a person.
    where = f"<#{recipient}>" if recipient[:1] in ("C", "G") else mention(recipient or None)
    text = t(
        ":warning: A message for {recipient} could not be delivered after {attempts} "
        "attempts (`{error}`). It is parked; the operator sees it with `benefits-bot reminders "
        "--state parked`.",
        recipient=where,
        attempts=_n(params, "attempts"),
        error=escape(_s(params, "error")),
    )
    return _dm(text, [section(text)])


def request_decided(params: Params) -> Message:
    try:
        status = RequestStatus(_s(params, "status"))
    except ValueError:
        status = RequestStatus.CLOSED
    return outcome_message(
        status, _s(params, "benefit"), _s(params, "decided_by") or None, _s(params, "note")
    )


_BUILDERS: dict[str, Callable[[Params], Message]] = {
    Kind.REQUEST_DECIDED: request_decided,
    Kind.ACTIVATION_COMPLETED: activation_completed,
    Kind.OFFER_EXPIRING: expiring,
    Kind.BENEFIT_EXPIRING: expiring,
    Kind.APPROVAL_WAITING: approval_waiting,
    Kind.ACTIVATION_PENDING: activation_pending,
    Kind.REFUND_CLOSING: refund_closing,
    Kind.MEMBERSHIP_ENDING: membership_ending,
    Kind.VS_REASSIGNABLE: vs_reassignable,
    Kind.DELIVERY_PARKED: delivery_parked,
}


EVENT_TYPE = "benefits_reminder"


def metadata(ping: Ping) -> dict[str, Any]:
    """Slack message metadata naming the ping, so a sent message can be traced to it
    (and found again: the delivery loop looks for it before sending a ping twice)."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"ping": ping.id, "key": ping.key, "kind": ping.kind},
    }
