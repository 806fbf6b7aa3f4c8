"""Rules of usage-based cloud benefits (Azure credits) that need no storage.

The service applies them when a credit is activated, approved, assigned or
reassigned; they are here so they can be read and tested on their own.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

AZURE_PORTAL_URL = "https://portal.azure.com/"

MAX_MONTHLY_REASSIGNMENTS = 5
"""A monthly credit can be reassigned at most this many times."""

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "passport.com",
        "yahoo.com",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aim.com",
        "proton.me",
        "pm.me",
        "protonmail.com",
        "protonmail.ch",
        "tutanota.com",
        "tuta.io",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.com",
        "mail.ru",
        "web.de",
        "t-online.de",
        "freenet.de",
        "qq.com",
        "163.com",
        "126.com",
        "fastmail.com",
        "hey.com",
    }
)
"""Consumer mail domains an Azure credit may not go to."""

FREE_MAIL_PROVIDERS: frozenset[str] = frozenset(
    {"gmx", "yahoo", "hotmail", "outlook", "live", "aol", "yandex", "protonmail"}
)
"""Providers with a free domain in many countries (``gmx.de``, ``yahoo.co.uk``…)."""

_COUNTRY_SUFFIX_LABEL = 3  # "de", "com", "co", "net", "uk": short labels after the provider


def normalized_email(text: str) -> str | None:
    """``text`` as a syntactically valid email address in lower case, else None."""
    try:
        checked = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.normalized.casefold()


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].casefold().rstrip(".")


def is_free_mail(email: str) -> bool:
    """Whether ``email`` is on a free consumer mail domain (gmail.com, gmx.de, …)."""
    domain = email_domain(email)
    if domain in FREE_MAIL_DOMAINS:
        return True
    provider, _, suffix = domain.partition(".")
    labels = suffix.split(".") if suffix else []
    return (
        provider in FREE_MAIL_PROVIDERS
        and 1 <= len(labels) <= 2
        and all(0 < len(label) <= _COUNTRY_SUFFIX_LABEL for label in labels)
    )
