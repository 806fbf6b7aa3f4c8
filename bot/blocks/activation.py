"""Technical benefits and go-to-market offers: `list technical` / `list gtm`, activating
one, the pending message with its **Mark active** button, the Mark active modal, and the
refusals of a submitted form shown at its fields.

Support and advisory hours are in :mod:`bot.blocks.support`, the marketing contact in
:mod:`bot.blocks.contact`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.blocks import ids
from bot.blocks.contact import contact_text
from bot.blocks.primitives import (
    ERROR_LIMIT,
    MODAL_TITLE_LIMIT,
    Block,
    Message,
    actions,
    button,
    category_label,
    clip,
    context,
    day,
    fields_section,
    header,
    list_nav,
    mention,
    message,
    plain,
    posted,
    render_error,
    section,
    text_input,
)
from bot.domain.activations import State
from bot.domain.entitlements import LEVEL_LABELS, SUPPORT_LABELS, Allowance, Unit
from bot.domain.limits import MAX_ID
from bot.domain.model import Activation, Benefit, Category, DomainError
from bot.domain.validation import Field, InvalidFields
from bot.i18n.translate import N_, format_day, t
from bot.services.activation import ActivationDone, ActivationRequested, ActivationRow, Overview

METADATA_LIMIT = 3000


_STATE_LABELS: Mapping[State, str] = {
    State.NOT_AVAILABLE: N_("Not available"),
    State.NO_ACTIVATION_NEEDED: N_("No activation needed"),
    State.NOT_ACTIVATED: N_("Not activated"),
    State.PENDING: N_("Pending"),
    State.ACTIVE: N_("Active"),
    State.EXPIRED: N_("Expired"),
}


# Which block of a form shows the refusal of each field.
FIELD_BLOCKS: Mapping[Field, str] = {
    Field.ACCESS_ID: ids.ACCESS_ID_BLOCK,
    Field.CONTRACT_ID: ids.CONTRACT_ID_BLOCK,
    Field.EXPIRES_ON: ids.EXPIRES_BLOCK,
    Field.USER: ids.CONTACT_USER_BLOCK,
    Field.EMAIL: ids.CONTACT_EMAIL_BLOCK,
    Field.PHONE: ids.CONTACT_PHONE_BLOCK,
    Field.LANGUAGE: ids.CONTACT_LANGUAGE_BLOCK,
}


def allowance_text(allowance: Allowance | None) -> str:
    if allowance is None:
        return "—"
    if not allowance.available:
        return t("not available")
    if allowance.amount is None:
        return t("unlimited")
    if allowance.unit is Unit.HOURS:
        return t("{count} hours", count=allowance.amount)
    return t("{count} incidents", count=allowance.amount)


def state_text(state: State, activation: Activation | None) -> str:
    """The status column: Pending since, Active since, Expired, Not activated…"""
    label = t(_STATE_LABELS[state])
    if activation is None:
        return label
    if state is State.PENDING:
        return t(
            "{status} since {date} (asked by {requester})",
            status=label,
            date=day(activation.requested_at),
            requester=mention(activation.requested_by),
        )
    if state is State.ACTIVE and activation.completed_at is not None:
        return t("{status} since {date}", status=label, date=day(activation.completed_at))
    return label


def expires_text(activation: Activation | None) -> str:
    if activation is None or activation.expires_on is None:
        return "—"
    return format_day(activation.expires_on)


def support_ids_text(activation: Activation) -> str:
    return t(
        "Access ID `{access_id}` · Contract ID `{contract_id}`",
        access_id=activation.access_id,
        contract_id=activation.contract_id,
    )


def _row_text(row: ActivationRow, category: Category) -> str:
    b = row.benefit
    lines = [f"*{clip(b.name, 150)}*  `{b.id}`"]
    status = state_text(row.state, row.activation)
    if category is Category.GTM:
        lines.append(
            t(
                "Status: {status} · Expires: {expires}",
                status=status,
                expires=expires_text(row.activation),
            )
        )
        return "\n".join(lines)
    facts = [status]
    if b.support_kind is not None:
        facts.insert(0, t(SUPPORT_LABELS[b.support_kind]))
        entitled = allowance_text(row.allowance)
        if row.hours_left is not None and row.allowance is not None and row.allowance.available:
            entitled = t("{total}, {left} left", total=entitled, left=row.hours_left)
        facts.append(entitled)
    lines.append(" · ".join(facts))
    if row.state is State.ACTIVE and row.activation is not None:
        lines.append(support_ids_text(row.activation))
    return "\n".join(lines)


def _row_buttons(row: ActivationRow, overview: Overview) -> list[Block]:
    if not overview.can_manage:
        return []
    b = row.benefit
    if row.state is State.PENDING:
        return [button(t("Mark active"), action_id=ids.MARK_ACTIVE, value=b.id, style="primary")]
    if row.state in (State.NOT_ACTIVATED, State.EXPIRED):
        return [button(t("Activate"), action_id=ids.ACTIVATE, value=b.id)]
    return []


def overview_message(overview: Overview) -> Message:
    """The technical benefits or go-to-market offers, with status like Partner Center's."""
    category = overview.category
    title = t("Benefits: {category}", category=category_label(category))
    blocks: list[Block] = [header(title)]
    membership = overview.membership
    if category is Category.TECHNICAL and membership is not None:
        level = t(LEVEL_LABELS[membership.level])
        facts = []
        for summary in overview.entitlements:
            text = allowance_text(summary.allowance)
            if summary.hours_left is not None and summary.allowance.available:
                text = t("{total}, {left} left", total=text, left=summary.hours_left)
            facts.append((t(SUPPORT_LABELS[summary.kind]), text))
        blocks.append(section(t("*What the {level} membership includes*", level=level)))
        blocks.append(fields_section(facts))
    if category is Category.GTM:
        if overview.contact is not None:
            blocks.append(
                context(
                    t(
                        "Marketing contact: {contact}",
                        contact=contact_text(overview.contact),
                    )
                )
            )
        else:
            blocks.append(
                context(
                    t(
                        ":warning: No marketing contact yet. An MPN partner admin or Global admin "
                        "sets one with `{command} contact` before offers can be activated.",
                        command=ids.COMMAND,
                    )
                )
            )
    if not overview.page.items:
        text = t("No benefits of this kind in the inventory yet.")
        blocks.append(section(text))
        return message(title, blocks)
    for row in overview.page.items:
        blocks.append(
            section(
                _row_text(row, category),
                accessory=button(t("Details"), action_id=ids.DETAILS, value=row.benefit.id),
            )
        )
        buttons = _row_buttons(row, overview)
        if buttons:
            blocks.append(actions(buttons))
    page = overview.page
    blocks.append(
        context(
            t(
                "Page {page} of {pages} · {total} benefits",
                page=page.page + 1,
                pages=page.pages,
                total=page.total,
            )
        )
    )
    blocks += list_nav(page, category)
    return message(f"{title} ({page.total})", blocks)


def activation_requested_text(result: ActivationRequested, where: str) -> str:
    b = result.benefit
    if b.category is Category.GTM:
        return t(
            ":hourglass_flowing_sand: *{benefit}* is now pending (requested {date}). It can take "
            "several days; Microsoft emails the instructions to the marketing contact. Once it is "
            "active, record its Expires date with the *Mark active* button {where}.",
            benefit=b.name,
            date=day(result.activation.requested_at),
            where=where,
        )
    return t(
        ":hourglass_flowing_sand: *{benefit}* is now pending (requested {date}). Processing "
        "takes several days. Once it is done, record the Access ID and Contract ID with the "
        "*Mark active* button {where}.",
        benefit=b.name,
        date=day(result.activation.requested_at),
        where=where,
    )


def pending_activation_message(result: ActivationRequested) -> Message:
    """The lasting message with the **Mark active** button, posted to the admins."""
    b = result.benefit
    a = result.activation
    what = (
        t("its Expires date") if b.category is Category.GTM else t("its Access ID and Contract ID")
    )
    text = t(
        "{requester} asked on {date} to activate *{benefit}* (`{id}`). When Microsoft has "
        "processed it, mark it active and record {what}.",
        requester=mention(a.requested_by),
        date=day(a.requested_at),
        benefit=b.name,
        id=b.id,
        what=what,
    )
    blocks = [
        section(text),
        actions(
            [button(t("Mark active"), action_id=ids.MARK_ACTIVE, value=b.id, style="primary")],
            block_id=ids.ACTIVATION_ACTIONS_BLOCK,
        ),
    ]
    return posted(
        t("Activation of {benefit} is pending", benefit=b.name),
        blocks,
    )


def completed_text(done: ActivationDone) -> str:
    a = done.activation
    b = done.benefit
    if b.category is Category.GTM:
        return t(
            ":white_check_mark: *{benefit}* is active: marked by {completer} on {date}. "
            "Expires {expires}.",
            benefit=b.name,
            completer=mention(a.completed_by),
            date=day(a.completed_at) if a.completed_at else "",
            expires=expires_text(a),
        )
    return t(
        ":white_check_mark: *{benefit}* is active: marked by {completer} on {date}. {ids}",
        benefit=b.name,
        completer=mention(a.completed_by),
        date=day(a.completed_at) if a.completed_at else "",
        ids=support_ids_text(a),
    )


def completed_message(done: ActivationDone) -> Message:
    """The pending message once it is done: the outcome instead of the button."""
    text = completed_text(done)
    return posted(text, [section(text)])


@dataclass(frozen=True, slots=True)
class Origin:
    """The benefit a form is about, and the message it was opened from (if lasting)."""

    benefit_id: str
    channel: str = ""
    ts: str = ""

    def dump(self) -> str:
        return json.dumps({"b": self.benefit_id, "c": self.channel, "t": self.ts})

    @classmethod
    def load(cls, text: str) -> Origin:
        try:
            data = json.loads(text)
        except ValueError:
            return cls(text[: MAX_ID * 2])
        if not isinstance(data, dict):
            return cls(text[: MAX_ID * 2])
        return cls(str(data.get("b", "")), str(data.get("c", "")), str(data.get("t", "")))


def completion_view(benefit: Benefit, activation: Activation, origin: Origin) -> Block:
    """The Mark active modal: Access ID and Contract ID, or an offer's Expires date."""
    intro = t(
        "*{benefit}* was asked to be activated on {date} by {requester}.",
        benefit=benefit.name,
        date=day(activation.requested_at),
        requester=mention(activation.requested_by),
    )
    blocks: list[Block] = [section(intro)]
    if benefit.category is Category.GTM:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.EXPIRES_BLOCK,
                "label": plain(t("Expires"), 2000),
                "element": {
                    "type": "datepicker",
                    "action_id": ids.EXPIRES_INPUT,
                    "placeholder": plain(t("The last day the offer can be used"), 150),
                },
                "hint": plain(t("As Partner Center shows it once the offer is active."), 2000),
            }
        )
    else:
        blocks.append(
            text_input(
                ids.ACCESS_ID_BLOCK,
                ids.ACCESS_ID_INPUT,
                t("Access ID"),
                max_length=MAX_ID,
                placeholder=t("As shown in Partner Center"),
            )
        )
        blocks.append(
            text_input(
                ids.CONTRACT_ID_BLOCK,
                ids.CONTRACT_ID_INPUT,
                t("Contract ID"),
                max_length=MAX_ID,
                placeholder=t("As shown in Partner Center"),
                hint=t("Everyone in the company may see both IDs."),
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.ACTIVATION_VIEW,
        "private_metadata": clip(origin.dump(), METADATA_LIMIT),
        "title": plain(t("Mark active"), MODAL_TITLE_LIMIT),
        "submit": plain(t("Mark active"), MODAL_TITLE_LIMIT),
        "close": plain(t("Cancel"), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def done_view(text: str, *, title: str) -> Block:
    """A modal that replaces a submitted form to say what was saved."""
    return {
        "type": "modal",
        "callback_id": ids.ACTIVATION_DONE_VIEW,
        "title": plain(title, MODAL_TITLE_LIMIT),
        "close": plain(t("Close"), MODAL_TITLE_LIMIT),
        "blocks": [section(text)],
    }


def form_errors(error: DomainError, *, first_block: str) -> dict[str, str]:
    """``response_action: errors`` for a refused form: each wrong field at its block,
    any other refusal at ``first_block``."""
    if isinstance(error, InvalidFields):
        return {
            FIELD_BLOCKS[field]: clip(render_error(e), ERROR_LIMIT)
            for field, e in error.errors.items()
        }
    return {first_block: clip(render_error(error), ERROR_LIMIT)}
