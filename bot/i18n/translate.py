"""One translation function for every text a person reads, in the reader's language.

Catalogues are gettext ``.po`` files under ``bot/i18n/locales/<lang>/LC_MESSAGES``,
managed with Babel (``python -m bot.i18n.catalogs``). English is the source
language: a msgid is the English text, so a missing translation falls back
to it. The ``.po`` files are compiled in memory on first use, so no build step
is needed.

Whose language: :func:`t` takes an explicit locale, but builders never pass
one. The reader of what is being built is set once per unit of work — a
Slack request (a Bolt middleware), a ping being rendered for its recipient
(the delivery loop) — with :func:`reading_as`, kept in a
:class:`contextvars.ContextVar`, and :func:`t` reads it. Tasks started from
there inherit it (asyncio copies the context), so a follow-up spawned after
an acknowledgement speaks the same language.

Values filled into a text are formatted for the reader too: dates (a
``date``, a ``datetime`` or an ISO ``YYYY-MM-DD`` string) and whole numbers
(except identifiers such as ``request_id``) through Babel. English keeps the
bot's original forms — ISO 8601 dates and plain numbers — which people of
every country read alike.
"""

from __future__ import annotations

import contextvars
import gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"

_reader: contextvars.ContextVar[str] = contextvars.ContextVar(
    "reader_locale", default=DEFAULT_LOCALE
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def language_of(locale: str | None) -> str:
    """The language part of a locale (``nl-NL`` → ``nl``); English when it is none."""
    if not locale:
        return DEFAULT_LOCALE
    try:
        return Locale.parse(locale.replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT_LOCALE


_language = language_of  # the name earlier code used


@lru_cache(maxsize=16)
def _translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def available_languages() -> list[str]:
    """Languages that have a catalogue."""
    return sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


@lru_cache(maxsize=64)
def _has_catalogue(language: str) -> bool:
    return (LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").exists()


@lru_cache(maxsize=256)
def supported(locale: str | None) -> str:
    """The language the bot speaks for ``locale``: its own if it has a catalogue, else English."""
    language = language_of(locale)
    return language if _has_catalogue(language) else DEFAULT_LOCALE


def current_locale() -> str:
    """The language of whoever reads what is being built now (English by default)."""
    return _reader.get()


@contextmanager
def reading_as(locale: str | None) -> Iterator[str]:
    """Build texts for a reader of ``locale`` inside the ``with`` block.

    Yields the language chosen (English for an unknown locale). Nested blocks
    restore the outer reader on leaving.
    """
    token = _reader.set(supported(locale))
    try:
        yield _reader.get()
    finally:
        _reader.reset(token)


def set_reader(locale: str | None) -> str:
    """Set the reader for the rest of the current context (a request's task); the language set.

    For a Bolt middleware: Bolt runs listeners after every middleware returned,
    in the same task, so a ``with`` block would end too early.
    """
    language = supported(locale)
    _reader.set(language)
    return language


def N_(msgid: str) -> str:
    """Mark a string kept in a table for extraction; it is translated where shown."""
    return msgid


def t(msgid: str, locale: str | None = None, /, **params: Any) -> str:
    """Translate ``msgid`` into the reader's language and fill its placeholders.

    Args:
        msgid: The English text, with ``{name}`` placeholders.
        locale: A Slack locale such as ``nl-NL``; ``None`` means the current
            reader's (see :func:`reading_as`).
        **params: Values for the placeholders; dates and counts are formatted
            for the language.
    """
    language = _reader.get() if locale is None else language_of(locale)
    text = _translations(language).gettext(msgid)
    if not params:
        return text
    if language == DEFAULT_LOCALE:  # English keeps the values as they are
        return text.format(**params)
    return text.format(**{k: _formatted(k, v, language) for k, v in params.items()})


# -- dates and numbers ------------------------------------------------------------------------


def _formatted(name: str, value: Any, language: str) -> Any:
    if isinstance(value, datetime):
        return format_moment(value, language)
    if isinstance(value, date):
        return format_day(value, language)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return format_day(value, language)
    if isinstance(value, int) and not isinstance(value, bool) and not _is_identifier(name):
        return format_number(value, language)
    return value


def _is_identifier(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def format_day(value: date | datetime | str, language: str | None = None) -> str:
    """A day as the reader writes it: ``2026-03-31`` in English, ``31 mrt 2026`` in Dutch.

    An ISO string that is not a date is returned as it is.
    """
    language = language or _reader.get()
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value.date() if isinstance(value, datetime) else value
    if language == DEFAULT_LOCALE:
        return day.isoformat()
    return str(format_date(day, format="medium", locale=language))


def format_moment(value: datetime, language: str | None = None) -> str:
    """A moment in UTC: ``2026-03-31 14:05 UTC`` in English, ``31 mrt 2026 14:05 UTC`` in Dutch."""
    language = language or _reader.get()
    if language == DEFAULT_LOCALE:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    moment = value.astimezone(UTC) if value.tzinfo else value
    day = format_date(moment.date(), format="medium", locale=language)
    return f"{day} {moment:%H:%M} UTC"


def format_number(value: int | float, language: str | None = None) -> str:
    """A count as the reader writes it: ``1000`` in English (as always), ``1.000`` in Dutch."""
    language = language or _reader.get()
    if language == DEFAULT_LOCALE:
        return str(value)
    return format_decimal(value, locale=language)
