"""Block Kit builders for technical benefits, go-to-market offers, support,
advisory hours and the marketing contact.

Pure functions like those of :mod:`bot.blocks.benefits`, whose primitives they use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.blocks import ids
from bot.blocks.benefits import (
    Block,
    Message,
    actions,
    button,
    category_label,
    clip,
    context,
    day,
    escape,
    fields_section,
    header,
    list_nav,
    mention,
    message,
    plain,
    render_error,
    section,
)
from bot.domain.model import Activation, Benefit, Category, DomainError, MarketingContact
from bot.i18n.translate import N_, t
from bot.services.activation import (
    LANGUAGES,
    LEVEL_LABELS,
    MAX_EMAIL,
    MAX_ID,
    MAX_PHONE,
    PROBLEM_LABELS,
    SUPPORT_LABELS,
    ActivationDone,
    ActivationRequested,
    ActivationRow,
    AdvisoryFiled,
    Allowance,
    ContactForm,
    Field,
    InvalidFields,
    Overview,
    Problem,
    State,
    SupportAnswer,
    Unit,
)

MODAL_TITLE_LIMIT = 24
ERROR_LIMIT = 2000
METADATA_LIMIT = 3000

_STATE_LABELS: Mapping[State, str] = {
    State.NOT_AVAILABLE: N_("Not available"),
    State.NO_ACTIVATION_NEEDED: N_("No activation needed"),
    State.NOT_ACTIVATED: N_("Not activated"),
    State.PENDING: N_("Pending"),
    State.ACTIVE: N_("Active"),
    State.EXPIRED: N_("Expired"),
}

# The button that answers each kind of problem (one action_id per button of a block).
SUPPORT_BUTTONS: Mapping[Problem, str] = {
    Problem.CLOUD: ids.SUPPORT_CLOUD,
    Problem.ON_PREMISES: ids.SUPPORT_ON_PREMISES,
    Problem.ADVICE: ids.SUPPORT_ADVICE,
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


# -- small texts ----------------------------------------------------------------


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
    return activation.expires_on.isoformat()


def support_ids_text(activation: Activation) -> str:
    return t(
        "Access ID `{access_id}` · Contract ID `{contract_id}`",
        access_id=activation.access_id,
        contract_id=activation.contract_id,
    )


def contact_text(contact: MarketingContact) -> str:
    language = t(LANGUAGES.get(contact.language, contact.language))
    return t(
        "{user} · {email} · {phone} · {language}",
        user=mention(contact.user_id),
        email=contact.email,
        phone=contact.phone,
        language=language,
    )


# -- `list technical` and `list gtm` ---------------------------------------------


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


# -- activating and marking active ------------------------------------------------


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
    return message(
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
    return message(text, [section(text)])


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


def _text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    max_length: int,
    initial: str = "",
    placeholder: str = "",
    hint: str = "",
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = clip(initial, max_length)
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


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
            _text_input(
                ids.ACCESS_ID_BLOCK,
                ids.ACCESS_ID_INPUT,
                t("Access ID"),
                max_length=MAX_ID,
                placeholder=t("As shown in Partner Center"),
            )
        )
        blocks.append(
            _text_input(
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


# -- support ----------------------------------------------------------------------


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


# -- advisory hours ---------------------------------------------------------------


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
    text = t(
        "{requester} filed advisory hours request #{request_id}: {hours} hours.",
        requester=mention(r.user_id),
        request_id=r.id,
        hours=r.hours,
    )
    return message(
        text,
        [
            section(text),
            fields_section(
                [
                    (t("Topic"), escape(r.topic)),
                    (
                        t("Hours left"),
                        t(
                            "{left} of {total}",
                            left=filed.hours_left,
                            total=filed.allowance.amount or 0,
                        ),
                    ),
                ]
            ),
        ],
    )


# -- the marketing contact --------------------------------------------------------


def contact_view(form: ContactForm) -> Block:
    """The modal that sets the company's marketing contact."""
    current = form.current
    user_element: Block = {
        "type": "users_select",
        "action_id": ids.CONTACT_USER_INPUT,
        "placeholder": plain(t("Pick a person"), 150),
    }
    if current is not None:
        user_element["initial_user"] = current.user_id
    options = [{"text": plain(t(label), 75), "value": code} for code, label in LANGUAGES.items()]
    language_element: Block = {
        "type": "static_select",
        "action_id": ids.CONTACT_LANGUAGE_INPUT,
        "placeholder": plain(t("Pick a language"), 150),
        "options": options,
    }
    if current is not None and current.language in LANGUAGES:
        language_element["initial_option"] = next(
            o for o in options if o["value"] == current.language
        )
    blocks: list[Block] = [
        section(
            t(
                "Follow-ups about go-to-market offers go to this person: activation complete, "
                "offer nearing expiry.",
            )
        ),
        {
            "type": "input",
            "block_id": ids.CONTACT_USER_BLOCK,
            "label": plain(t("Marketing contact"), 2000),
            "element": user_element,
        },
        _text_input(
            ids.CONTACT_EMAIL_BLOCK,
            ids.CONTACT_EMAIL_INPUT,
            t("Email"),
            max_length=MAX_EMAIL,
            initial=current.email if current else "",
            placeholder="name@example.com",
            hint=t(
                "Must differ from the company's account email ({email}).",
                email=form.account_email,
            ),
        ),
        _text_input(
            ids.CONTACT_PHONE_BLOCK,
            ids.CONTACT_PHONE_INPUT,
            t("Phone"),
            max_length=MAX_PHONE,
            initial=current.phone if current else "",
            placeholder="+31 20 123 4567",
        ),
        {
            "type": "input",
            "block_id": ids.CONTACT_LANGUAGE_BLOCK,
            "label": plain(t("Preferred language"), 2000),
            "element": language_element,
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONTACT_VIEW,
        "title": plain(t("Marketing contact"), MODAL_TITLE_LIMIT),
        "submit": plain(t("Save"), MODAL_TITLE_LIMIT),
        "close": plain(t("Cancel"), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def contact_saved_text(contact: MarketingContact) -> str:
    return t(
        ":white_check_mark: The marketing contact is now {contact}.",
        contact=contact_text(contact),
    )
