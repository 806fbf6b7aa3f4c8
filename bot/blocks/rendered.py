"""Rendered inventory pages, reused while the page they were built from is.

The benefits service keeps each page it read until anyone commits a change;
rendering that same page object again gives the same blocks, so they are kept
beside it, once per language read (see :func:`bot.i18n.translate.current_locale`).
A new page object (after a change) is rendered afresh.
"""

from __future__ import annotations

from bot.blocks import catalog
from bot.blocks.primitives import Message
from bot.domain.model import BenefitRow, Category, Page
from bot.i18n.translate import current_locale
from bot.services.catalog import PAGES_KEPT


class RenderedPages:
    def __init__(self, *, kept: int = PAGES_KEPT) -> None:
        self._kept = kept
        self._entries: dict[tuple[int, str], tuple[Page[BenefitRow], Category | None, Message]] = {}

    def list_message(self, page: Page[BenefitRow], category: Category | None) -> Message:
        """``catalog.benefit_list_message`` for ``page``, built once per page object."""
        if page.version is None:
            return catalog.benefit_list_message(page, category)
        key = (id(page), current_locale())
        entry = self._entries.get(key)
        # The entry holds the page itself, so its id can't be reused while kept.
        if entry is not None and entry[0] is page and entry[1] == category:
            return entry[2]
        message = catalog.benefit_list_message(page, category)
        if len(self._entries) >= self._kept:
            self._entries.clear()
        self._entries[key] = (page, category, message)
        return message
