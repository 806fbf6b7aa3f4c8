"""One translation function for every text a person reads.

Catalogues are gettext ``.po`` files under ``bot/locales/<lang>/LC_MESSAGES``,
managed with Babel (``pybabel extract`` / ``update``). English is the source
language: a msgid is the English text, so a missing translation falls back
to it. The ``.po`` files are compiled in memory on first use, so no build step
is needed.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"


def _language(locale: str | None) -> str:
    if not locale:
        return DEFAULT_LOCALE
    try:
        return Locale.parse(locale.replace("-", "_")).language
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LOCALE


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


def N_(msgid: str) -> str:
    """Mark a string kept in a table for extraction; it is translated where shown."""
    return msgid


def t(msgid: str, locale: str | None = None, /, **params: Any) -> str:
    """Translate ``msgid`` into the language of ``locale`` and fill its placeholders.

    Args:
        msgid: The English text, with ``{name}`` placeholders.
        locale: A Slack locale such as ``en-US``; ``None`` means English.
        **params: Values for the placeholders.
    """
    text = _translations(_language(locale)).gettext(msgid)
    return text.format(**params) if params else text
