"""Keeping the gettext catalogues in step with the code.

``python -m bot.i18n.catalogs`` extracts every user-facing text (calls of ``t``
and ``N_``, and the messages of domain errors) from ``bot/`` and
``handlers/`` and updates ``bot/i18n/locales/*/LC_MESSAGES/messages.po``.
A test fails when a catalogue misses a text the code uses.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n.translate import DOMAIN, LOCALES_DIR, available_languages

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("bot", "handlers")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    name: (1,)
    for name in (
        "t",
        "N_",
        "DomainError",
        "NotFound",
        "Forbidden",
        "Conflict",
        "InvalidInput",
        "NoMatch",
    )
}


def extract() -> Catalog:
    """Every msgid the code uses, with where it is used."""
    catalog = Catalog(project="benefits-bot", domain=DOMAIN)
    for folder in SOURCE_DIRS:
        for filename, lineno, message, comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
        ):
            if isinstance(message, str) and message:
                catalog.add(
                    message, locations=[(f"{folder}/{filename}", lineno)], auto_comments=comments
                )
    return catalog


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def update(languages: list[str]) -> None:
    template = extract()
    for language in languages:
        path = po_path(language)
        if path.exists():
            catalog = read_catalog(language)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="benefits-bot")
            catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


if __name__ == "__main__":  # pragma: no cover
    update(sorted(set(available_languages()) | {"en"}))
