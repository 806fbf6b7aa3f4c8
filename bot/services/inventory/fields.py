"""The field types of the inventory file: one annotated type per kind of value.

Each type carries the validator that checks it and says, in one phrase, what
is wrong (``must be kebab-case …``); the models of
:mod:`bot.services.inventory.schema` are built from them. A validator that
finds fault with an item below its own field raises :class:`Located`, and the
loader points the message at that item. The limits are :mod:`bot.domain.limits`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationInfo

from bot.domain.limits import (
    BENEFIT_ID,
    ISO_DATE,
    MAX_CHOICE,
    MAX_CHOICES,
    MAX_EMAIL,
    MAX_ID,
    MAX_PRODUCT_KEY,
    MAX_PRODUCT_KEYS,
    MAX_TEXT,
    MAX_URL,
    USER_ID,
)
from bot.domain.model import ActivationStatus, DomainError
from bot.domain.validation import Field as SupportIdField
from bot.domain.validation import clean_support_id
from bot.i18n.translate import t


class Located(ValueError):
    """A validator's complaint about an item further down than its own field.

    The loader adds ``below`` to the location pydantic reports.
    """

    def __init__(self, below: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.below = below


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a message quotes it, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_id(value: str) -> str:
    if len(value) > MAX_ID:
        raise ValueError(f"must be at most {MAX_ID} characters (got {len(value)})")
    if not BENEFIT_ID.fullmatch(value):
        raise ValueError(
            "must be kebab-case: lowercase letters and digits in groups joined by single "
            f"hyphens, like office-ltsc-pro-plus (got {shown(value)})"
        )
    return value


def _check_user(value: str) -> str:
    if not USER_ID.fullmatch(value):
        raise ValueError(
            "must be a Slack user ID: U or W then capital letters and digits, like "
            f"U012ABC (got {shown(value)})"
        )
    return value


def _check_email(value: str) -> str:
    """The address's syntax, checked by email-validator (no DNS look-up), in lower case."""
    if len(value) > MAX_EMAIL:
        raise ValueError(f"must be an email address like name@example.com (got {shown(value)})")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(
            f"must be an email address like name@example.com (got {shown(value)})"
        ) from None
    return checked.normalized.lower()


def _as_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError(f"must be a date without a time, like 2026-03-01 (got {value})")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"is not a real date (got {shown(value)})") from None
    raise ValueError(f"must be a date written YYYY-MM-DD, like 2026-03-01 (got {shown(value)})")


def _none_as_empty_text(value: object) -> object:
    return "" if value is None else value


def none_as_empty_list(value: object) -> object:
    """An empty list where the file leaves a list empty (``holders:`` with nothing after)."""
    return [] if value is None else value


def _check_https(value: str) -> str:
    wrong = f"must be an https:// link, like https://example.com/download (got {shown(value)})"
    if len(value) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters (got {len(value)})")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError(wrong) from None
    if parts.scheme.lower() != "https" or not host or any(c.isspace() for c in value):
        raise ValueError(wrong)
    return value


def _activation_status(value: object) -> object:
    if value in (ActivationStatus.PENDING.value, ActivationStatus.ACTIVE.value):
        return value
    raise ValueError(
        f"must be 'pending' or 'active' (got {shown(value)}); an active offer whose "
        "`expires_on` has passed is stored as expired"
    )


def _check_support_id(value: str, info: ValidationInfo) -> str:
    """An Access ID or Contract ID, by the rules of the Slack **Mark active** modal."""
    if not value:
        return value
    field = (
        SupportIdField.CONTRACT_ID if info.field_name == "contract_id" else SupportIdField.ACCESS_ID
    )
    try:
        return clean_support_id(field, value)
    except DomainError as error:
        raise ValueError(f"{t(error.message, None, **error.params)} (got {shown(value)})") from None


def _unique_choices(values: list[str], info: ValidationInfo) -> list[str]:
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        folded = value.casefold()
        if folded in first:
            raise Located(
                (index,),
                f"{value!r} is listed twice (also {info.field_name}[{first[folded]}], "
                "ignoring case)",
            )
        first[folded] = index
    return values


BenefitId = Annotated[str, AfterValidator(_check_id)]
SlackUserId = Annotated[str, AfterValidator(_check_user)]
Email = Annotated[str, AfterValidator(_check_email)]
InventoryDate = Annotated[date, BeforeValidator(_as_date)]
LongText = Annotated[str, BeforeValidator(_none_as_empty_text), Field(max_length=MAX_TEXT)]
Choice = Annotated[str, Field(min_length=1, max_length=MAX_CHOICE)]
Choices = Annotated[
    list[Choice],
    BeforeValidator(none_as_empty_list),
    Field(max_length=MAX_CHOICES),
    AfterValidator(_unique_choices),
]
HttpsUrl = Annotated[str, AfterValidator(_check_https)]
SupportId = Annotated[str, BeforeValidator(_none_as_empty_text), AfterValidator(_check_support_id)]
ImportedStatus = Annotated[ActivationStatus, BeforeValidator(_activation_status)]


def _check_keys(value: object) -> object:
    """Product keys: text, one line each, no repeats. Messages never quote a key."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("must be a list of product keys (lines starting with `-`)")
    if len(value) > MAX_PRODUCT_KEYS:
        raise ValueError(f"lists {len(value)} keys; at most {MAX_PRODUCT_KEYS} are allowed")
    keys: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise Located((index,), "must be text: put the key in quotes")
        key = item.strip()
        if not key:
            raise Located((index,), "must not be empty")
        if len(key) > MAX_PRODUCT_KEY:
            raise Located(
                (index,), f"must be at most {MAX_PRODUCT_KEY} characters (got {len(key)})"
            )
        if any(not c.isprintable() for c in key):
            raise Located((index,), "must be one line of printable text")
        if key in first:
            raise Located((index,), f"is the same key as keys[{first[key]}]")
        first[key] = index
        keys.append(key)
    return keys


# Secret strings: a repr or an error report of an entry never shows a key.
ProductKeys = Annotated[list[SecretStr] | None, BeforeValidator(_check_keys)]
