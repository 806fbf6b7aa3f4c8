"""The bot in Dutch: the catalogue is complete, the reader's language is a context, dates
and counts are written the Dutch way."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import catalogs
from bot.i18n import translate as i18n
from bot.i18n.translate import (
    current_locale,
    format_day,
    format_moment,
    format_number,
    reading_as,
    set_reader,
    supported,
    t,
)

# -- the catalogue ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogs.extract()


def test_every_text_the_code_uses_has_a_dutch_translation(template: Catalog) -> None:
    problems = catalogs.check("nl", template)

    assert problems.missing == [], problems.report()


def test_every_dutch_translation_has_the_placeholders_of_its_english_text(
    template: Catalog,
) -> None:
    problems = catalogs.check("nl", template)

    assert problems.placeholders == [], problems.report()
    assert problems.unknown == [], problems.report()


def test_dutch_is_a_language_with_a_catalogue_and_english_is_the_source() -> None:
    assert "nl" in i18n.available_languages()
    assert catalogs.translated_languages() == ["nl"]


def _write(folder: Path, language: str, entries: dict[str, str]) -> None:
    catalog = Catalog(locale=language, domain=i18n.DOMAIN)
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)
    path = folder / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_the_check_names_each_missing_text_and_each_placeholder_that_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = Catalog(domain=i18n.DOMAIN)
    for msgid in ("Details", "Usage: `{usage}`", "{left} of {seats} seats left", "New text"):
        template.add(msgid)
    _write(
        tmp_path,
        "nl",
        {
            "Details": "Details",
            "Usage: `{usage}`": "Gebruik: `{gebruik}`",
            "{left} of {seats} seats left": "{left} plekken vrij",
            "Gone from the code": "Weg",
        },
    )
    monkeypatch.setattr(catalogs, "LOCALES_DIR", tmp_path)

    problems = catalogs.check("nl", template)
    report = problems.report()

    assert problems.missing == ["New text"]
    assert len(problems.placeholders) == 2
    assert "'Usage: `{usage}`': wants usage, has gebruik" in report
    assert "wants left, seats, has left" in report
    assert problems.unknown == ["Gone from the code"]
    assert "nl: 1 texts have no translation:\n  msgid 'New text'" in report


def test_the_command_fails_with_the_list_when_a_translation_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = Catalog(domain=i18n.DOMAIN)
    template.add("Request a benefit")
    _write(tmp_path, "en", {"Request a benefit": ""})
    _write(tmp_path, "nl", {})
    monkeypatch.setattr(catalogs, "LOCALES_DIR", tmp_path)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "extract", lambda: template)

    assert catalogs.main(["--check"]) == 1
    assert "msgid 'Request a benefit'" in capsys.readouterr().err


def test_the_command_passes_on_the_catalogues_of_the_repository(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert catalogs.main(["--check"]) == 0
    assert "every text is translated into nl" in capsys.readouterr().out


def test_a_placeholder_with_unbalanced_braces_is_a_problem_not_a_crash() -> None:
    assert catalogs.placeholders("{left} of {seats") == ["<unbalanced braces>"]
    assert catalogs.placeholders("{a} and {b} and {a}") == ["a", "a", "b"]


# -- the reader's language ------------------------------------------------------------------


def test_t_speaks_english_unless_a_reader_is_set() -> None:
    assert current_locale() == "en"
    assert t("Details") == "Details"


def test_t_speaks_the_language_of_the_reader_set_around_it() -> None:
    with reading_as("nl-NL") as language:
        assert language == "nl"
        assert current_locale() == "nl"
        assert t("Details") == "Details"
        assert t("Approve") == "Goedkeuren"
        assert t("{left} of {seats} seats left", left=2, seats=5) == "2 van 5 plekken vrij"
    assert t("Approve") == "Approve"


def test_an_explicit_locale_beats_the_reader() -> None:
    with reading_as("nl"):
        assert t("Approve", "en-US") == "Approve"
    assert t("Approve", "nl-BE") == "Goedkeuren"


def test_readers_nest_and_the_outer_one_comes_back() -> None:
    with reading_as("nl"):
        with reading_as("en-GB"):
            assert t("Approve") == "Approve"
        assert t("Approve") == "Goedkeuren"


@pytest.mark.parametrize("locale", ["de-DE", "xx-YY", "", None, "not a locale!", "ja-JP"])
def test_a_locale_without_a_catalogue_reads_english(locale: str | None) -> None:
    assert supported(locale) == "en"
    with reading_as(locale) as language:
        assert language == "en"
        assert t("Approve") == "Approve"


async def test_tasks_started_for_a_reader_keep_that_reader() -> None:
    async def later() -> str:
        await asyncio.sleep(0)
        return t("Approve")

    async def request_as(locale: str) -> str:
        set_reader(locale)  # as the Bolt middleware does, for the rest of the request
        return await asyncio.ensure_future(later())

    dutch, english = await asyncio.gather(request_as("nl-NL"), request_as("en-US"))

    assert (dutch, english) == ("Goedkeuren", "Approve")
    assert current_locale() == "en"  # the tasks' readers did not leak out


# -- dates and counts -------------------------------------------------------------------------


def test_dates_are_iso_in_english_and_written_out_in_dutch() -> None:
    day = date(2026, 3, 31)

    assert format_day(day, "en") == "2026-03-31"
    assert format_day(day, "nl") == "31 mrt 2026"
    assert format_day("2026-03-31", "nl") == "31 mrt 2026"
    assert format_day("not a date", "nl") == "not a date"
    with reading_as("nl"):
        assert format_day(datetime(2026, 3, 31, 23, 0, tzinfo=UTC)) == "31 mrt 2026"


def test_moments_and_counts_follow_the_reader() -> None:
    moment = datetime(2026, 3, 31, 14, 5, tzinfo=UTC)

    assert format_moment(moment, "en") == "2026-03-31 14:05 UTC"
    assert format_moment(moment, "nl") == "31 mrt 2026 14:05 UTC"
    assert format_number(12345, "en") == "12345"
    assert format_number(12345, "nl") == "12.345"


def test_t_formats_dates_and_counts_but_not_identifiers_for_a_dutch_reader() -> None:
    with reading_as("nl"):
        text = t(
            "• *{benefit}*: request #{request_id} of {since}",
            benefit="Visual Studio",
            request_id=12345,
            since="2026-03-31",
        )
        seats = t("{left} of {seats} seats left", left=1500, seats=2000)

    assert text == "• *Visual Studio*: aanvraag #12345 van 31 mrt 2026"
    assert seats == "1.500 van 2.000 plekken vrij"
    assert t("{left} of {seats} seats left", left=1500, seats=2000) == "1500 of 2000 seats left"
