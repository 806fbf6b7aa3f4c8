"""The language a person chose for the bot's messages (``/benefits language``).

A choice (``nl``, ``en``) beats the person's Slack locale; ``auto`` forgets the
choice, so the Slack locale decides again. Kept per person in storage, apart
from the directory: choosing a language does not add anyone to it. Which
language a message is finally written in is decided by the runtime
(:mod:`bot.runtime.locales`), which reads the choice through here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import InvalidInput
from bot.domain.permissions import Action
from bot.services.core import require
from storage.unit_of_work import Store

AUTO = "auto"


class LanguageService:
    """Reads and keeps the language people chose."""

    def __init__(self, store: Store, *, languages: Sequence[str]) -> None:
        self._store = store
        self.languages = tuple(sorted(languages))

    def choices(self) -> str:
        """The words ``/benefits language`` takes, for usage texts: ``en|nl|auto``."""
        return "|".join((*self.languages, AUTO))

    async def choose(self, actor: str, choice: str) -> str | None:
        """Keep ``actor``'s choice; the language chosen, or None for ``auto``.

        Raises:
            InvalidInput: ``choice`` is no language the bot speaks, nor ``auto``.
        """
        word = choice.strip().casefold()
        if word != AUTO and word not in self.languages:
            raise InvalidInput(
                "I don't speak `{language}`. Choose one of: {choices}.",
                language=choice.strip()[:20],
                choices=", ".join(f"`{c}`" for c in (*self.languages, AUTO)),
            )
        language = None if word == AUTO else word
        async with self._store.write() as uow:
            await require(uow, actor, Action.VIEW)
            await uow.people.set_language(actor, language)
        return language

    async def chosen(self, user_id: str) -> str | None:
        """The language ``user_id`` chose; None when they follow their Slack locale."""
        async with self._store.read() as uow:
            return await uow.people.language_of(user_id)

    async def all_chosen(self) -> dict[str, str]:
        """Every choice kept, by user ID (the runtime keeps them in memory)."""
        async with self._store.read() as uow:
            return await uow.people.all_languages()
