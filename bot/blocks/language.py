"""The answer to `/benefits language`: which language the bot writes in, and why."""

from __future__ import annotations

from bot.blocks import ids
from bot.blocks.primitives import Message, context, message, section
from bot.i18n.translate import N_, current_locale, t

LANGUAGE_NAMES = {"en": N_("English"), "nl": N_("Dutch")}


def language_name(language: str) -> str:
    return t(LANGUAGE_NAMES.get(language, language))


def language_message(chosen: str | None, choices: str, *, changed: bool) -> Message:
    """``chosen`` is the language the caller chose, None when Slack's locale decides."""
    name = language_name(current_locale())
    if chosen is None:
        text = (
            t(
                "From now on I write to you in the language of your Slack: {language}.",
                language=name,
            )
            if changed
            else t("I write to you in the language of your Slack: {language}.", language=name)
        )
    else:
        text = (
            t("From now on I write to you in {language}.", language=name)
            if changed
            else t("I write to you in {language}, as you chose.", language=name)
        )
    hint = t(
        "Change it with `{command} language {choices}` (auto: your Slack language).",
        command=ids.COMMAND,
        choices=choices,
    )
    return message(text, [section(text), context(hint)])
