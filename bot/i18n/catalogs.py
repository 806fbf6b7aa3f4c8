"""Keeping the gettext catalogues in step with the code.

``python -m bot.i18n.catalogs`` extracts every user-facing text (calls of ``t``
and ``N_``, and the messages of domain errors) from ``bot/`` and
``handlers/``, updates ``bot/i18n/locales/*/LC_MESSAGES/messages.po`` (a new
text gets an empty translation) and then checks every translated catalogue:
each text has a translation, with exactly the placeholders of the English
one. It lists what fails and exits with 1; ``--check`` only checks.
Tests fail on the same problems.
"""

from __future__ import annotations

import ast
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n.translate import DEFAULT_LOCALE, DOMAIN, LOCALES_DIR, available_languages

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
    for location, lineno, message in _calls_inside_fstrings():
        if message not in catalog:
            catalog.add(message, locations=[(location, lineno)])
    return catalog


def _calls_inside_fstrings() -> list[tuple[str, int, str]]:
    """Texts of ``t(...)`` calls written inside f-strings, which Babel's extractor skips."""
    found: list[tuple[str, int, str]] = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for fstring in (n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)):
                for node in ast.walk(fstring):
                    if not isinstance(node, ast.Call) or not node.args:
                        continue
                    func = node.func
                    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                    first = node.args[0]
                    text = first.value if isinstance(first, ast.Constant) else None
                    if name in KEYWORDS and isinstance(text, str) and text:
                        found.append((path.relative_to(ROOT).as_posix(), node.lineno, text))
    return found


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


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of ``text``, sorted, each as often as it appears."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:  # an unbalanced brace
        return ["<unbalanced braces>"]
    return sorted(name for _, name, _, _ in parsed if name is not None)


@dataclass
class Problems:
    """What a translated catalogue lacks or gets wrong."""

    language: str
    missing: list[str] = field(default_factory=list)  # texts with no translation
    placeholders: list[str] = field(default_factory=list)  # "msgid: {a} ≠ {b}" lines
    unknown: list[str] = field(default_factory=list)  # translations of texts the code dropped

    def __bool__(self) -> bool:
        return bool(self.missing or self.placeholders or self.unknown)

    def report(self) -> str:
        lines: list[str] = []
        if self.missing:
            lines.append(f"{self.language}: {len(self.missing)} texts have no translation:")
            lines += [f"  msgid {m!r}" for m in self.missing]
        if self.placeholders:
            lines.append(f"{self.language}: placeholders differ from the English text:")
            lines += [f"  {m}" for m in self.placeholders]
        if self.unknown:
            lines.append(f"{self.language}: translations of texts the code no longer uses:")
            lines += [f"  msgid {m!r}" for m in self.unknown]
        return "\n".join(lines)


def check(language: str, template: Catalog | None = None) -> Problems:
    """Every text the code uses has a ``language`` translation with the same placeholders."""
    template = template if template is not None else extract()
    catalog = read_catalog(language)
    problems = Problems(language)
    used = {m.id for m in template if isinstance(m.id, str) and m.id}
    for msgid in sorted(used):
        message = catalog.get(msgid)
        translation = message.string if message is not None else ""
        if not isinstance(translation, str) or not translation.strip():
            problems.missing.append(msgid)
        elif placeholders(translation) != placeholders(msgid):
            expected = ", ".join(placeholders(msgid)) or "none"
            found = ", ".join(placeholders(translation)) or "none"
            problems.placeholders.append(f"{msgid!r}: wants {expected}, has {found}")
    problems.unknown = sorted(
        m.id for m in catalog if isinstance(m.id, str) and m.id and m.id not in used
    )
    return problems


def translated_languages() -> list[str]:
    """The languages with a catalogue other than English (the source language)."""
    return [lang for lang in available_languages() if lang != DEFAULT_LOCALE]


def main(argv: list[str]) -> int:
    if "--check" not in argv:
        update(sorted(set(available_languages()) | {DEFAULT_LOCALE}))
    template = extract()
    failed = [p for p in (check(lang, template) for lang in translated_languages()) if p]
    for problems in failed:
        print(problems.report(), file=sys.stderr)
    if failed:
        print(
            "Translate the texts above in bot/i18n/locales/<language>/LC_MESSAGES/messages.po.",
            file=sys.stderr,
        )
        return 1
    print(f"every text is translated into {', '.join(translated_languages()) or 'no language'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
