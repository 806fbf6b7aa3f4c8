"""Translations: the English catalogue stays in step with the code, and ``t`` falls back.

The catalogue is read from ``bot/i18n/locales``; the code's texts come from
``bot.i18n.catalogs.extract()``, the same extraction ``python -m bot.i18n.catalogs`` runs.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import catalogs
from bot.i18n import translate as i18n
from bot.i18n.translate import t

PLACEHOLDER_MSGID = "Usage: `{usage}`"
PLAIN_MSGID = "Partner benefits"


def msgids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if isinstance(m.id, str) and m.id}


def placeholders(msgid: str) -> list[str | None]:
    return [name for _, name, _, _ in string.Formatter().parse(msgid) if name is not None]


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return msgids(catalogs.extract())


@pytest.fixture(scope="module")
def english() -> Catalog:
    return catalogs.read_catalog("en")


def test_every_text_the_code_uses_is_in_the_english_catalogue(
    extracted: set[str], english: Catalog
) -> None:
    missing = sorted(extracted - msgids(english))

    assert missing == [], "run `python -m bot.i18n.catalogs` to add them"


def test_the_english_catalogue_has_no_obsolete_text(extracted: set[str], english: Catalog) -> None:
    assert sorted(msgids(english) - extracted) == []
    assert dict(english.obsolete) == {}


def test_the_extraction_finds_the_texts_of_domain_errors_and_builders(
    extracted: set[str],
) -> None:
    assert PLACEHOLDER_MSGID in extracted  # InvalidInput in handlers/commands/parser.py
    assert PLAIN_MSGID in extracted  # t() in bot/blocks/catalog.py
    assert "Global admin" in extracted  # N_() in bot/domain.py


def test_the_catalogue_texts_are_used_as_examples_here(english: Catalog) -> None:
    assert {PLACEHOLDER_MSGID, PLAIN_MSGID} <= msgids(english)


def test_t_fills_the_placeholders() -> None:
    assert t(PLACEHOLDER_MSGID, "en", usage="/benefits mine") == "Usage: `/benefits mine`"
    assert t("{left} of {seats} seats left", "en-US", left=2, seats=5) == "2 of 5 seats left"


def test_t_leaves_a_text_without_parameters_alone() -> None:
    assert t("Closest matches:") == "Closest matches:"


@pytest.mark.parametrize("locale", ["xx-YY", None, "", "de-DE", "not a locale!", "zz"])
def test_t_falls_back_to_english_for_a_language_without_a_catalogue(locale: str | None) -> None:
    assert t(PLACEHOLDER_MSGID, locale, usage="u") == t(PLACEHOLDER_MSGID, "en", usage="u")
    assert t(PLACEHOLDER_MSGID, locale, usage="u") == "Usage: `u`"
    assert t(PLAIN_MSGID, locale) == PLAIN_MSGID


def test_a_catalogue_for_a_language_is_used_for_its_regional_variants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    german = Catalog(locale="de", domain=i18n.DOMAIN)
    german.add(PLACEHOLDER_MSGID, "Aufruf: `{usage}`")
    german.add(PLAIN_MSGID, "Partnervorteile")
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.po").open("wb") as handle:
        write_po(handle, german)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n._translations.cache_clear()
    try:
        assert t(PLACEHOLDER_MSGID, "de-AT", usage="/benefits mine") == "Aufruf: `/benefits mine`"
        assert t(PLAIN_MSGID, "de") == "Partnervorteile"
        assert t("Closest matches:", "de-DE") == "Closest matches:"
        assert t(PLAIN_MSGID, "fr-FR") == PLAIN_MSGID
        assert "de" in i18n.available_languages()
    finally:
        i18n._translations.cache_clear()


def test_every_placeholder_in_the_catalogue_is_named(english: Catalog) -> None:
    unnamed = sorted(
        msgid
        for msgid in msgids(english)
        for name in placeholders(msgid)
        if not name or not name.isidentifier()
    )

    assert unnamed == []


def test_every_text_with_placeholders_formats_with_its_named_values(english: Catalog) -> None:
    for msgid in msgids(english):
        names = {str(n) for n in placeholders(msgid)}
        if names:
            filled = t(msgid, "en", **{name: f"<{name}>" for name in names})
            assert all(f"<{name}>" in filled for name in names), msgid


# -- every call that formats a constant text passes each of its placeholders ----------------

FORMATTING_CALLS = {"t"} | {
    name for name in catalogs.KEYWORDS if name not in {"N_"}
}  # t() and the domain errors; N_ texts are formatted where shown


def formatting_calls() -> Iterator[tuple[str, int, str, set[str]]]:
    """(file, line, msgid, keyword names) of each call with a constant msgid."""
    for folder in catalogs.SOURCE_DIRS:
        for path in sorted((catalogs.ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                first = node.args[0]
                if name not in FORMATTING_CALLS or not isinstance(first, ast.Constant):
                    continue
                if not isinstance(first.value, str):
                    continue
                if any(k.arg is None for k in node.keywords):
                    continue  # **params: checked where the params are built
                keywords = {k.arg for k in node.keywords if k.arg is not None}
                relative = path.relative_to(catalogs.ROOT).as_posix()
                yield relative, node.lineno, first.value, keywords


def test_the_code_formats_texts_and_raises_errors() -> None:
    found = list(formatting_calls())

    assert any(msgid == PLACEHOLDER_MSGID for _, _, msgid, _ in found)
    assert len(found) > 50


def test_every_constant_text_is_given_a_value_for_each_placeholder() -> None:
    missing = [
        f"{path}:{line}: {sorted(set(map(str, placeholders(msgid))) - keywords)} in {msgid!r}"
        for path, line, msgid, keywords in formatting_calls()
        if set(map(str, placeholders(msgid))) - keywords
    ]

    assert missing == []
