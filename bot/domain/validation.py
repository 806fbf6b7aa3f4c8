"""Validation of what people type into forms and commands: one function per input.

Each ``clean_*`` returns the value as the bot stores it or raises
:class:`bot.domain.model.InvalidInput` with a message a person can act on;
a form that checks several inputs at once raises :class:`InvalidFields`.
The limits come from :mod:`bot.domain.limits` (docs/rules.md).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.domain.limits import (
    MAX_EMAIL,
    MAX_EXPIRY_YEARS,
    MAX_HOURS_TEXT,
    MAX_ID,
    MAX_NUMBER_DIGITS,
    MAX_PHONE,
    MAX_QUERY,
    MAX_REASON,
    MAX_TOPIC,
    SUPPORT_ID,
)
from bot.domain.model import InvalidInput
from bot.i18n.translate import N_

DEFAULT_PHONE_REGION = "US"
"""How a phone number without a leading ``+`` is read, unless settings say otherwise."""

# -- numbers and free text from Slack ------------------------------------------

_WHOLE_NUMBER = re.compile(rf"[0-9]{{1,{MAX_NUMBER_DIGITS}}}")


def whole_number(text: str, *, maximum: int) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None when it is anything else.

    The one way every number that comes from Slack is read: a number typed in a
    command, a button's value, a modal's hidden field. Only the ASCII digits 0-9
    count (``str.isdigit`` also takes ``²`` and ``٣``, which ``int`` then refuses or
    reads as another digit), at most ``MAX_NUMBER_DIGITS`` of them, so that no
    text can make ``int`` fail, take long, or give a number the database can't hold.
    Surrounding spaces are not allowed: callers strip what a person typed.
    """
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


# C0 and C1 control characters (NUL, escape, DEL, ...) and the bidirectional
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a line read
# differently from what it holds ("Trojan Source").
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
_LINE_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]")


def safe_text(text: str, *, multiline: bool = True) -> str:
    """``text`` without control characters or bidirectional overrides and isolates.

    Every text a person typed that the bot repeats to others (a reason, a topic,
    a denial's note, ...) passes here: the services when they check it, so that
    what is stored and audited is clean, and :func:`bot.blocks.primitives.escape`
    when a message shows it, so that older or imported text is clean too.
    Newlines and tabs are kept when ``multiline``; otherwise every line break
    becomes a space.
    """
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return _UNSAFE.sub("", text.replace("\r\n", "\n"))


# -- the marketing contact's preferred languages ----------------------------

LANGUAGES: Mapping[str, str] = {
    "en": N_("English"),
    "de": N_("German"),
    "es": N_("Spanish"),
    "fr": N_("French"),
    "it": N_("Italian"),
    "ja": N_("Japanese"),
    "ko": N_("Korean"),
    "nl": N_("Dutch"),
    "pl": N_("Polish"),
    "pt-BR": N_("Portuguese (Brazil)"),
    "ru": N_("Russian"),
    "sv": N_("Swedish"),
    "tr": N_("Turkish"),
    "zh-Hans": N_("Chinese (Simplified)"),
    "zh-Hant": N_("Chinese (Traditional)"),
}


# -- form fields and their refusals -----------------------------------------


class Field(enum.StrEnum):
    """An input of a form the service validates field by field."""

    ACCESS_ID = "access_id"
    CONTRACT_ID = "contract_id"
    EXPIRES_ON = "expires_on"
    USER = "user"
    EMAIL = "email"
    PHONE = "phone"
    LANGUAGE = "language"


class InvalidFields(InvalidInput):
    """Some inputs of one form are wrong; ``errors`` holds the refusal of each.

    As a plain :class:`InvalidInput` it reads as the first refusal.
    """

    def __init__(self, errors: Mapping[Field, InvalidInput]) -> None:
        first = next(iter(errors.values()))
        super().__init__(first.message, **first.params)
        self.errors = dict(errors)


_FIELD_NAMES: Mapping[Field, str] = {
    Field.ACCESS_ID: N_("Access ID"),
    Field.CONTRACT_ID: N_("Contract ID"),
}


def clean_support_id(field: Field, text: str | None) -> str:
    """An Access ID or Contract ID, stripped; raises when empty, too long or odd."""
    name = _FIELD_NAMES[field]
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the {field}.", field=name)
    if len(value) > MAX_ID:
        raise InvalidInput(
            "The {field} is too long ({length} characters, at most {limit}).",
            field=name,
            length=len(value),
            limit=MAX_ID,
        )
    if not SUPPORT_ID.fullmatch(value):
        raise InvalidInput(
            "The {field} may contain only letters, digits and . _ / - (no spaces), and must "
            "start and end with a letter or digit.",
            field=name,
        )
    return value


def clean_expiry(value: date | str | None, *, today: date) -> date:
    """The Expires date of an offer: a real date after today, within ten years."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput("Pick the date the offer expires.")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput("`{text}` is not a date; use YYYY-MM-DD.", text=text[:20]) from None
    if value <= today:
        raise InvalidInput("The offer must expire after today ({today}).", today=today.isoformat())
    if value.year > today.year + MAX_EXPIRY_YEARS:
        raise InvalidInput(
            "{expires} is more than {years} years ahead; check the year.",
            expires=value.isoformat(),
            years=MAX_EXPIRY_YEARS,
        )
    return value


def clean_email(text: str | None, *, account_email: str) -> str:
    """A valid email address (syntax only) that is not the company account email."""
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the marketing contact's email address.")
    if len(value) > MAX_EMAIL:
        raise InvalidInput(
            "The email address is too long ({length} characters, at most {limit}).",
            length=len(value),
            limit=MAX_EMAIL,
        )
    try:
        valid = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(
            "`{email}` is not a valid email address: {reason}",
            email=value[:80],
            reason=str(error),
        ) from None
    normalized: str = valid.normalized
    if normalized.casefold() == account_email.strip().casefold():
        raise InvalidInput(
            "The marketing contact's email must differ from the company's Partner Center "
            "account email ({account_email}).",
            account_email=account_email,
        )
    return normalized


def clean_phone(text: str | None, *, region: str) -> str:
    """A valid phone number in E.164 (``+31201234567``).

    Numbers without a leading ``+`` are read as numbers of ``region``.
    """
    value = (text or "").strip()
    if not value:
        raise InvalidInput("Enter the marketing contact's phone number.")
    if len(value) > MAX_PHONE:
        raise InvalidInput(
            "The phone number is too long ({length} characters, at most {limit}).",
            length=len(value),
            limit=MAX_PHONE,
        )
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "`{phone}` is not a valid phone number. Write it in international format, e.g. "
            "+31 20 123 4567 (numbers without + are read as {region} numbers).",
            phone=value,
            region=region,
        )
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted


def clean_language(code: str | None) -> str:
    value = (code or "").strip()
    if value not in LANGUAGES:
        raise InvalidInput("Pick the marketing contact's preferred language.")
    return value


def hours_requested(text: str) -> int:
    """A number of advisory hours: a positive whole number."""
    value = text.strip()
    hours = whole_number(value, maximum=10**MAX_HOURS_TEXT - 1)
    if not hours:
        raise InvalidInput(
            "The hours must be a positive whole number, like `4` (not `{hours}`).",
            hours=safe_text(value[:20], multiline=False),
        )
    return hours


def clean_benefit_query(query: str) -> str:
    """Text naming a benefit, with its runs of spaces made one; raises when empty or too long."""
    text = " ".join(query.split())
    if not text:
        raise InvalidInput("Name a benefit: its id or the start of its name.")
    if len(text) > MAX_QUERY:
        raise InvalidInput(
            "That benefit name is too long ({length} characters, at most {limit}).",
            length=len(text),
            limit=MAX_QUERY,
        )
    return text


def check_reason(reason: str) -> str:
    """A request's or a denial's reason, made :func:`safe_text` and stripped; raises when
    too long."""
    reason = safe_text(reason).strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            "The reason is too long ({length} characters, at most {limit}).",
            length=len(reason),
            limit=MAX_REASON,
        )
    return reason


def clean_topic(topic: str) -> str:
    """What advisory hours are about, made :func:`safe_text` and stripped; raises when empty
    or too long."""
    topic = safe_text(topic).strip()
    if not topic:
        raise InvalidInput("Say what the advice is about: `/benefits advisory <hours> <topic>`.")
    if len(topic) > MAX_TOPIC:
        raise InvalidInput(
            "The topic is too long ({length} characters, at most {limit}).",
            length=len(topic),
            limit=MAX_TOPIC,
        )
    return topic
