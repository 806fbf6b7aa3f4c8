"""The company's marketing contact for go-to-market offers: as a line of text, the
modal that sets it, and the answer once it is saved."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import (
    MODAL_TITLE_LIMIT,
    Block,
    escape,
    mention,
    plain,
    section,
    text_input,
)
from bot.domain.limits import MAX_EMAIL, MAX_PHONE
from bot.domain.model import MarketingContact
from bot.domain.validation import LANGUAGES
from bot.i18n.translate import t
from bot.services.contact import ContactForm


def contact_text(contact: MarketingContact) -> str:
    language = t(LANGUAGES.get(contact.language, contact.language))
    return t(
        "{user} · {email} · {phone} · {language}",
        user=mention(contact.user_id),
        email=escape(contact.email),
        phone=escape(contact.phone),
        language=language,
    )


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
        text_input(
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
        text_input(
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
