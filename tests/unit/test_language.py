"""The language a person chose: nl or en beats Slack, auto forgets it, anything else is refused."""

from __future__ import annotations

import pytest

from bot.domain.model import InvalidInput
from bot.runtime.container import Services
from tests.unit.conftest import MEMBER, MEMBER2, rendered


async def test_a_choice_is_kept_per_person_and_auto_forgets_it(services: Services) -> None:
    assert await services.language.choose(MEMBER, " NL ") == "nl"
    assert await services.language.chosen(MEMBER) == "nl"
    assert await services.language.chosen(MEMBER2) is None
    assert await services.language.all_chosen() == {MEMBER: "nl"}

    assert await services.language.choose(MEMBER, "auto") is None
    assert await services.language.chosen(MEMBER) is None


@pytest.mark.parametrize("word", ["fr", "dutch", "", "nl-NL"])
async def test_a_word_that_is_no_language_the_bot_speaks_is_refused_and_nothing_kept(
    services: Services, word: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await services.language.choose(MEMBER, word)

    assert "Choose one of: `en`, `nl`, `auto`." in rendered(refused.value)
    assert await services.language.chosen(MEMBER) is None


def test_the_choices_are_the_catalogues_and_auto(services: Services) -> None:
    assert services.language.choices() == "en|nl|auto"
